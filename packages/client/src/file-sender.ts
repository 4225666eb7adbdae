/**
 * Sending files (PROTOCOL C.6). The sender sends the signed manifest as a group message (the
 * offer) at once, with no first pass over the file, and streams the chunks when a member
 * accepts, hashing each chunk as it goes (the protocol's digest is a hash list, so nothing
 * needs the whole file in memory); after the last chunk of the first pass it sends the
 * digest trailer. Chunks go to the whole room (the relay fans out); members who did not
 * accept drop them unopened.
 *
 * Backpressure: at most {@link MAX_IN_FLIGHT_BYTES} of chunks unacknowledged by the relay,
 * no new chunk while the socket's own buffer is above {@link MAX_SOCKET_BUFFER_BYTES}, and
 * within `RECEIVER_WINDOW_CHUNKS` of the slowest receiver's reported progress (`windowWaitMs`).
 *
 * Pipelining: WebCrypto runs hashing and AES-GCM off the calling thread, so the sender keeps
 * {@link HASH_AHEAD} chunk hashes going and seals {@link SEAL_AHEAD} chunks ahead of the one
 * it publishes.
 */
import {
  DEFAULT_FILE_CHUNK_BYTES,
  FILE_CHUNK_OVERHEAD_BYTES,
  FileDigest,
  chunkLength,
  createFileManifest,
  encodeFileDigest,
  encodeFileManifest,
  importFileKey,
  sealFileChunkParts,
  toBase64Url,
  toHex,
} from '@sealroom/protocol';
import type { FileMessage, FileSource } from './api.js';
import { isFileFailureCode } from './codes.js';
import { SealroomClientError } from './errors.js';
import { MAX_IN_FLIGHT_BYTES, MAX_SOCKET_BUFFER_BYTES, windowWaitMs } from './file-flow-control.js';
import { HASH_AHEAD, offerOf, type FileRoom } from './file-room.js';
import { chunkReader, describeSource } from './file-source.js';
import type { Outgoing } from './file-outgoing.js';
import { JobWindow } from './job-window.js';
import { TransportError } from './transport-errors.js';
import { envelopeLength } from './wire.js';

/** Chunks the sender reads and seals ahead of the one it publishes. */
const SEAL_AHEAD = 3;
/** Pause before resending after the relay refused a chunk for rate, ms. */
const RATE_LIMIT_PAUSE_MS = 1_000;
/** Chunk resends a sender serves one receiver per file: requests beyond it are ignored. */
const MAX_RESENDS_PER_RECEIVER = 1024;
/** Failed publishes of one resend before the sender stops serving resends of that file. */
const MAX_RESEND_PUBLISH_FAILURES = 10;
/** How long a sender waits for its room to be connected before giving up on an offer, ms. */
const OFFER_CONNECT_TIMEOUT_MS = 60_000;
/** Refusals of an offer that pass: the room reconnects, the rate bucket refills. */
const OFFER_RETRYABLE: ReadonlySet<string> = new Set(['NOT_CONNECTED', 'DISCONNECTED', 'RATE_LIMITED']);

export class FileSender {
  private readonly outgoing = new Map<string, Outgoing>();

  constructor(private readonly room: FileRoom) {}

  /** Whether I offered this file id. */
  has(fileId: string): boolean {
    return this.outgoing.has(fileId);
  }

  async send(source: FileSource): Promise<FileMessage> {
    const { room } = this;
    // 256 KiB unless the relay's frames are smaller (its hello says how large they may be).
    const chunkSize = Math.max(1, Math.min(DEFAULT_FILE_CHUNK_BYTES, room.maxEnvelopeBytes() - FILE_CHUNK_OVERHEAD_BYTES));
    const { name, type, size } = describeSource(source);
    const chunkCount = Math.ceil(size / chunkSize);

    const manifest = createFileManifest({ name, type, size, chunkSize });
    const fileId = toBase64Url(manifest.fileId);
    const out: Outgoing = {
      manifest,
      fileKey: await importFileKey(manifest),
      readChunk: chunkReader(source, chunkSize),
      readResend: chunkReader(source, chunkSize),
      resend: new Set(),
      resendsServed: new Map(),
      resending: false,
      digest: new FileDigest(size, chunkSize),
      hashed: new Set(),
      hashing: new JobWindow(HASH_AHEAD),
      itemId: `${room.myIdentityId}/${fileId}`,
      streaming: false,
      again: false,
      stopped: false,
      receivers: new Map(),
    };
    this.outgoing.set(fileId, out);

    const item = await room.locked(() =>
      room.timeline.add({
        kind: 'file',
        id: out.itemId,
        sender: room.myIdentityId,
        senderName: room.myName,
        file: offerOf(manifest),
        transfer: 'offered',
        state: 'pending',
        sentAt: room.clock.now(),
      }),
    );

    if (!(await this.sendPatiently(encodeFileManifest(manifest), 'file-manifest'))) {
      this.outgoing.delete(fileId);
      throw new SealroomClientError('TRANSFER_FAILED', 'the offer could not be sent');
    }
    // An empty file has no chunks to stream: its trailer follows the offer.
    if (chunkCount === 0) await this.sendTrailer(out);
    const sent = await room.locked(() => room.timeline.update(out.itemId, (i) => ({ ...i, state: 'sent' }) as FileMessage));
    room.events.emit('delivery', { roomId: room.roomId, id: out.itemId, state: 'sent' });
    return (sent as FileMessage | undefined) ?? item;
  }

