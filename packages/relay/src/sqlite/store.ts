/**
 * The durable `RoomStore`: rooms, admission keys, retained and pinned envelopes and
 * forgotten room ids in an SQLite database (better-sqlite3) under the data directory, so a
 * restart or a crash loses nothing that was acknowledged (DESIGN.md §4).
 *
 * - **Writes are batched.** Every write (append, registration, sweep) joins the current
 *   batch; once the turn's I/O is done and the batch delay (`storage.batchDelayMs`, 1 ms by
 *   default) has passed, or at once when the batch is full (MAX_BATCH_WRITES, _BYTES), one
 *   transaction runs them all in call order and commits, and only then do their promises
 *   resolve — so the relay's ACK and fan-out come after the commit.
 *   If the commit fails, the batch's callers get the error (the relay answers UNAVAILABLE)
 *   and the store's state is what it was before.
 * - **Reads are immediate** and see only committed state (writes run only inside a batch).
 * - **Room state is cached** (head, counts, bytes) as it is in the table, so an append is
 *   one INSERT and, per batch, one UPDATE of each room it touched.
 * - **Deleted means gone from the file**: `secure_delete` zeroes what retention and
 *   forgetting delete, the sweep gives free pages back (`incremental_vacuum`) and cuts the
 *   write-ahead log to nothing (`wal_checkpoint(TRUNCATE)`), so the old pages it held go too.
 */
import type Database from 'better-sqlite3';
import { admissionKeyHash, matchesKeyHash } from '../forgotten-rooms.js';
import { DEFAULT_RETENTION, DEFAULT_STORAGE, type RetentionLimits, type StorageOptions } from '../options.js';
import { mergePinned } from '../pins.js';
import type { ClaimRefusal, HistoryPage, PinnedAppend, RemoteEnvelopeListener, RetainedEnvelope, RoomKey, RoomStore, StoreStats } from '../store.js';
import { openDatabase } from './database.js';
import { FlushTimer } from '../flush-timer.js';
import { expiredUpTo, trimRoom, trimTotal, type Room, type Totals } from './retention.js';
import { prepareStatements, type RoomRow, type Statements } from './statements.js';
import { MIB } from '@sealroom/units';

/**
 * Most writes in one transaction: a batch this full commits at once, without waiting for
 * the delay. Under overload the relay reads up to 2 MiB per socket in one event-loop turn
 * (libuv's read loop); unbounded, that backlog became one transaction of hundreds of
 * thousands of envelopes, a 13-second turn and a relay at 1 GiB (docs/BENCHMARKS.md).
 * The Redis store bounds its script calls the same way (redis/append-batch.ts).
 */
const MAX_BATCH_WRITES = 512;
/** Most envelope bytes in one transaction: SQLite keeps its pages in its cache until the commit. */
const MAX_BATCH_BYTES = 4 * MIB;

/** Rooms looked at per query when looking for one to forget for space. */
const EVICTION_SCAN_ROOMS = 64;

export interface SqliteStoreOptions {
  readonly dataDir: string;
  readonly retention?: Partial<RetentionLimits>;
  readonly storage?: Partial<StorageOptions>;
  /** Told when a commit fails (the store is then `backendUp: false` until one succeeds). */
  readonly onCommitError?: (err: unknown) => void;
}

interface PendingWrite {
  readonly run: () => unknown;
  readonly resolve: (value: never) => void;
  readonly reject: (err: unknown) => void;
}

export class SqliteRoomStore implements RoomStore {
  private readonly db: Database.Database;
  private readonly sql: Statements;
  private readonly retention: RetentionLimits;
  private readonly lineage: string;
  private readonly totals: Totals;
  private readonly cache = new Map<RoomKey, Room>();
  private readonly subscribers = new Map<RoomKey, number>();
  private pending: PendingWrite[] = [];
  /** Envelope bytes of the pending batch. */
  private pendingBytes = 0;
  private readonly flushTimer: FlushTimer;
  private closed = false;
  private backendUp = true;
  /** Rooms a batch changed, with their state before it (restored if the commit fails). */
  private touched = new Map<Room, RoomRow & { live: boolean }>();
  /** The database was restored from a backup when opened (every room got a new epoch). */
  readonly restored: boolean;
  readonly path: string;

