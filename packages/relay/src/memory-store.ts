import { DEFAULT_RETENTION, type RetentionLimits } from './options.js';
import type {
  HistoryPage,
  RemoteEnvelopeListener,
  RetainedEnvelope,
  RoomKey,
  RoomStore,
  StoreStats,
} from './store.js';

/**
 * A new room's cursors start above `nowMs × CURSOR_BASE_PER_MS`, so a room that was
 * evicted and comes back later never reuses a cursor a client still remembers (a
 * client asking "after 50" must not miss the new room's first 50 envelopes).
 * 1024 per ms keeps cursors below 2^53 until the year 2245.
 */
const CURSOR_BASE_PER_MS = 1024;
/** Compact a queue once this many dropped slots sit at its front. */
const COMPACT_MIN_SLOTS = 1024;

interface Entry extends RetainedEnvelope {
  envelope: Uint8Array;
  readonly atMs: number;
  readonly room: MemoryRoom;
  dropped: boolean;
}

interface MemoryRoom {
  readonly key: RoomKey;
  admissionKey: Uint8Array | undefined;
  /** Latest cursor assigned; 0 until the first envelope. */
  head: number;
  /** Cursors of this incarnation of the room start above it. */
  readonly base: number;
  trimmedUpTo: number;
  /** Retained entries, oldest first, from index `start`. */
  entries: Entry[];
  start: number;
  bytes: number;
  maxAgeMs: number;
  lastActivityMs: number;
  subscribers: number;
}

const EMPTY = new Uint8Array(0);

/**
 * The default store: everything in this process's memory, bounded by the retention
 * limits, gone on restart. The envelope arrays passed to `append` are kept as they
 * are (no copy): callers must not modify them afterwards.
 */
export class MemoryRoomStore implements RoomStore {
  private readonly rooms = new Map<RoomKey, MemoryRoom>();
  private readonly retention: RetentionLimits;
  /** Every retained entry over all rooms in append order, for the overall byte bound. */
  private globalQueue: Entry[] = [];
  private globalStart = 0;
  private globalDropped = 0;
  private totalBytes = 0;
  private totalEnvelopes = 0;

  constructor(retention: Partial<RetentionLimits> = {}) {
    this.retention = { ...DEFAULT_RETENTION, ...retention };
  }

  async admissionKey(room: RoomKey): Promise<Uint8Array | undefined> {
    return this.rooms.get(room)?.admissionKey;
  }

  async claimAdmissionKey(room: RoomKey, key: Uint8Array): Promise<Uint8Array> {
    const state = this.room(room, Date.now());
    state.admissionKey ??= Uint8Array.from(key);
    return state.admissionKey;
  }

  async append(room: RoomKey, envelope: Uint8Array, nowMs: number): Promise<number> {
    const state = this.room(room, nowMs);
    state.head = Math.max(state.head, state.base) + 1;
    state.lastActivityMs = nowMs;
    const entry: Entry = { cursor: state.head, envelope, atMs: nowMs, room: state, dropped: false };
    state.entries.push(entry);
    state.bytes += envelope.byteLength;
    this.globalQueue.push(entry);
    this.totalBytes += envelope.byteLength;
    this.totalEnvelopes += 1;
    this.trimRoom(state, nowMs);
    this.trimTotal();
    return entry.cursor;
  }

