/**
 * Receiving files (PROTOCOL C.6). An accepted file is written to the caller's sink chunk by
 * chunk in index order, each write awaited before the next chunk is opened, and checked
 * against the digest trailer of the manifest's sender before it counts as complete. The receiver hashes a chunk
 * while it writes it and the next one arrives ({@link HASH_AHEAD} hashes at most).
 *
 * Chunk recovery: a chunk that fails verification or never arrives is asked for again; a
 * transfer that cannot be recovered fails with a typed reason, never a silent wait.
 */
import { FileDigest, equalBytes, importFileKey, openFileChunk, peekFileChunk, toBase64Url, toHex, type FileManifest } from '@sealroom/protocol';
import type { FileMessage, FileTransferState } from './api.js';
import type { FileFailureCode } from './codes.js';
import { SealroomClientError } from './errors.js';
import { PROGRESS_EVERY_CHUNKS } from './file-flow-control.js';
import { HASH_AHEAD, type FileRoom } from './file-room.js';
import { JobWindow } from './job-window.js';
import { MAX_RESEND_CHUNKS, MAX_RESEND_RANGES } from './payloads.js';

/** Out-of-order chunks a receiver holds while waiting for a resent one (16 × 256 KiB). */
const MAX_REORDER_CHUNKS = 16;
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

/** What each failure means, for the rejection's message (the reason itself is its `reason`). */
const FAILURE_DETAIL: Record<FileFailureCode, string> = {
  TRANSFER_FAILED: 'the file transfer failed',
  HASH_MISMATCH: 'the received file does not match the digest its sender signed',
  SINK_FAILED: 'the sink refused a write',
  RESEND_EXHAUSTED: 'a chunk never arrived intact, however often it was asked for again',
  STALLED: 'the transfer made no progress while connected',
  CANCELLED: 'the sender cancelled the transfer',
  SENDER_GONE: 'the sender left the room',
  ROOM_INACTIVE: 'the room is no longer active here',
  CLOSED: 'the client was locked or closed',
};

interface Incoming {
  manifest: FileManifest;
  senderId: string;
  /** The digest the manifest's sender announced after its last chunk. */
  trailer?: Uint8Array;
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

export class FileReceiver {
  private readonly incoming = new Map<string, Incoming>();

  constructor(private readonly room: FileRoom) {}

  /** Who offered this file id to me, if anyone did (identity id). */
  offeredBy(fileId: string): string | undefined {
    return this.incoming.get(fileId)?.senderId;
  }

  onOffer(manifest: FileManifest, senderId: string, item: FileMessage): void {
    const fileId = toBase64Url(manifest.fileId);
    this.incoming.set(fileId, {
      manifest,
      senderId,
      itemId: item.id,
      state: 'offered',
      next: 0,
      bytes: 0,
      reorder: new Map(),
      requestedAt: new Map(),
      requestCount: new Map(),
      lastProgressAt: 0,
      stalledRounds: 0,
    });
  }

  async accept(fileId: string, sink: WritableStream<Uint8Array>): Promise<void> {
    const { room } = this;
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
      await room.locked(() => this.finish(fileId, entry));
      return done;
    }
    try {
      await room.sendGroup({ t: 'file-accept', ts: room.clock.now(), file: fileId });
      entry.lastProgressAt = room.clock.now();
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
    await this.room.sendGroup({ t: 'file-decline', ts: this.room.clock.now(), file: fileId }).catch(() => undefined);
  }

  /** The file's sender cancelled it. */
  async onCancel(fileId: string, from: string): Promise<void> {
    const entry = this.incoming.get(fileId);
    if (entry !== undefined && entry.senderId === from) await this.fail(fileId, entry, 'CANCELLED');
  }

  /** The digest trailer of a file (only its manifest's sender's counts); called under the room lock. */
  async onDigest(fileId: string, digest: Uint8Array, from: string): Promise<void> {
    const entry = this.incoming.get(fileId);
    if (entry === undefined || entry.senderId !== from || entry.trailer !== undefined) return;
    entry.trailer = digest;
    if (isActive(entry) && entry.next === entry.manifest.chunkCount) await this.finish(fileId, entry);
  }