  constructor(private readonly options: SqliteStoreOptions) {
    this.retention = { ...DEFAULT_RETENTION, ...options.retention };
    const storage = { ...DEFAULT_STORAGE, ...options.storage };
    const opened = openDatabase(options.dataDir, storage.synchronous);
    this.flushTimer = new FlushTimer(() => this.flush(), storage.batchDelayMs);
    this.db = opened.db;
    this.path = opened.path;
    this.lineage = opened.lineage;
    this.restored = opened.restored;
    this.sql = prepareStatements(this.db);
    const counts = this.sql.totals.get() as { rooms: number; envelopes: number; bytes: number; pinned: number; pinnedBytes: number };
    this.totals = { ...counts, forgotten: this.sql.forgottenCount.get() as number, incarnations: opened.incarnations };
  }

  // ---- reads: immediate, committed state ---------------------------------------------

  async admissionKey(room: RoomKey): Promise<Uint8Array | undefined> {
    return this.load(room)?.admission_key ?? undefined;
  }

  async readAfter(room: RoomKey, after: number, limit: number, nowMs: number): Promise<HistoryPage> {
    const state = this.load(room);
    if (state === undefined) return { entries: [], trimmedUpTo: 0, head: 0, more: false, epoch: undefined };
    // Envelopes past their age may still be in the table until the next write or sweep
    // trims them: they are not served, and count as trimmed.
    const trimmedUpTo = Math.max(state.trimmed_up_to, expiredUpTo(this.sql, state, nowMs));
    const from = Math.max(after, trimmedUpTo);
    const take = Math.max(0, limit);
    const rows = take === 0 ? [] : (this.sql.page.all(state.id, from, take + 1) as { cursor: number; body: Buffer }[]);
    const retainedMore = take === 0 ? state.envelopes > 0 && state.head > from : rows.length > take;
    const page: RetainedEnvelope[] = rows.slice(0, take).map((row) => ({ cursor: row.cursor, envelope: row.body }));
    const pinned = state.pinned === 0 ? [] : (this.sql.pinsAfter.all(state.id, after) as { cursor: number; body: Buffer }[]);
    const { entries, more } = mergePinned(
      page,
      retainedMore,
      pinned.map((row) => ({ cursor: row.cursor, envelope: row.body })),
      take,
    );
    return { entries, trimmedUpTo, head: state.head, more, epoch: state.epoch };
  }

  stats(): StoreStats {
    const { totals } = this;
    return {
      rooms: totals.rooms,
      retainedEnvelopes: totals.envelopes + totals.pinned,
      retainedBytes: totals.bytes + totals.pinnedBytes,
      backendUp: this.backendUp,
    };
  }

  // ---- writes: batched per turn, resolved after the commit ---------------------------

  claimAdmissionKey(room: RoomKey, key: Uint8Array, maxAgeMs: number): Promise<Uint8Array | ClaimRefusal> {
    return this.write((): Uint8Array | ClaimRefusal => {
      const nowMs = Date.now();
      let state = this.load(room);
      if (state?.admission_key != null) return state.admission_key;
      const forgotten = this.sql.forgottenGet.get(room) as { key_hash: string; at_ms: number } | undefined;
      if (forgotten !== undefined && nowMs - forgotten.at_ms < this.retention.forgottenRoomMemoryMs && !matchesKeyHash(key, forgotten.key_hash)) {
        return { ok: false, code: 'NOT_ORIGINAL_KEY' };
      }
      if (state === undefined && this.totals.rooms >= this.retention.maxRooms && !this.forgetOneForSpace(nowMs)) {
        return { ok: false, code: 'STORE_FULL' };
      }
      state = this.touch(state ?? this.create(room, nowMs));
      state.admission_key = Buffer.from(key);
      state.max_age_ms = Math.min(maxAgeMs, this.retention.maxAgeMs);
      if (forgotten !== undefined && this.sql.forgottenDelete.run(room).changes > 0) this.totals.forgotten -= 1;
      return state.admission_key;
    });
  }

  append(room: RoomKey, envelope: Uint8Array, nowMs: number): Promise<number> {
    const body = toBuffer(envelope);
    return this.write(() => {
      const state = this.touch(this.load(room) ?? this.create(room, nowMs));
      state.head += 1;
      state.last_activity_ms = nowMs;
      this.sql.insertEnvelope.run(state.id, state.head, nowMs, body.byteLength, body);
      if (state.envelopes === 0) state.oldest_at_ms = nowMs;
      state.envelopes += 1;
      state.bytes += body.byteLength;
      this.totals.envelopes += 1;
      this.totals.bytes += body.byteLength;
      return state.head;
    }, body.byteLength);
  }

