/**
 * File transfers. The sender reads the file once to compute the protocol's file digest (a
 * hash list, so no pass needs the whole file in memory), sends the signed manifest as a
 * group message (the offer), and streams the chunks when a member accepts. Chunks go to the
 * whole room (the relay fans out); members who did not accept drop them unopened.
 *
 * Backpressure: the sender keeps at most {@link MAX_IN_FLIGHT_BYTES} of chunks unacknowledged
 * by the relay, waits while the socket's own buffer is above {@link MAX_SOCKET_BUFFER_BYTES},
 * and stays within {@link RECEIVER_WINDOW_CHUNKS} of the slowest receiver's reported progress.
 * The receiver writes each chunk to the caller's sink and awaits it before opening the next,
 * and checks the whole-file digest before reporting the file complete.
 *
 * Pipelining: WebCrypto runs hashing and AES-GCM off the calling thread, so the sender keeps
 * {@link HASH_AHEAD} chunk hashes going during its digest pass and seals
 * {@link SEAL_AHEAD} chunks ahead of the one it publishes; the receiver hashes a chunk while
 * it writes it and the next one arrives ({@link HASH_AHEAD} hashes at most).
 */
import {
  AES_GCM_IV_BYTES,
  AES_GCM_TAG_BYTES,
  DEFAULT_FILE_CHUNK_BYTES,
  FILE_ID_BYTES,
  HEADER_BYTES,
  FileDigest,
  chunkLength,
  createFileManifestV1 as createFileManifest,
  encodeFileManifestV1 as encodeFileManifest,
  equalBytes,
  importFileKey,
  openFileChunkV1 as openFileChunk,
  peekEnvelope,
  sealFileChunkPartsV1 as sealFileChunkParts,
  toBase64Url,
  toHex,
  type FileManifestV1 as FileManifest,
  type RoomMember,
} from '@sealroom/protocol';
import type { FileMessage, FileOffer, FileSource, FileTransferState } from './index.js';
import { SealroomClientError } from './errors.js';
import { JobWindow } from './job-window.js';
import { MAX_RESEND_CHUNKS, MAX_RESEND_RANGES, type AppPayload } from './payloads.js';
import { TransportError } from './transport.js';
import { envelopeLength } from './wire.js';
import type { RoomSession, SessionContext } from './session.js';

/** Chunk index in a file-chunk envelope: u32. */
const CHUNK_INDEX_BYTES = 4;
/** A file-chunk envelope around its plaintext: header, file id, chunk index, IV, GCM tag (B.7). */
const FILE_CHUNK_OVERHEAD_BYTES = HEADER_BYTES + FILE_ID_BYTES + CHUNK_INDEX_BYTES + AES_GCM_IV_BYTES + AES_GCM_TAG_BYTES;
/** Unacknowledged chunk bytes per outgoing file: 16 chunks of 256 KiB. */
export const MAX_IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/** Wait while the socket holds more than this many unsent bytes (about 8 chunks). */
export const MAX_SOCKET_BUFFER_BYTES = 2 * 1024 * 1024;
/**
 * End-to-end pacing: the sender stays at most this many chunks (8 MiB) ahead of the slowest
 * receiver's reported progress, so a slow sink bounds what piles up in receivers' memory
 * (a browser cannot push back on a WebSocket).
 */
export const RECEIVER_WINDOW_CHUNKS = 32;
/** A receiver reports progress every this many chunks (a quarter of the window). */
export const PROGRESS_EVERY_CHUNKS = RECEIVER_WINDOW_CHUNKS / 4;