  /** Sends a group payload, waiting out disconnections and membership changes for up to a minute. */
  private async sendPatiently(bytes: Uint8Array, content: 'file-manifest' | 'file-digest'): Promise<boolean> {
    const { room } = this;
    const deadline = room.clock.now() + OFFER_CONNECT_TIMEOUT_MS;
    for (;;) {
      try {
        await room.sendGroup(bytes, content);
        return true;
      } catch (error) {
        const retryable = error instanceof TransportError && OFFER_RETRYABLE.has(error.code);
        if (!retryable || room.clock.now() > deadline) return false;
        await this.pause(RATE_LIMIT_PAUSE_MS);
      }
    }
  }

  /** The digest trailer, after the first whole pass (PROTOCOL B.13). Returns the hex digest. */
  private async sendTrailer(out: Outgoing): Promise<string> {
    if (out.sha256 !== undefined) return out.sha256;
    await out.hashing.drain();
    const digest = await out.digest.finish();
    if (digest === undefined) throw new Error('digest incomplete');
    if (!(await this.sendPatiently(encodeFileDigest({ fileId: out.manifest.fileId, digest }), 'file-digest'))) throw new Error('trailer not sent');
    out.sha256 = toHex(digest);
    return out.sha256;
  }

  /** A member accepted my file: stream it (again, after the running pass, if one runs). */
  onAccept(fileId: string, from: string): void {
    const out = this.outgoing.get(fileId);
    if (out === undefined) return;
    out.receivers.set(from, { next: 0, at: this.room.clock.now() });
    if (out.streaming) out.again = true;
    else void this.stream(fileId, out);
  }

  /** An accepter wrote chunks [0, next): it paces my sending. */
  onProgress(fileId: string, from: string, next: number): void {
    const out = this.outgoing.get(fileId);
    const receiver = out?.receivers.get(from);
    if (out === undefined || receiver === undefined || next <= receiver.next) return;
    const now = this.room.clock.now();
    receiver.next = next;
    receiver.interval = now - receiver.at;
    receiver.at = now;
    out.wake?.();
  }

  /** An accepter asks for chunks again (C.6 chunk recovery), within a per-receiver budget. */
  onResend(fileId: string, from: string, ranges: readonly [number, number][]): void {
    const out = this.outgoing.get(fileId);
    // Only an accepter of my own file may ask.
    if (out === undefined || out.stopped || !out.receivers.has(from)) return;
    let served = out.resendsServed.get(from) ?? 0;
    for (const [start, end] of ranges) {
      for (let index = start; index < Math.min(end, out.manifest.chunkCount) && served < MAX_RESENDS_PER_RECEIVER; index += 1) {
        out.resend.add(index);
        served += 1;
      }
    }
    out.resendsServed.set(from, served);
    void this.serveResends(fileId, out);
  }

  /**
   * An accepter of my file gave up on it (chunk recovery exhausted): the send fails for it
   * too, with its code. A code this client does not know counts as `CANCELLED`.
   */
  onCancel(fileId: string, from: string, code: string): void {
    const out = this.outgoing.get(fileId);
    if (out === undefined || !out.receivers.delete(from)) return;
    out.wake?.();
    this.room.events.emit('file-failed', { roomId: this.room.roomId, fileId, direction: 'send', code: isFileFailureCode(code) ? code : 'CANCELLED' });
  }

  /** A receiver that left no longer paces my sending. */
  onMemberGone(identityId: string): void {
    for (const out of this.outgoing.values()) {
      if (out.receivers.delete(identityId)) out.wake?.();
    }
  }

  stopAll(): void {
    for (const out of this.outgoing.values()) {
      out.stopped = true;
      out.wake?.();
    }
  }