  appendPinned(room: RoomKey, envelope: Uint8Array, nowMs: number): Promise<PinnedAppend> {
    const body = toBuffer(envelope);
    return this.write((): PinnedAppend => {
      const state = this.touch(this.load(room) ?? this.create(room, nowMs));
      if (state.pinned >= this.retention.maxPinnedPerRoom) return { ok: false, code: 'PIN_LIMIT' };
      state.head += 1;
      state.last_activity_ms = nowMs;
      this.sql.insertPin.run(state.id, state.head, body);
      state.pinned += 1;
      state.pinned_bytes += body.byteLength;
      this.totals.pinned += 1;
      this.totals.pinnedBytes += body.byteLength;
      return { ok: true, cursor: state.head };
    }, body.byteLength);
  }

  async subscribe(room: RoomKey): Promise<void> {
    this.subscribers.set(room, (this.subscribers.get(room) ?? 0) + 1);
  }

  async unsubscribe(room: RoomKey): Promise<void> {
    const left = (this.subscribers.get(room) ?? 1) - 1;
    if (left > 0) this.subscribers.set(room, left);
    else this.subscribers.delete(room);
    const nowMs = Date.now();
    // The room's idle time starts now (kept across a restart like everything else).
    if (this.load(room) !== undefined) {
      await this.write(() => {
        const state = this.load(room);
        if (state !== undefined) this.touch(state).last_activity_ms = Math.max(state.last_activity_ms, nowMs);
      });
    }
  }

  // One process per data directory: nothing ever arrives from elsewhere.
  onRemoteEnvelope(_listener: RemoteEnvelopeListener): void {}