/** The file sender's flow control in one place, for tools that must send the same way (the bench). */
export const FILE_FLOW_CONTROL = Object.freeze({
  maxInFlightBytes: MAX_IN_FLIGHT_BYTES,
  maxSocketBufferBytes: MAX_SOCKET_BUFFER_BYTES,
  receiverWindowChunks: RECEIVER_WINDOW_CHUNKS,
  progressEveryChunks: PROGRESS_EVERY_CHUNKS,
});
/** A receiver silent this long no longer paces the sender (it went away), ms. */
const RECEIVER_STALL_MS = 30_000;
/** Chunk hashes pending at once, on either side (a 256 KiB copy each, held by WebCrypto). */
const HASH_AHEAD = 4;
/** Chunks the sender reads and seals ahead of the one it publishes. */
const SEAL_AHEAD = 3;
/** Out-of-order chunks a receiver holds while waiting for a resent one (16 × 256 KiB). */
const MAX_REORDER_CHUNKS = 16;
/** Pause before resending after the relay refused a chunk for rate, ms. */
const RATE_LIMIT_PAUSE_MS = 1_000;
/**
 * Chunk recovery (C.6). A receiver asks again for a chunk it lacks at most this often, and
 * asks for the chunks after the last one written when this long passes without progress
 * while connected, ms.
 */
export const RESEND_AFTER_MS = 3_000;
/** Rounds of {@link RESEND_AFTER_MS} without progress after which a receiver gives up. */
export const MAX_STALLED_ROUNDS = 5;
/** Requests for one chunk after which a receiver gives up (it keeps arriving bad, or never). */
export const MAX_CHUNK_RETRIES = 5;
/** Chunk resends a sender serves one receiver per file: requests beyond it are ignored. */
const MAX_RESENDS_PER_RECEIVER = 1024;
/** Failed publishes of one resend before the sender stops serving resends of that file. */
const MAX_RESEND_PUBLISH_FAILURES = 10;
/** How long a sender waits for its room to be connected before giving up on an offer, ms. */
const OFFER_CONNECT_TIMEOUT_MS = 60_000;

interface Outgoing {
  manifest: FileManifest;
  fileKey: CryptoKey;
  readChunk: (index: number) => Promise<Uint8Array>;
  /** A second reader for resends, so they do not disturb the running pass's stream. */
  readResend: (index: number) => Promise<Uint8Array>;
  /** Chunk indices receivers asked for again, and how many each receiver asked for so far. */
  resend: Set<number>;
  resendsServed: Map<string, number>;
  resending: boolean;
  itemId: string;
  streaming: boolean;
  again: boolean;
  stopped: boolean;
  /** Accepters and their reported progress: chunks written, and when they last said so. */
  receivers: Map<string, { next: number; at: number }>;
  /** Wakes the sender waiting for receivers (progress, a receiver gone, the transfer stopped). */
  wake?: () => void;
}

interface Incoming {
  manifest: FileManifest;
  sender: RoomMember;
  senderId: string;
  itemId: string;
  state: FileTransferState;
  fileKey?: CryptoKey;
  writer?: WritableStreamDefaultWriter<Uint8Array>;
  digest?: FileDigest;
  /** Chunk hashes still running (the digest is checked once all are done). */
  hashing?: JobWindow;
  next: number;
  bytes: number;
  reorder: Map<number, Uint8Array>;
  /** Chunk recovery: when and how often each index was asked for again. */
  requestedAt: Map<number, number>;
  requestCount: Map<number, number>;
  lastProgressAt: number;
  stalledRounds: number;
  watchdog?: unknown;
  settle?: { resolve: () => void; reject: (error: SealroomClientError) => void };
}

/** Whether an incoming transfer is still under way (not failed, not complete, not just offered). */
function isActive(entry: Incoming): boolean {
  return entry.state === 'accepted' || entry.state === 'transferring';
}

/** Reads a stream into exact `chunkSize` pieces, in order (the last may be shorter). */
async function* rechunk(stream: ReadableStream<Uint8Array>, chunkSize: number): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let buffer = new Uint8Array(chunkSize);
  let filled = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      let offset = 0;
      // Whole chunks straight from the source's own buffer, when it is aligned with ours.
      while (filled === 0 && value.length - offset >= chunkSize) {
        yield value.subarray(offset, offset + chunkSize);
        offset += chunkSize;
      }
      while (offset < value.length) {
        const take = Math.min(chunkSize - filled, value.length - offset);
        buffer.set(value.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === chunkSize) {
          yield buffer;
          buffer = new Uint8Array(chunkSize);
          filled = 0;
        }
      }
    }
    if (filled > 0) yield buffer.subarray(0, filled);
  } finally {
    reader.releaseLock();
  }
}