  async readAfter(room: RoomKey, after: number, limit: number, nowMs: number): Promise<HistoryPage> {
    const state = this.rooms.get(room);
    if (!state) return { entries: [], trimmedUpTo: 0, head: 0, more: false };
    this.trimRoom(state, nowMs);
    const { entries } = state;
    // Cursors increase along the array: binary search the first one after `after`.
    let lo = state.start;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (entries[mid]!.cursor <= after) lo = mid + 1;
      else hi = mid;
    }
    const end = Math.min(entries.length, lo + Math.max(0, limit));
    const page: RetainedEnvelope[] = [];
    for (let i = lo; i < end; i++) {
      const entry = entries[i]!;
      page.push({ cursor: entry.cursor, envelope: entry.envelope });
    }
    return { entries: page, trimmedUpTo: state.trimmedUpTo, head: state.head, more: end < entries.length };
  }

  async setMaxAge(room: RoomKey, maxAgeMs: number): Promise<void> {
    const state = this.room(room, Date.now());
    state.maxAgeMs = Math.min(state.maxAgeMs, maxAgeMs, this.retention.maxAgeMs);
    this.trimRoom(state, Date.now());
  }

  async subscribe(room: RoomKey): Promise<void> {
    this.room(room, Date.now()).subscribers += 1;
  }

  async unsubscribe(room: RoomKey): Promise<void> {
    const state = this.rooms.get(room);
    if (!state) return;
    state.subscribers = Math.max(0, state.subscribers - 1);
    state.lastActivityMs = Date.now();
  }

  // One process: nothing ever arrives from elsewhere.
  onRemoteEnvelope(_listener: RemoteEnvelopeListener): void {}

  async sweep(nowMs: number): Promise<void> {
    for (const state of this.rooms.values()) {
      this.trimRoom(state, nowMs);
      if (state.subscribers === 0 && nowMs - state.lastActivityMs >= this.retention.idleRoomMs) this.forget(state);
    }
    this.compactGlobal(true);
  }

  stats(): StoreStats {
    return {
      rooms: this.rooms.size,
      retainedEnvelopes: this.totalEnvelopes,
      retainedBytes: this.totalBytes,
      backendUp: true,
    };
  }

  async close(): Promise<void> {
    this.rooms.clear();
    this.globalQueue = [];
    this.globalStart = 0;
    this.globalDropped = 0;
    this.totalBytes = 0;
    this.totalEnvelopes = 0;
  }

  private room(key: RoomKey, nowMs: number): MemoryRoom {
    let state = this.rooms.get(key);
    if (!state) {
      if (this.rooms.size >= this.retention.maxRooms) this.forgetOldestUnused();
      state = {
        key,
        admissionKey: undefined,
        head: 0,
        base: Math.max(0, Math.floor(nowMs)) * CURSOR_BASE_PER_MS,
        trimmedUpTo: 0,
        entries: [],
        start: 0,
        bytes: 0,
        maxAgeMs: this.retention.maxAgeMs,
        lastActivityMs: nowMs,
        subscribers: 0,
      };
      this.rooms.set(key, state);
    }
    return state;
  }

  /** Forgets the oldest room without subscribers (Maps iterate in insertion order). */
  private forgetOldestUnused(): void {
    for (const state of this.rooms.values()) {
      if (state.subscribers > 0) continue;
      this.forget(state);
      return;
    }
  }

  private forget(state: MemoryRoom): void {
    while (state.start < state.entries.length) this.dropOldest(state);
    this.rooms.delete(state.key);
  }

  private trimRoom(state: MemoryRoom, nowMs: number): void {
    const { maxEnvelopesPerRoom, maxBytesPerRoom } = this.retention;
    const oldestKeptMs = nowMs - state.maxAgeMs;
    while (state.start < state.entries.length) {
      const oldest = state.entries[state.start]!;
      const count = state.entries.length - state.start;
      if (count > maxEnvelopesPerRoom || state.bytes > maxBytesPerRoom || oldest.atMs <= oldestKeptMs) {
        this.dropOldest(state);
      } else break;
    }
    if (state.start >= COMPACT_MIN_SLOTS && state.start * 2 >= state.entries.length) {
      state.entries = state.entries.slice(state.start);
      state.start = 0;
    }
  }

  private dropOldest(state: MemoryRoom): void {
    const entry = state.entries[state.start]!;
    state.entries[state.start] = undefined as unknown as Entry;
    state.start += 1;
    state.bytes -= entry.envelope.byteLength;
    state.trimmedUpTo = entry.cursor;
    this.totalBytes -= entry.envelope.byteLength;
    this.totalEnvelopes -= 1;
    // The global queue still points at the entry until it reaches its front; let the
    // bytes go now.
    entry.envelope = EMPTY;
    entry.dropped = true;
    this.globalDropped += 1;
    this.compactGlobal(false);
  }

  private trimTotal(): void {
    while (this.totalBytes > this.retention.maxTotalBytes && this.globalStart < this.globalQueue.length) {
      const entry = this.globalQueue[this.globalStart]!;
      if (entry.dropped) {
        this.globalQueue[this.globalStart] = undefined as unknown as Entry;
        this.globalStart += 1;
        this.globalDropped -= 1;
        continue;
      }
      // Rooms and the global queue share append order, so the globally oldest live
      // entry is always the oldest of its room.
      this.dropOldest(entry.room);
    }
  }

  /** Keeps the global queue's dropped slots from growing without bound. */
  private compactGlobal(force: boolean): void {
    const live = this.globalQueue.length - this.globalStart - this.globalDropped;
    if (!force && (this.globalDropped < COMPACT_MIN_SLOTS || this.globalDropped < live)) return;
    this.globalQueue = this.globalQueue.slice(this.globalStart).filter((entry) => !entry.dropped);
    this.globalStart = 0;
    this.globalDropped = 0;
  }
}