  async sweep(nowMs: number): Promise<void> {
    await this.write(() => {
      for (const room of this.sql.roomsWithExpired.all(nowMs) as string[]) {
        const state = this.load(room);
        if (state !== undefined) trimRoom(this.retention, this.sql, this.totals, this.touch(state), nowMs);
      }
      const idleBefore = nowMs - this.retention.idleRoomMs;
      for (const room of this.sql.idleRooms.all(idleBefore) as string[]) {
        const state = this.load(room);
        if (state !== undefined && !this.subscribers.has(room)) this.forget(state, nowMs);
      }
      this.totals.forgotten -= this.sql.forgottenExpire.run(nowMs - this.retention.forgottenRoomMemoryMs).changes;
    });
    if (this.closed) return;
    // Outside a transaction: hand free pages back to the file system, then move the log
    // into the database and truncate it, so what was deleted leaves the log file too.
    try {
      this.db.pragma('incremental_vacuum');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      // A reader (an online backup) can keep the checkpoint from finishing; the next sweep tries again.
      this.options.onCommitError?.(err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }

  // ---- the batch ---------------------------------------------------------------------

  /** Queues `run` (which writes `bytes` of envelopes) for the batch; it resolves after the commit. */
  private write<T>(run: () => T, bytes = 0): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the room store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run, resolve: resolve as (value: never) => void, reject });
      this.pendingBytes += bytes;
      if (this.pending.length >= MAX_BATCH_WRITES || this.pendingBytes >= MAX_BATCH_BYTES) this.flush();
      // After this turn's I/O callbacks at the earliest: everything they wrote commits at once.
      else this.flushTimer.arm();
    });
  }

  private flush(): void {
    this.flushTimer.cancel();
    if (this.closed || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const totalsBefore = { ...this.totals };
    const results: unknown[] = [];
    try {
      this.db.transaction(() => {
        for (const write of batch) results.push(write.run());
        this.finishBatch(Date.now(), totalsBefore.incarnations);
      })();
    } catch (err) {
      this.rollBack(totalsBefore);
      this.backendUp = false;
      this.options.onCommitError?.(err);
      for (const write of batch) write.reject(err);
      return;
    }
    this.touched.clear();
    this.backendUp = true;
    batch.forEach((write, index) => write.resolve(results[index] as never));
  }

  /** Inside the batch's transaction, after its writes: trims, bounds, and the rows it changed. */
  private finishBatch(nowMs: number, incarnationsBefore: number): void {
    for (const state of this.touched.keys()) if (state.live) trimRoom(this.retention, this.sql, this.totals, state, nowMs);
    trimTotal(this.retention, this.sql, this.totals, (room) => this.touch(this.load(room)!));
    const before = this.touched;
    for (const state of before.keys()) if (state.live) this.sql.updateRoom.run(state);
    // Only a batch that made a room writes the counter: another page in every commit's WAL
    // frames otherwise, for the one batch in thousands that changes it.
    if (this.totals.incarnations !== incarnationsBefore) this.sql.setMeta.run(String(this.totals.incarnations), 'incarnations');
  }

  /** Puts the cache back as it was before a batch whose commit failed. */
  private rollBack(totals: Totals): void {
    for (const [state, before] of this.touched) {
      Object.assign(state, before);
      if (state.live) this.cache.set(state.room, state);
      else if (this.cache.get(state.room) === state) this.cache.delete(state.room);
    }
    this.touched.clear();
    Object.assign(this.totals, totals);
  }

  /** Records a room's state before the batch changes it (once per batch). */
  private touch(state: Room): Room {
    if (!this.touched.has(state)) this.touched.set(state, { ...state });
    return state;
  }

  // ---- rooms -------------------------------------------------------------------------

  /** The room's cached state, read from the table the first time. */
  private load(room: RoomKey): Room | undefined {
    let state = this.cache.get(room);
    if (state === undefined) {
      const row = this.sql.roomByKey.get(room) as RoomRow | undefined;
      if (row === undefined) return undefined;
      state = { ...row, live: true };
      this.cache.set(room, state);
    }
    return state;
  }

  /** A new room (a new incarnation), inside a batch. */
  private create(room: RoomKey, nowMs: number): Room {
    if (this.totals.rooms >= this.retention.maxRooms) this.forgetOneForSpace(nowMs);
    const epoch = `${this.lineage}${(this.totals.incarnations++).toString(36)}`;
    const row: RoomRow = {
      id: 0,
      room,
      admission_key: null,
      epoch,
      head: 0,
      trimmed_up_to: 0,
      max_age_ms: this.retention.maxAgeMs,
      envelopes: 0,
      bytes: 0,
      oldest_at_ms: 0,
      pinned: 0,
      pinned_bytes: 0,
      last_activity_ms: nowMs,
    };
    row.id = Number(this.sql.insertRoom.run(row).lastInsertRowid);
    // Not there before the batch: a failed commit takes it out of the cache again.
    const state: Room = { ...row, live: true };
    this.touched.set(state, { ...row, live: false });
    this.cache.set(room, state);
    this.totals.rooms += 1;
    return state;
  }

  /**
   * Forgets the least recently active room that nobody is in and that holds no envelope,
   * retained or pinned: a room with history is never given up for a new registration.
   */
  private forgetOneForSpace(nowMs: number): boolean {
    let offset = 0;
    for (;;) {
      const rooms = this.sql.emptyRoomsByAge.all(EVICTION_SCAN_ROOMS, offset) as string[];
      for (const room of rooms) {
        const state = this.load(room);
        if (state === undefined || this.subscribers.has(room)) continue;
        this.forget(state, nowMs);
        return true;
      }
      if (rooms.length < EVICTION_SCAN_ROOMS) return false;
      offset += rooms.length;
    }
  }

  private forget(state: Room, nowMs: number): void {
    this.touch(state);
    this.sql.deleteEnvelopes.run(state.id);
    this.sql.deletePins.run(state.id);
    this.sql.deleteRoom.run(state.id);
    if (state.admission_key !== null) {
      if (this.sql.forgottenGet.get(state.room) === undefined) this.totals.forgotten += 1;
      this.sql.forgottenPut.run(state.room, admissionKeyHash(state.admission_key), nowMs);
      const over = this.totals.forgotten - this.retention.maxForgottenRooms;
      if (over > 0) this.totals.forgotten -= this.sql.forgottenDropOldest.run(over).changes;
    }
    this.totals.rooms -= 1;
    this.totals.envelopes -= state.envelopes;
    this.totals.bytes -= state.bytes;
    this.totals.pinned -= state.pinned;
    this.totals.pinnedBytes -= state.pinned_bytes;
    state.live = false;
    this.cache.delete(state.room);
  }
}

/** A Buffer over the same bytes (better-sqlite3 binds Buffers as BLOBs). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