export class FileTransfers {
  private readonly outgoing = new Map<string, Outgoing>();
  private readonly incoming = new Map<string, Incoming>();

  constructor(
    private readonly session: RoomSession,
    private readonly ctx: SessionContext,
  ) {}

  offerOf(manifest: FileManifest): FileOffer {
    return { fileId: toBase64Url(manifest.fileId), name: manifest.name, size: manifest.size, mimeType: manifest.type, sha256: toHex(manifest.digest) };
  }

  // ---- sending ------------------------------------------------------------------------

  async send(source: FileSource): Promise<FileMessage> {
    // 256 KiB unless the relay's frames are smaller (its hello says how large they may be).
    const chunkSize = Math.max(1, Math.min(DEFAULT_FILE_CHUNK_BYTES, this.ctx.connection.maxEnvelopeBytes - FILE_CHUNK_OVERHEAD_BYTES));
    const size = 'blob' in source ? source.blob.size : source.size;
    const name = 'blob' in source ? (source.name ?? ((source.blob as { name?: unknown }).name as string | undefined) ?? 'file') : source.name;
    const type = ('blob' in source ? (source.mimeType ?? source.blob.type) : source.mimeType) || 'application/octet-stream';
    const chunkCount = Math.ceil(size / chunkSize);
    const expected = (index: number) => chunkLength({ size, chunkSize, chunkCount }, index);

    // A reader of chunk i. A Blob is sliced. A stream source is read forward; reading an
    // earlier index re-opens it (its openStream factory) and skips forward (resends, C.6).
    const makeReader = (): ((index: number) => Promise<Uint8Array>) => {
      if ('blob' in source) {
        return async (index) => new Uint8Array(await source.blob.slice(index * chunkSize, index * chunkSize + expected(index)).arrayBuffer());
      }
      let iterator: AsyncGenerator<Uint8Array> | undefined;
      let position = 0;
      return async (index) => {
        if (iterator === undefined || index < position) {
          await iterator?.return(undefined);
          iterator = rechunk(source.openStream(), chunkSize);
          position = 0;
        }
        for (;;) {
          const next = await iterator.next();
          const at = position;
          position += 1;
          if (next.done === true || next.value.length !== expected(at)) throw new SealroomClientError('TRANSFER_FAILED', 'the stream is not the declared size');
          if (at === index) return next.value;
        }
      };
    };

    const digest = new FileDigest(size, chunkSize);
    const firstPass = makeReader();
    const hashing = new JobWindow(HASH_AHEAD);
    for (let index = 0; index < chunkCount; index += 1) await hashing.add(digest.add(index, await firstPass(index)));
    await hashing.drain();
    const manifest = createFileManifest({ name, type, size, digest: (await digest.finish())!, chunkSize });
    const fileId = toBase64Url(manifest.fileId);
    const out: Outgoing = { manifest, fileKey: await importFileKey(manifest), readChunk: makeReader(), readResend: makeReader(), resend: new Set(), resendsServed: new Map(), resending: false, itemId: `${this.session.myId}/${fileId}`, streaming: false, again: false, stopped: false, receivers: new Map() };
    this.outgoing.set(fileId, out);

    const item = (await this.session.locked(() =>
      this.session.addItem({
        kind: 'file',
        id: out.itemId,
        sender: this.session.myId,
        senderName: this.ctx.me.public.displayName,
        file: this.offerOf(manifest),
        transfer: 'offered',
        state: 'pending',
        sentAt: this.ctx.clock.now(),
      }),
    )) as FileMessage;

    const deadline = this.ctx.clock.now() + OFFER_CONNECT_TIMEOUT_MS;
    for (;;) {
      try {
        await this.session.sendEphemeral(encodeFileManifest(manifest), 'file-manifest');
        break;
      } catch (error) {
        const retryable = error instanceof TransportError && ['NOT_CONNECTED', 'DISCONNECTED', 'RATE_LIMITED'].includes(error.code);
        if (!retryable || this.ctx.clock.now() > deadline) {
          this.outgoing.delete(fileId);
          throw new SealroomClientError('TRANSFER_FAILED', 'the offer could not be sent');
        }
        await new Promise<void>((resolve) => this.ctx.clock.setTimeout(resolve, RATE_LIMIT_PAUSE_MS));
      }
    }
    const sent = await this.session.locked(() => this.session.updateItem(out.itemId, (i) => ({ ...i, state: 'sent' }) as FileMessage));
    this.ctx.events.emit('delivery', { roomId: this.session.id, id: out.itemId, state: 'sent' });
    return (sent as FileMessage | undefined) ?? item;
  }