  /** A file-chunk envelope (chunks name no sender); called under the room lock. */
  async onChunk(envelope: Uint8Array): Promise<void> {
    const { room } = this;
    const peeked = peekFileChunk(envelope);
    if (!peeked.ok) return room.warn('bad-message', null, peeked.code, 'a file chunk does not parse');
    const fileId = toBase64Url(peeked.fileId);
    const entry = this.incoming.get(fileId);
    // Chunks of files I did not accept are not mine to open.
    if (entry === undefined || !isActive(entry)) return;
    const opened = await openFileChunk({ manifest: entry.manifest, fileKey: entry.fileKey!, envelope });
    if (!opened.ok) {
      room.warn('bad-message', entry.senderId, opened.code, 'a file chunk failed verification and was dropped');
      // The (unverified) index only chooses what to ask for again: the resend is verified.
      const index = peeked.index;
      if (index >= entry.next && index < entry.manifest.chunkCount && !entry.reorder.has(index)) this.requestResend(fileId, entry, [index]);
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
      entry.lastProgressAt = room.clock.now();
      entry.stalledRounds = 0;
      if (entry.next % PROGRESS_EVERY_CHUNKS === 0 || entry.next === entry.manifest.chunkCount) {
        // Not awaited: it queues behind the envelope being processed (same room lock).
        void room.sendGroup({ t: 'file-progress', ts: room.clock.now(), file: fileId, next: entry.next }).catch(() => undefined);
      }
      room.events.emit('file-progress', { roomId: room.roomId, fileId, direction: 'receive', bytes: entry.bytes, total: entry.manifest.size });
      data = entry.reorder.get(entry.next);
      entry.reorder.delete(entry.next);
    }
    if (entry.next === entry.manifest.chunkCount) await this.finish(fileId, entry);
  }

  /** The sender of files I receive left or was removed: those transfers fail. */
  onMemberGone(identityId: string): void {
    for (const [fileId, entry] of this.incoming) {
      if (entry.senderId === identityId) void this.fail(fileId, entry, 'SENDER_GONE');
    }
  }

  stopAll(code: FileFailureCode): void {
    for (const [fileId, entry] of this.incoming) void this.fail(fileId, entry, code);
  }

  /**
   * Asks the sender to resend chunks (a `file-resend` with index ranges), skipping those asked
   * for within {@link RESEND_AFTER_MS}. A chunk asked for more than {@link MAX_CHUNK_RETRIES}
   * times fails the transfer. Called under the room lock: the request is not awaited.
   */
  private requestResend(fileId: string, entry: Incoming, indices: number[]): void {
    const now = this.room.clock.now();
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
    void this.room.sendGroup({ t: 'file-resend', ts: now, file: fileId, ranges }).catch(() => undefined);
  }

  /**
   * Checks an accepted transfer every {@link RESEND_AFTER_MS}: without progress while
   * connected it asks for the chunks after the last one written (a lost last chunk, a sender
   * that never got my accept); after {@link MAX_STALLED_ROUNDS} such rounds it gives up.
   */
  private armWatchdog(fileId: string, entry: Incoming): void {
    const { room } = this;
    entry.watchdog = room.clock.setTimeout(() => {
      entry.watchdog = undefined;
      void room.locked(async () => {
        if (!isActive(entry)) return;
        const now = room.clock.now();
        if (!room.isReady())
          entry.lastProgressAt = now; // a disconnection is no stall
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
  private async giveUp(fileId: string, entry: Incoming, code: Extract<FileFailureCode, 'STALLED' | 'RESEND_EXHAUSTED'>): Promise<void> {
    if (entry.state === 'complete' || entry.state === 'failed') return;
    await this.fail(fileId, entry, code);
    void this.room.sendGroup({ t: 'file-cancel', ts: this.room.clock.now(), file: fileId, code }).catch(() => undefined);
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
    // Every chunk is here; the sender's trailer comes after its last chunk.
    if (entry.trailer === undefined) return;
    const digest = await entry.digest!.finish();
    if (!isActive(entry)) return;
    if (digest === undefined || !equalBytes(digest, entry.trailer)) {
      await this.fail(fileId, entry, 'HASH_MISMATCH');
      return;
    }
    await entry.writer!.close().catch(() => undefined);
    if (!isActive(entry)) return;
    entry.state = 'complete';
    this.stopWatchdog(entry);
    await this.setItemTransfer(entry, 'complete', false);
    this.room.events.emit('file-complete', { roomId: this.room.roomId, fileId, direction: 'receive', sha256: toHex(digest) });
    entry.settle?.resolve();
  }

  private async fail(fileId: string, entry: Incoming, code: FileFailureCode): Promise<void> {
    if (entry.state === 'complete' || entry.state === 'failed') return;
    entry.state = 'failed';
    this.stopWatchdog(entry);
    await entry.writer?.abort(code).catch(() => undefined);
    await this.setItemTransfer(entry, 'failed', false);
    this.room.events.emit('file-failed', { roomId: this.room.roomId, fileId, direction: 'receive', code });
    const error = code === 'HASH_MISMATCH' ? 'HASH_MISMATCH' : 'TRANSFER_FAILED';
    entry.settle?.reject(new SealroomClientError(error, FAILURE_DETAIL[code], { reason: code }));
  }

  private stopWatchdog(entry: Incoming): void {
    if (entry.watchdog !== undefined) this.room.clock.clearTimeout(entry.watchdog);
    entry.watchdog = undefined;
  }

  private async setItemTransfer(entry: Incoming, transfer: FileTransferState, lock = true): Promise<void> {
    const update = () => this.room.timeline.update(entry.itemId, (item) => (item.kind === 'file' ? { ...item, transfer } : item));
    if (lock) await this.room.locked(update);
    else await update();
  }
}
