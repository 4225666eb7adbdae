/**
 * The relay's in-memory `RoomStore`: rooms, admission keys and retained envelopes in this
 * process, bounded by the retention limits (per room and in total), gone on restart. How one
 * room's envelopes sit in slabs: memory-room.ts.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_RETENTION, type RetentionLimits } from './options.js';
import { ForgottenRooms } from './forgotten-rooms.js';
import { mergePinned } from './pins.js';
import type { ClaimRefusal, HistoryPage, PinnedAppend, RemoteEnvelopeListener, RetainedEnvelope, RoomKey, RoomStore, StoreStats } from './store.js';
import { COPY_BELOW_BYTES, compactSlabs, EMPTY, MAX_HELD_PER_KEPT, MAX_SLAB_BYTES, MIN_SLAB_BYTES, type MemoryRoom } from './memory-room.js';

/**
 * Random bytes that start every epoch this store hands out: a relay restarted in memory
 * has lost every room's history, and its new epochs must differ from all it gave before.
 */
const EPOCH_PREFIX_BYTES = 12;
/** Compact a queue once this many dropped slots sit at its front. */
const COMPACT_MIN_SLOTS = 1024;
/**
 * The default store: everything in this process's memory, bounded by the retention
 * limits, gone on restart. Envelopes shorter than {@link COPY_BELOW_BYTES} are copied
 * into per-room slabs; longer ones are kept as they are (no copy): callers must not modify
 * them afterwards, and should pass a buffer of their own rather than a view into a larger
 * one, which retention would pin.
 */
export class MemoryRoomStore implements RoomStore {
  private readonly rooms = new Map<RoomKey, MemoryRoom>();
  private readonly retention: RetentionLimits;
  /**
   * Every retained envelope over all rooms in append order (room and cursor), for the
   * overall byte bound. Entries a room dropped on its own stay until they reach the front
   * or a compaction: an entry is live if its room is and still holds that cursor.
   */
  private globalRooms: MemoryRoom[] = [];
  private globalCursors: number[] = [];
  private globalStart = 0;
  private totalBytes = 0;
  private totalEnvelopes = 0;
  private totalHeld = 0;
  private pinnedEnvelopes = 0;
  private pinnedBytes = 0;
  private readonly epochPrefix = randomBytes(EPOCH_PREFIX_BYTES).toString('base64url');
  private incarnations = 0;
  private readonly forgotten: ForgottenRooms;

  constructor(retention: Partial<RetentionLimits> = {}) {
    this.retention = { ...DEFAULT_RETENTION, ...retention };
    this.forgotten = new ForgottenRooms(this.retention);
  }

  async admissionKey(room: RoomKey): Promise<Uint8Array | undefined> {
    return this.rooms.get(room)?.admissionKey;
  }

  async claimAdmissionKey(room: RoomKey, key: Uint8Array, maxAgeMs: number): Promise<Uint8Array | ClaimRefusal> {
    const nowMs = Date.now();
    let state = this.rooms.get(room);
    if (state?.admissionKey !== undefined) return state.admissionKey;
    if (!this.forgotten.allows(room, key, nowMs)) return { ok: false, code: 'NOT_ORIGINAL_KEY' };
    if (state === undefined && this.rooms.size >= this.retention.maxRooms && !this.forgetOldestUnused(nowMs)) {
      return { ok: false, code: 'STORE_FULL' };
    }
    state ??= this.room(room, nowMs);
    state.admissionKey = Uint8Array.from(key);
    state.maxAgeMs = Math.min(maxAgeMs, this.retention.maxAgeMs);
    this.forgotten.release(room);
    return state.admissionKey;
  }

  async appendPinned(room: RoomKey, envelope: Uint8Array, nowMs: number): Promise<PinnedAppend> {
    const state = this.room(room, nowMs);
    if (state.pinned.length >= this.retention.maxPinnedPerRoom) return { ok: false, code: 'PIN_LIMIT' };
    state.head += 1;
    state.lastActivityMs = nowMs;
    state.pinned.push({ cursor: state.head, envelope: Uint8Array.from(envelope) });
    this.pinnedEnvelopes += 1;
    this.pinnedBytes += envelope.byteLength;
    return { ok: true, cursor: state.head };
  }