  /** A file-accept (or decline/cancel) from another member. */
  async onControl(payload: Extract<AppPayload, { t: 'file-accept' | 'file-decline' | 'file-progress' | 'file-cancel' | 'file-resend' }>, from: string): Promise<void> {
    if (payload.t === 'file-resend') {
      const out = this.outgoing.get(payload.file);
      // Only an accepter of my own file may ask, within a per-receiver budget.
      if (out === undefined || out.stopped || !out.receivers.has(from)) return;
      let served = out.resendsServed.get(from) ?? 0;
      for (const [start, end] of payload.ranges) {
        for (let index = start; index < Math.min(end, out.manifest.chunkCount) && served < MAX_RESENDS_PER_RECEIVER; index += 1) {
          out.resend.add(index);
          served += 1;
        }
      }
      out.resendsServed.set(from, served);
      void this.serveResends(payload.file, out);
      return;
    }
    if (payload.t === 'file-progress') {
      const receiver = this.outgoing.get(payload.file)?.receivers.get(from);
      if (receiver !== undefined && payload.next > receiver.next) {
        receiver.next = payload.next;
        receiver.at = this.ctx.clock.now();
        this.outgoing.get(payload.file)!.wake?.();
      }
      return;
    }
    if (payload.t === 'file-accept') {
      const out = this.outgoing.get(payload.file);
      if (out === undefined) return;
      out.receivers.set(from, { next: 0, at: this.ctx.clock.now() });
      if (out.streaming) out.again = true;
      else void this.stream(payload.file, out);
      return;
    }
    if (payload.t === 'file-cancel') {
      const entry = this.incoming.get(payload.file);
      if (entry !== undefined && entry.senderId === from) await this.fail(payload.file, entry, 'CANCELLED');
      // An accepter of my file gave up on it (chunk recovery exhausted): it fails here too.
      const out = this.outgoing.get(payload.file);
      if (out !== undefined && out.receivers.delete(from)) {
        out.wake?.();
        this.ctx.events.emit('file-failed', { roomId: this.session.id, fileId: payload.file, direction: 'send', code: payload.code });
      }
    }
  }