  private async stream(fileId: string, out: Outgoing): Promise<void> {
    const { room } = this;
    out.streaming = true;
    const { chunkCount, chunkSize, size: total } = out.manifest;
    let resumeAt = 0;
    try {
      do {
        out.again = false;
        /** Next chunk to read and seal; chunks before it are sealed, published or being published. */
        let index = resumeAt;
        resumeAt = 0;
        let acked = index * chunkSize;
        const inFlight = new Map<number, { bytes: number; ack: Promise<number> }>();
        let inFlightBytes = 0;
        /** Chunks being sealed, in index order, published from the front. */
        const sealing: { index: number; envelope: Promise<readonly Uint8Array[]> }[] = [];
        let failedAt: number | undefined;
        const settleOldest = async () => {
          const [first] = inFlight.keys();
          if (first === undefined) return;
          const entry = inFlight.get(first)!;
          inFlight.delete(first);
          inFlightBytes -= entry.bytes;
          try {
            await entry.ack;
            acked += chunkLength(out.manifest, first);
            room.events.emit('file-progress', { roomId: room.roomId, fileId, direction: 'send', bytes: acked, total });
          } catch (error) {
            if (!(error instanceof TransportError)) throw error;
            failedAt = Math.min(failedAt ?? first, first);
          }
        };
        while ((index < chunkCount || sealing.length > 0) && !out.stopped) {
          if (inFlightBytes >= MAX_IN_FLIGHT_BYTES) {
            await settleOldest();
            continue;
          }
          if (failedAt !== undefined) {
            // Rate limit or reconnect: drain, pause, wait for the room, resume at the first hole.
            while (inFlight.size > 0) await settleOldest();
            sealing.length = 0; // their rejections, if any, are already handled
            await this.pause(RATE_LIMIT_PAUSE_MS);
            await this.untilReady(out);
            index = failedAt;
            acked = index * chunkSize;
            failedAt = undefined;
            continue;
          }
          while (index < chunkCount && sealing.length < SEAL_AHEAD) {
            const data = await out.readChunk(index);
            if (!out.hashed.has(index)) {
              out.hashed.add(index);
              // The hash starts (WebCrypto copies the chunk) before sealing takes the bytes.
              await out.hashing.add(out.digest.add(index, data));
            }
            const envelope = sealFileChunkParts({ manifest: out.manifest, fileKey: out.fileKey, index, data });
            envelope.catch(() => undefined); // awaited in order below, or dropped on a restart
            sealing.push({ index, envelope });
            index += 1;
          }
          const next = sealing.shift()!;
          await room.waitForBufferBelow(MAX_SOCKET_BUFFER_BYTES);
          await this.waitForReceivers(out, next.index);
          const envelope = await next.envelope;
          const ack = room.publish(envelope);
          ack.catch(() => undefined); // settled in order by settleOldest
          const bytes = envelopeLength(envelope);
          inFlight.set(next.index, { bytes, ack });
          inFlightBytes += bytes;
        }
        while (inFlight.size > 0) await settleOldest();
        if (failedAt !== undefined) {
          out.again = true;
          resumeAt = failedAt;
          await this.untilReady(out);
          continue;
        }
        if (!out.stopped) {
          const sha256 = await this.sendTrailer(out);
          room.events.emit('file-complete', { roomId: room.roomId, fileId, direction: 'send', sha256 });
        }
      } while (out.again && !out.stopped);
    } catch {
      await this.failSend(fileId);
    } finally {
      out.streaming = false;
    }
  }

  /**
   * Resends the chunks receivers asked for again (C.6), lowest index first, one at a time
   * (each acknowledged before the next), read afresh from the source.
   */
  private async serveResends(fileId: string, out: Outgoing): Promise<void> {
    const { room } = this;
    if (out.resending) return;
    out.resending = true;
    let failures = 0;
    try {
      while (out.resend.size > 0 && !out.stopped) {
        const index = Math.min(...out.resend);
        out.resend.delete(index);
        await this.untilReady(out);
        if (out.stopped) return;
        await room.waitForBufferBelow(MAX_SOCKET_BUFFER_BYTES);
        const data = await out.readResend(index);
        const envelope = await sealFileChunkParts({ manifest: out.manifest, fileKey: out.fileKey, index, data });
        try {
          await room.publish(envelope);
        } catch (error) {
          if (!(error instanceof TransportError) || (failures += 1) > MAX_RESEND_PUBLISH_FAILURES) throw error;
          out.resend.add(index);
          await this.pause(RATE_LIMIT_PAUSE_MS);
        }
      }
    } catch {
      // The source changed or cannot be read again: receivers must not wait for it.
      out.resend.clear();
      await this.failSend(fileId);
    } finally {
      out.resending = false;
    }
  }

  /** The send failed; receivers waiting for the rest must not wait forever. */
  private async failSend(fileId: string): Promise<void> {
    const { room } = this;
    room.events.emit('file-failed', { roomId: room.roomId, fileId, direction: 'send', code: 'TRANSFER_FAILED' });
    await room.sendGroup({ t: 'file-cancel', ts: room.clock.now(), file: fileId, code: 'TRANSFER_FAILED' }).catch(() => undefined);
  }

  /** Waits until chunk `index` is within the window of every receiver that still paces (file-flow-control.ts). */
  private async waitForReceivers(out: Outgoing, index: number): Promise<void> {
    const { clock } = this.room;
    for (;;) {
      if (out.stopped) return;
      const waitMs = windowWaitMs(out.receivers.values(), index, out.manifest.chunkCount, clock.now());
      if (waitMs === 0) return;
      await new Promise<void>((resolve) => {
        const timer = clock.setTimeout(() => {
          out.wake = undefined;
          resolve();
        }, waitMs);
        out.wake = () => {
          out.wake = undefined;
          clock.clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Waits for the room to be ready again (a reconnect), unless the transfer stopped. */
  private async untilReady(out: Outgoing): Promise<void> {
    while (!this.room.isReady() && !out.stopped) await this.room.nextReady();
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => this.room.clock.setTimeout(resolve, ms));
  }
}