  async append(room: RoomKey, envelope: Uint8Array, nowMs: number): Promise<number> {
    const state = this.room(room, nowMs);
    state.head += 1;
    state.lastActivityMs = nowMs;
    const length = envelope.byteLength;
    if (length >= COPY_BELOW_BYTES) {
      state.buffers.push(envelope);
      state.offsets.push(0);
      this.hold(state, length);
    } else {
      if (state.slabUsed + length > state.slab.length) {
        // The full slab stays held while any of its envelopes is kept.
        if (!state.slabRefs.has(state.slab)) this.hold(state, -state.slab.length);
        state.slab = new Uint8Array(Math.max(length, Math.min(MAX_SLAB_BYTES, Math.max(MIN_SLAB_BYTES, state.bytes >>> 1))));
        state.slabUsed = 0;
        this.hold(state, state.slab.length);
      }
      state.slab.set(envelope, state.slabUsed);
      state.buffers.push(state.slab);
      state.offsets.push(state.slabUsed);
      state.slabRefs.set(state.slab, (state.slabRefs.get(state.slab) ?? 0) + 1);
      state.slabUsed += length;
    }
    state.cursors.push(state.head);
    state.atMs.push(nowMs);
    state.lengths.push(length);
    state.bytes += length;
    this.globalRooms.push(state);
    this.globalCursors.push(state.head);
    this.totalBytes += length;
    this.totalEnvelopes += 1;
    this.trimRoom(state, nowMs);
    this.trimTotal();
    return state.head;
  }

  async readAfter(room: RoomKey, after: number, limit: number, nowMs: number): Promise<HistoryPage> {
    const state = this.rooms.get(room);
    if (!state) return { entries: [], trimmedUpTo: 0, head: 0, more: false, epoch: undefined };
    this.trimRoom(state, nowMs);
    const { cursors } = state;
    // Cursors increase along the array: binary search the first one after `after`.
    let lo = state.start;
    let hi = cursors.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cursors[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    const end = Math.min(cursors.length, lo + Math.max(0, limit));
    const page: RetainedEnvelope[] = [];
    for (let i = lo; i < end; i++) {
      const offset = state.offsets[i]!;
      page.push({ cursor: cursors[i]!, envelope: state.buffers[i]!.subarray(offset, offset + state.lengths[i]!) });
    }
    const pinned = state.pinned.length === 0 ? state.pinned : state.pinned.filter((entry) => entry.cursor > after);
    const { entries, more } = mergePinned(page, end < cursors.length, pinned, limit);
    return { entries, trimmedUpTo: state.trimmedUpTo, head: state.head, more, epoch: state.epoch };
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
      if (state.subscribers === 0 && nowMs - state.lastActivityMs >= this.retention.idleRoomMs) this.forget(state, nowMs);
    }
    this.forgotten.sweep(nowMs);
    this.compactGlobal(true);
  }

  stats(): StoreStats {
    return {
      rooms: this.rooms.size,
      retainedEnvelopes: this.totalEnvelopes + this.pinnedEnvelopes,
      retainedBytes: this.totalBytes + this.pinnedBytes,
      backendUp: true,
    };
  }

  /** Memory held for retained envelopes (slab capacity and large envelopes), in bytes. */
  heldBytes(): number {
    return this.totalHeld;
  }

  async close(): Promise<void> {
    this.rooms.clear();
    this.globalRooms = [];
    this.globalCursors = [];
    this.globalStart = 0;
    this.totalBytes = 0;
    this.totalEnvelopes = 0;
    this.totalHeld = 0;
    this.pinnedEnvelopes = 0;
    this.pinnedBytes = 0;
  }

  private room(key: RoomKey, nowMs: number): MemoryRoom {
    let state = this.rooms.get(key);
    if (!state) {
      // Registrations refuse with STORE_FULL before this; other ways in (a subscribe or an
      // append to a room forgotten meanwhile) make space where they can, never refuse.
      if (this.rooms.size >= this.retention.maxRooms) this.forgetOldestUnused(nowMs);
      state = {
        key,
        admissionKey: undefined,
        head: 0,
        epoch: `${this.epochPrefix}${(this.incarnations++).toString(36)}`,
        trimmedUpTo: 0,
        cursors: [],
        atMs: [],
        offsets: [],
        lengths: [],
        buffers: [],
        start: 0,
        bytes: 0,
        slab: EMPTY,
        slabUsed: 0,
        slabRefs: new Map(),
        held: 0,
        maxAgeMs: this.retention.maxAgeMs,
        pinned: [],
        lastActivityMs: nowMs,
        subscribers: 0,
        live: true,
      };
      this.rooms.set(key, state);
    }
    return state;
  }