  private async stream(fileId: string, out: Outgoing): Promise<void> {
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
            this.ctx.events.emit('file-progress', { roomId: this.session.id, fileId, direction: 'send', bytes: acked, total });
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
            await new Promise<void>((resolve) => this.ctx.clock.setTimeout(resolve, RATE_LIMIT_PAUSE_MS));
            while (!this.session.isReady() && !out.stopped) await this.session.nextReady();
            index = failedAt;
            acked = index * chunkSize;
            failedAt = undefined;
            continue;
          }
          while (index < chunkCount && sealing.length < SEAL_AHEAD) {
            const data = await out.readChunk(index);
            const envelope = sealFileChunkParts({ roomKeys: this.session.keys, senderMemberId: this.session.senderMemberId, manifest: out.manifest, fileKey: out.fileKey, index, data });
            envelope.catch(() => undefined); // awaited in order below, or dropped on a restart
            sealing.push({ index, envelope });
            index += 1;
          }
          const next = sealing.shift()!;
          await this.ctx.connection.waitForBufferBelow(MAX_SOCKET_BUFFER_BYTES);
          await this.waitForReceivers(out, next.index);
          const envelope = await next.envelope;
          const ack = this.session.publishRaw(envelope);
          ack.catch(() => undefined); // settled in order by settleOldest
          const bytes = envelopeLength(envelope);
          inFlight.set(next.index, { bytes, ack });
          inFlightBytes += bytes;
        }
        while (inFlight.size > 0) await settleOldest();
        if (failedAt !== undefined) {
          out.again = true;
          resumeAt = failedAt;
          while (!this.session.isReady() && !out.stopped) await this.session.nextReady();
          continue;
        }
        if (!out.stopped) this.ctx.events.emit('file-complete', { roomId: this.session.id, fileId, direction: 'send', sha256: toHex(out.manifest.digest) });
      } while (out.again && !out.stopped);
    } catch {
      this.ctx.events.emit('file-failed', { roomId: this.session.id, fileId, direction: 'send', code: 'TRANSFER_FAILED' });
      // Receivers waiting for the rest must not wait forever.
      await this.session.sendEphemeral({ t: 'file-cancel', ts: this.ctx.clock.now(), file: fileId, code: 'TRANSFER_FAILED' }).catch(() => undefined);
    } finally {
      out.streaming = false;
    }
  }

  /**
   * Resends the chunks receivers asked for again (C.6), lowest index first, one at a time
   * (each acknowledged before the next), read afresh from the source.
   */
  private async serveResends(fileId: string, out: Outgoing): Promise<void> {
    if (out.resending) return;
    out.resending = true;
    let failures = 0;
    try {
      while (out.resend.size > 0 && !out.stopped) {
        const index = Math.min(...out.resend);
        out.resend.delete(index);
        while (!this.session.isReady() && !out.stopped) await this.session.nextReady();
        if (out.stopped) return;
        await this.ctx.connection.waitForBufferBelow(MAX_SOCKET_BUFFER_BYTES);
        const data = await out.readResend(index);
        const envelope = await sealFileChunkParts({ roomKeys: this.session.keys, senderMemberId: this.session.senderMemberId, manifest: out.manifest, fileKey: out.fileKey, index, data });
        try {
          await this.session.publishRaw(envelope);
        } catch (error) {
          if (!(error instanceof TransportError) || (failures += 1) > MAX_RESEND_PUBLISH_FAILURES) throw error;
          out.resend.add(index);
          await new Promise<void>((resolve) => this.ctx.clock.setTimeout(resolve, RATE_LIMIT_PAUSE_MS));
        }
      }
    } catch {
      // The source changed or cannot be read again: receivers must not wait for it.
      out.resend.clear();
      this.ctx.events.emit('file-failed', { roomId: this.session.id, fileId, direction: 'send', code: 'TRANSFER_FAILED' });
      await this.session.sendEphemeral({ t: 'file-cancel', ts: this.ctx.clock.now(), file: fileId, code: 'TRANSFER_FAILED' }).catch(() => undefined);
    } finally {
      out.resending = false;
    }
  }

  /**
   * Waits until chunk `index` is within the window of every receiver that is still making
   * progress. Receivers silent for {@link RECEIVER_STALL_MS} stop pacing (they may be gone;
   * they get the rest on a later pass). A receiver that reported completion of an earlier
   * pass (next ≥ chunk count) no longer paces either.
   */
  private async waitForReceivers(out: Outgoing, index: number): Promise<void> {
    for (;;) {
      if (out.stopped) return;
      const now = this.ctx.clock.now();
      const pacing = [...out.receivers.values()].filter((r) => r.next < out.manifest.chunkCount && now - r.at < RECEIVER_STALL_MS);
      const slowest = Math.min(...pacing.map((r) => r.next));
      if (pacing.length === 0 || index < slowest + RECEIVER_WINDOW_CHUNKS) return;
      // Until a receiver reports progress or leaves, or the first pacing receiver counts as stalled.
      const stallsIn = Math.min(...pacing.map((r) => r.at + RECEIVER_STALL_MS - now));
      await new Promise<void>((resolve) => {
        const timer = this.ctx.clock.setTimeout(() => {
          out.wake = undefined;
          resolve();
        }, Math.max(1, stallsIn));
        out.wake = () => {
          out.wake = undefined;
          this.ctx.clock.clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  // ---- receiving ----------------------------------------------------------------------

  /**
   * Who offered this file id, if anyone did: me for my own offers. File ids are random, so a
   * second offer under a known id from someone else is a member trying to pass its file off
   * as another's (acceptance goes by file id).
   */
  offeredBy(fileId: string): string | undefined {
    if (this.outgoing.has(fileId)) return this.session.myId;
    return this.incoming.get(fileId)?.senderId;
  }

  onOffer(manifest: FileManifest, sender: { record: { id: string }; member: RoomMember }, item: FileMessage): void {
    const fileId = toBase64Url(manifest.fileId);
    this.incoming.set(fileId, { manifest, sender: sender.member, senderId: sender.record.id, itemId: item.id, state: 'offered', next: 0, bytes: 0, reorder: new Map(), requestedAt: new Map(), requestCount: new Map(), lastProgressAt: 0, stalledRounds: 0 });
  }

  async accept(fileId: string, sink: WritableStream<Uint8Array>): Promise<void> {
    const entry = this.incoming.get(fileId);
    if (entry === undefined) throw new SealroomClientError('UNKNOWN_FILE');
    if (entry.state !== 'offered') throw new SealroomClientError('TRANSFER_FAILED', `the file is ${entry.state}`);
    entry.state = 'accepted';
    entry.fileKey = await importFileKey(entry.manifest);
    entry.writer = sink.getWriter();
    entry.digest = new FileDigest(entry.manifest.size, entry.manifest.chunkSize);
    entry.hashing = new JobWindow(HASH_AHEAD);
    const done = new Promise<void>((resolve, reject) => {
      entry.settle = { resolve, reject };
    });
    await this.setItemTransfer(entry, 'accepted');
    if (entry.manifest.chunkCount === 0) {
      await this.session.locked(() => this.finish(fileId, entry));
      return done;
    }
    try {
      await this.session.sendEphemeral({ t: 'file-accept', ts: this.ctx.clock.now(), file: fileId });
      entry.lastProgressAt = this.ctx.clock.now();
      this.armWatchdog(fileId, entry);
    } catch {
      await this.fail(fileId, entry, 'TRANSFER_FAILED');
    }
    return done;
  }

  async decline(fileId: string): Promise<void> {
    const entry = this.incoming.get(fileId);
    if (entry === undefined) throw new SealroomClientError('UNKNOWN_FILE');
    if (entry.state !== 'offered') return;
    entry.state = 'declined';
    await this.setItemTransfer(entry, 'declined');
    await this.session.sendEphemeral({ t: 'file-decline', ts: this.ctx.clock.now(), file: fileId }).catch(() => undefined);
  }

  /** A file-chunk envelope from a member; called under the room lock. */
  async onChunk(envelope: Uint8Array, sender: { record: { id: string }; member: RoomMember }, fileIdBytes: Uint8Array | undefined): Promise<void> {
    if (fileIdBytes === undefined) return;
    const fileId = toBase64Url(fileIdBytes);
    const entry = this.incoming.get(fileId);
    // Chunks of files I did not accept (or from another sender than the offer's) are not mine to open.
    if (entry === undefined || entry.senderId !== sender.record.id || (entry.state !== 'accepted' && entry.state !== 'transferring')) return;
    const opened = await openFileChunk({ roomKeys: this.session.keys, sender: entry.sender, manifest: entry.manifest, fileKey: entry.fileKey!, envelope });
    if (!opened.ok) {
      this.session.warn('bad-message', sender.record.id, opened.code, 'a file chunk failed verification and was dropped');
      // The (unverified) index only chooses what to ask for again: the resend is verified.
      const peeked = peekEnvelope(envelope);
      const index = peeked.ok ? peeked.peek.chunkIndex : undefined;
      if (index !== undefined && index >= entry.next && index < entry.manifest.chunkCount && !entry.reorder.has(index)) this.requestResend(fileId, entry, [index]);
      return;
    }
    if (opened.index < entry.next || entry.reorder.has(opened.index)) return; // a resend of what I have
    if (opened.index > entry.next) {
      if (entry.reorder.size < MAX_REORDER_CHUNKS) entry.reorder.set(opened.index, opened.data);
      // A hole before this chunk: ask for what is missing in it (C.6 chunk recovery).
      const missing: number[] = [];
      for (let i = entry.next; i < opened.index && missing.length < MAX_RESEND_CHUNKS; i += 1) if (!entry.reorder.has(i)) missing.push(i);
      this.requestResend(fileId, entry, missing);
      return;
    }
    if (entry.state === 'accepted') {
      entry.state = 'transferring';
      await this.setItemTransfer(entry, 'transferring', false);
    }
    let data: Uint8Array | undefined = opened.data;
    while (data !== undefined) {
      try {
        // The hash starts (WebCrypto copies the chunk) before the sink may take the bytes.
        await entry.hashing!.add(entry.digest!.add(entry.next, data));
      } catch {
        await this.fail(fileId, entry, 'TRANSFER_FAILED');
        return;
      }
      try {
        await entry.writer!.write(data);
      } catch {
        await this.fail(fileId, entry, 'SINK_FAILED');
        return;
      }
      if (!isActive(entry)) return; // failed meanwhile (client closed, sender gone)
      entry.bytes += data.length;
      entry.next += 1;
      entry.lastProgressAt = this.ctx.clock.now();
      entry.stalledRounds = 0;
      if (entry.next % PROGRESS_EVERY_CHUNKS === 0 || entry.next === entry.manifest.chunkCount) {
        // Not awaited: it queues behind the envelope being processed (same room lock).
        void this.session.sendEphemeral({ t: 'file-progress', ts: this.ctx.clock.now(), file: fileId, next: entry.next }).catch(() => undefined);
      }
      this.ctx.events.emit('file-progress', { roomId: this.session.id, fileId, direction: 'receive', bytes: entry.bytes, total: entry.manifest.size });
      data = entry.reorder.get(entry.next);
      entry.reorder.delete(entry.next);
    }
    if (entry.next === entry.manifest.chunkCount) await this.finish(fileId, entry);
  }

  /**
   * Asks the sender to resend chunks (a `file-resend` with index ranges), skipping those asked
   * for within {@link RESEND_AFTER_MS}. A chunk asked for more than {@link MAX_CHUNK_RETRIES}
   * times fails the transfer. Called under the room lock: the request is not awaited.
   */
  private requestResend(fileId: string, entry: Incoming, indices: number[]): void {
    const now = this.ctx.clock.now();
    const due = indices.filter((i) => now - (entry.requestedAt.get(i) ?? -Infinity) >= RESEND_AFTER_MS).slice(0, MAX_RESEND_CHUNKS);
    if (due.length === 0) return;
    for (const i of due) {
      const count = (entry.requestCount.get(i) ?? 0) + 1;
      if (count > MAX_CHUNK_RETRIES) {
        void this.giveUp(fileId, entry, 'RESEND_EXHAUSTED');
        return;
      }
      entry.requestCount.set(i, count);
      entry.requestedAt.set(i, now);
    }
    const ranges: [number, number][] = [];
    for (const i of due.sort((a, b) => a - b)) {
      const last = ranges.at(-1);
      if (last !== undefined && last[1] === i) last[1] = i + 1;
      else if (ranges.length < MAX_RESEND_RANGES) ranges.push([i, i + 1]);
    }
    void this.session.sendEphemeral({ t: 'file-resend', ts: now, file: fileId, ranges }).catch(() => undefined);
  }

  /**
   * Checks an accepted transfer every {@link RESEND_AFTER_MS}: without progress while
   * connected it asks for the chunks after the last one written (a lost last chunk, a sender
   * that never got my accept); after {@link MAX_STALLED_ROUNDS} such rounds it gives up.
   */
  private armWatchdog(fileId: string, entry: Incoming): void {
    entry.watchdog = this.ctx.clock.setTimeout(() => {
      entry.watchdog = undefined;
      void this.session.locked(async () => {
        if (entry.state !== 'accepted' && entry.state !== 'transferring') return;
        const now = this.ctx.clock.now();
        if (!this.session.isReady()) entry.lastProgressAt = now; // a disconnection is no stall
        else if (now - entry.lastProgressAt >= RESEND_AFTER_MS) {
          entry.stalledRounds += 1;
          if (entry.stalledRounds > MAX_STALLED_ROUNDS) {
            await this.giveUp(fileId, entry, 'STALLED');
            return;
          }
          const missing: number[] = [];
          for (let i = entry.next; i < entry.manifest.chunkCount && missing.length < MAX_RESEND_CHUNKS; i += 1) if (!entry.reorder.has(i)) missing.push(i);
          this.requestResend(fileId, entry, missing);
        }
        this.armWatchdog(fileId, entry);
      });
    }, RESEND_AFTER_MS);
  }

  /** Chunk recovery exhausted: fail here and tell the sender, so it fails too. */
  private async giveUp(fileId: string, entry: Incoming, code: 'STALLED' | 'RESEND_EXHAUSTED'): Promise<void> {
    if (entry.state === 'complete' || entry.state === 'failed') return;
    await this.fail(fileId, entry, code);
    void this.session.sendEphemeral({ t: 'file-cancel', ts: this.ctx.clock.now(), file: fileId, code }).catch(() => undefined);
  }

  private async finish(fileId: string, entry: Incoming): Promise<void> {
    try {
      await entry.hashing?.drain();
    } catch {
      await this.fail(fileId, entry, 'TRANSFER_FAILED');
      return;
    }
    // Closing the client or the sender leaving may fail the transfer (outside the room
    // lock) while this waits: a failed transfer stays failed.
    if (!isActive(entry)) return;
    const digest = await entry.digest!.finish();
    if (!isActive(entry)) return;
    if (digest === undefined || !equalBytes(digest, entry.manifest.digest)) {
      await this.fail(fileId, entry, 'HASH_MISMATCH');
      return;
    }
    await entry.writer!.close().catch(() => undefined);
    if (!isActive(entry)) return;
    entry.state = 'complete';
    if (entry.watchdog !== undefined) this.ctx.clock.clearTimeout(entry.watchdog);
    entry.watchdog = undefined;
    await this.setItemTransfer(entry, 'complete', false);
    this.ctx.events.emit('file-complete', { roomId: this.session.id, fileId, direction: 'receive', sha256: toHex(digest) });
    entry.settle?.resolve();
  }

  private async fail(fileId: string, entry: Incoming, code: string): Promise<void> {
    if (entry.state === 'complete' || entry.state === 'failed') return;
    entry.state = 'failed';
    if (entry.watchdog !== undefined) this.ctx.clock.clearTimeout(entry.watchdog);
    entry.watchdog = undefined;
    await entry.writer?.abort(code).catch(() => undefined);
    await this.setItemTransfer(entry, 'failed', false);
    this.ctx.events.emit('file-failed', { roomId: this.session.id, fileId, direction: 'receive', code });
    entry.settle?.reject(new SealroomClientError(code === 'HASH_MISMATCH' ? 'HASH_MISMATCH' : 'TRANSFER_FAILED', code));
  }

  private async setItemTransfer(entry: Incoming, transfer: FileTransferState, lock = true): Promise<void> {
    const update = () => this.session.updateItem(entry.itemId, (item) => (item.kind === 'file' ? { ...item, transfer } : item));
    if (lock) await this.session.locked(update);
    else await update();
  }

  onMemberGone(id: string): void {
    for (const [fileId, entry] of this.incoming) {
      if (entry.senderId === id) void this.fail(fileId, entry, 'SENDER_GONE');
    }
    // A receiver that left no longer paces my sending.
    for (const out of this.outgoing.values()) {
      if (out.receivers.delete(id)) out.wake?.();
    }
  }

  onReady(): void {
    // Nothing to resume for receivers: a sender resends from the first unacknowledged chunk.
  }

  stopAll(code: string): void {
    for (const out of this.outgoing.values()) {
      out.stopped = true;
      out.wake?.();
    }
    for (const [fileId, entry] of this.incoming) void this.fail(fileId, entry, code);
  }
}