  /**
   * Forgets the oldest room that nobody is in and that holds no envelope, retained or
   * pinned (Maps iterate in insertion order): a room with history is never given up for a
   * new registration. False when there is none.
   */
  private forgetOldestUnused(nowMs: number): boolean {
    for (const state of this.rooms.values()) {
      if (state.subscribers > 0 || state.pinned.length > 0 || state.start < state.cursors.length) continue;
      this.forget(state, nowMs);
      return true;
    }
    return false;
  }

  private forget(state: MemoryRoom, nowMs: number): void {
    if (state.admissionKey !== undefined) this.forgotten.remember(state.key, state.admissionKey, nowMs);
    while (state.start < state.cursors.length) this.dropOldest(state);
    for (const entry of state.pinned) this.pinnedBytes -= entry.envelope.byteLength;
    this.pinnedEnvelopes -= state.pinned.length;
    state.pinned = [];
    state.live = false;
    this.rooms.delete(state.key);
  }

  private trimRoom(state: MemoryRoom, nowMs: number): void {
    const { maxEnvelopesPerRoom, maxBytesPerRoom } = this.retention;
    const oldestKeptMs = nowMs - state.maxAgeMs;
    while (state.start < state.cursors.length) {
      const count = state.cursors.length - state.start;
      if (count > maxEnvelopesPerRoom || state.bytes > maxBytesPerRoom || state.atMs[state.start]! <= oldestKeptMs) {
        this.dropOldest(state);
      } else break;
    }
    if (state.start >= COMPACT_MIN_SLOTS && state.start * 2 >= state.cursors.length) {
      const from = state.start;
      state.cursors = state.cursors.slice(from);
      state.atMs = state.atMs.slice(from);
      state.offsets = state.offsets.slice(from);
      state.lengths = state.lengths.slice(from);
      state.buffers = state.buffers.slice(from);
      state.start = 0;
    }
  }

  private dropOldest(state: MemoryRoom): void {
    const index = state.start;
    const length = state.lengths[index]!;
    const buffer = state.buffers[index]!;
    // Let go of the buffer now (a slab is freed once none of its envelopes is retained).
    state.buffers[index] = EMPTY;
    state.start += 1;
    state.bytes -= length;
    state.trimmedUpTo = state.cursors[index]!;
    this.totalBytes -= length;
    this.totalEnvelopes -= 1;
    if (length >= COPY_BELOW_BYTES) this.hold(state, -length);
    else {
      const refs = state.slabRefs.get(buffer)! - 1;
      if (refs > 0) state.slabRefs.set(buffer, refs);
      else {
        state.slabRefs.delete(buffer);
        if (buffer !== state.slab) this.hold(state, -buffer.length);
      }
    }
    if (state.start === state.cursors.length) {
      // Nothing kept: the slab being filled goes too.
      this.hold(state, -state.slab.length);
      state.slabRefs.clear();
      state.slab = EMPTY;
      state.slabUsed = 0;
    } else if (state.held > MAX_HELD_PER_KEPT * state.bytes + MIN_SLAB_BYTES) this.hold(state, compactSlabs(state));
    this.compactGlobal(false);
  }

  private hold(state: MemoryRoom, bytes: number): void {
    state.held += bytes;
    this.totalHeld += bytes;
  }

  /** Whether the global queue's entry `index` is still retained by its room. */
  private globalLive(index: number): boolean {
    const state = this.globalRooms[index]!;
    return state.live && state.start < state.cursors.length && state.cursors[state.start]! <= this.globalCursors[index]!;
  }

  private trimTotal(): void {
    while (this.totalBytes > this.retention.maxTotalBytes && this.globalStart < this.globalRooms.length) {
      const index = this.globalStart;
      this.globalStart += 1;
      // Rooms and the global queue share append order, so the globally oldest live
      // entry is always the oldest of its room.
      if (this.globalLive(index)) this.dropOldest(this.globalRooms[index]!);
    }
  }

  /** Keeps the global queue's dropped entries from growing without bound. */
  private compactGlobal(force: boolean): void {
    const queued = this.globalRooms.length - this.globalStart;
    const dropped = queued - this.totalEnvelopes;
    if (!force && (dropped < COMPACT_MIN_SLOTS || dropped < this.totalEnvelopes)) return;
    const rooms: MemoryRoom[] = [];
    const cursors: number[] = [];
    for (let index = this.globalStart; index < this.globalRooms.length; index += 1) {
      if (!this.globalLive(index)) continue;
      rooms.push(this.globalRooms[index]!);
      cursors.push(this.globalCursors[index]!);
    }
    this.globalRooms = rooms;
    this.globalCursors = cursors;
    this.globalStart = 0;
  }
}
