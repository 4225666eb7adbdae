/**
 * `RoomStore` over Redis, for several relay processes sharing rooms (issues 7, 14, 15).
 *
 * - Retention: one Redis Stream per room and a hash of its pinned envelopes; cursors
 *   come from a per-room counter (1, 2, 3, … per incarnation, cursor.ts), assigned
 *   atomically by the append script, which also trims and fans out (scripts.ts). Each
 *   incarnation has an epoch, kept in the room's metadata: registration starts one, and
 *   so does finding the metadata gone (Redis lost its data).
 * - Appends: every append of one event-loop turn, whatever its room, goes to Redis in one
 *   script call (append-batch.ts).
 * - Fan-out: each process listens on one channel of its own; a room lists the processes
 *   with members in it, and the append script sends each other one of them the new
 *   envelopes of its rooms (fanout.ts). A process receives only rooms it has members in,
 *   never its own envelopes, and each room in cursor order.
 * - Membership of this process in rooms, and what keeps it true through outages and lost
 *   data: membership.ts. The relay holds its own publishes until the cursors before them
 *   have arrived (room-delivery.ts), so members see cursor order on every process.
 * - Admission keys: set-if-absent in a script, so the first registration wins across
 *   processes and starts the room's incarnation with its retention age.
 * - Connections: commands fail fast and the subscriber reconnects (connections.ts).
 */
import type { Redis } from 'ioredis';
import { AppendBatcher, ROOM_KEYS_PER_GROUP } from './append-batch.js';
import { RedisConnections, StoreUnavailableError, type ConnectionOptions } from './connections.js';
import { cursorOfStreamId, parseCursor, streamStartAfter } from './cursor.js';
import { newProcessId } from './fanout.js';
import { Membership, type Registration } from './membership.js';
import { ADMISSION_KEY_SCRIPT, APPEND_BATCH_SCRIPT, CLAIM_SCRIPT, READ_SCRIPT, REGISTER_SCRIPT, RESTART_SCRIPT, SWEEP_SCRIPT } from './scripts.js';
import { mergePinned } from '../pins.js';
import type { HistoryPage, PinnedAppend, RemoteEnvelopeListener, RetainedEnvelope, RoomKey, RoomStateListener, RoomStore, StoreStats } from '../store.js';
import { DAY_MS } from '@sealroom/units';
import { randomBytes } from 'node:crypto';

/** Default key prefix; every room key is `<prefix>:{<room>}:<part>`, a process channel `<prefix>:proc:<id>`. */
const DEFAULT_KEY_PREFIX = 'sealroom';
/** Default TTL of a room's admission key and metadata after its last use: 30 days. */
const DEFAULT_IDLE_ROOM_TTL_MS = 30 * DAY_MS;
/** Rooms this process touched but has no members in are forgotten after this long. */
const KNOWN_ROOM_IDLE_MS = 10 * 60 * 1000;
/** Rooms swept concurrently per round trip. */
const SWEEP_CHUNK_ROOMS = 256;
/** Random bytes that start every epoch this process hands out (see MemoryRoomStore). */
const EPOCH_PREFIX_BYTES = 12;
/** The append script's answer to a pinned append past the room's limit (never a cursor). */
const PIN_REFUSED = 0;
/** Largest time the scripts accept (ms): Lua prints numbers exactly up to 14 digits. */
const MAX_NOW_MS = 2 ** 43 - 1;

interface RedisRetention {
  /** Envelopes kept per room. */
  readonly maxEnvelopes: number;
  /** Sum of envelope lengths kept per room, in bytes. */
  readonly maxBytes: number;
  /** Age after which an envelope is dropped, in ms. */
  readonly maxAgeMs: number;
  /** Pinned envelopes a room may hold. */
  readonly maxPinned: number;
}

export interface RedisStoreOptions extends ConnectionOptions {
  readonly retention: RedisRetention;
  /** TTL of a room's admission key and metadata after its last use (≥ maxAgeMs). */
  readonly idleRoomTtlMs?: number;
  readonly keyPrefix?: string;
  /** How long an append waits for others to share its script call, ms (append-batch.ts); 0 by default: to the end of the turn. */
  readonly appendLingerMs?: number;
}

type ScriptArgs = (string | number | Buffer)[];
interface ScriptCommands {
  sealroomAppendBatch(...args: ScriptArgs): Promise<(string | number)[]>;
  sealroomReadBuffer(...args: ScriptArgs): Promise<[Buffer, Buffer, Buffer, [Buffer, Buffer[]][], Buffer[]]>;
  sealroomRegisterBuffer(...args: ScriptArgs): Promise<[Buffer, Buffer, Buffer, Buffer] | []>;
  sealroomClaimBuffer(...args: ScriptArgs): Promise<Buffer | null>;
  sealroomAdmissionKeyBuffer(...args: ScriptArgs): Promise<Buffer | null>;
  sealroomSweep(...args: ScriptArgs): Promise<[number, number]>;
  sealroomRestart(...args: ScriptArgs): Promise<string>;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative safe integer`);
  return value;
}

export class RedisRoomStore implements RoomStore {
  readonly #connections: RedisConnections;
  readonly #commands: Redis & ScriptCommands;
  readonly #subscriber: Redis;
  readonly #processId = newProcessId();
  readonly #prefix: string;
  readonly #retention: RedisRetention;
  readonly #idleTtlMs: number;
  readonly #membership: Membership;
  readonly #appends: AppendBatcher;
  /** Rooms this process used recently (for sweep and stats), with last use time. */
  readonly #known = new Map<RoomKey, number>();
  readonly #sampled = new Map<RoomKey, { envelopes: number; bytes: number }>();
  readonly #epochPrefix = randomBytes(EPOCH_PREFIX_BYTES).toString('base64url');
  #epochs = 0;

  private constructor(options: RedisStoreOptions) {
    this.#prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.#retention = {
      maxEnvelopes: nonNegativeInteger(options.retention.maxEnvelopes, 'maxEnvelopes'),
      maxBytes: nonNegativeInteger(options.retention.maxBytes, 'maxBytes'),
      maxAgeMs: nonNegativeInteger(options.retention.maxAgeMs, 'maxAgeMs'),
      maxPinned: nonNegativeInteger(options.retention.maxPinned, 'maxPinned'),
    };
    this.#idleTtlMs = Math.max(options.idleRoomTtlMs ?? DEFAULT_IDLE_ROOM_TTL_MS, this.#retention.maxAgeMs, 1);
    this.#connections = new RedisConnections(options);
    this.#commands = this.#connections.commands as Redis & ScriptCommands;
    this.#subscriber = this.#connections.subscriber;
    // The batch names its rooms' keys itself (scripts.ts).
    this.#commands.defineCommand('sealroomAppendBatch', { numberOfKeys: 0, lua: APPEND_BATCH_SCRIPT });
    this.#commands.defineCommand('sealroomRead', { numberOfKeys: 4, lua: READ_SCRIPT });
    this.#commands.defineCommand('sealroomRegister', { numberOfKeys: ROOM_KEYS_PER_GROUP, lua: REGISTER_SCRIPT });
    this.#commands.defineCommand('sealroomClaim', { numberOfKeys: 4, lua: CLAIM_SCRIPT });
    this.#commands.defineCommand('sealroomAdmissionKey', { numberOfKeys: 3, lua: ADMISSION_KEY_SCRIPT });
    this.#commands.defineCommand('sealroomSweep', { numberOfKeys: 4, lua: SWEEP_SCRIPT });
    this.#commands.defineCommand('sealroomRestart', { numberOfKeys: 4, lua: RESTART_SCRIPT });

    this.#membership = new Membership({
      canResync: () => this.#connections.isUp() && !this.#connections.closed,
      listen: () => this.#connections.run(() => this.#subscriber.subscribe(this.#channel())),
      register: (room) => this.#register(room),
      unregister: (room) => this.#connections.run(() => this.#commands.hdel(this.#key(room, 'procs'), this.#processId)),
      claim: (room, key, maxAgeMs) => this.claimAdmissionKey(room, key, maxAgeMs ?? this.#retention.maxAgeMs),
      restart: (room, epoch, seen) =>
        this.#connections.run(() => this.#commands.sealroomRestart(...this.#roomKeys(room), ...this.#commonArgs(Date.now()), epoch, seen)),
    });
    this.#appends = new AppendBatcher(
      {
        run: (args) => this.#connections.run(() => this.#commands.sealroomAppendBatch(...args)),
        leadingArgs: (nowMs) => [...this.#commonArgs(nowMs), this.#processId, this.#channelPrefix(), this.#retention.maxPinned, this.#prefix],
        stale: (room) => this.#membership.check(room),
      },
      options.appendLingerMs ?? 0,
    );

    this.#subscriber.on('close', () => this.#membership.onFeedLost());
    // Once both connections are back: subscribe again, register every room again, and
    // have the relay read what it missed.
    this.#subscriber.on('ready', () => void this.#membership.resync());
    this.#commands.on('ready', () => void this.#membership.resync());
    this.#subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      if (channel.toString('latin1') === this.#channel()) this.#membership.onMessage(message);
    });
  }

  static async create(options: RedisStoreOptions): Promise<RedisRoomStore> {
    const store = new RedisRoomStore(options);
    await store.#connections.connect();
    try {
      // The channel is live before any room is registered: nothing sent to it is lost.
      await store.#connections.run(() => store.#subscriber.subscribe(store.#channel()));
    } catch (error) {
      await store.#connections.close();
      throw error;
    }
    store.#membership.feedStarted();
    return store;
  }

  // ---- keys -------------------------------------------------------------------------

  #key(room: RoomKey, part: 'log' | 'meta' | 'key' | 'pins' | 'procs'): string {
    // The hash tag keeps one room's keys in one cluster slot, which the scripts need and
    // which spreads rooms across shards.
    return `${this.#prefix}:{${room}}:${part}`;
  }

  #channelPrefix(): string {
    return `${this.#prefix}:proc:`;
  }

  /** This process's fan-out channel. */
  #channel(): string {
    return `${this.#channelPrefix()}${this.#processId}`;
  }

  /** The room's keys in the order the room scripts take them (with `procs` for append and register). */
  #roomKeys(room: RoomKey, withProcesses = false): string[] {
    const keys = [this.#key(room, 'log'), this.#key(room, 'meta'), this.#key(room, 'key'), this.#key(room, 'pins')];
    if (withProcesses) keys.push(this.#key(room, 'procs'));
    return keys;
  }

  /** An epoch no incarnation had before: this process's random prefix and a counter. */
  #freshEpoch(): string {
    this.#epochs += 1;
    return `${this.#epochPrefix}${this.#epochs.toString(36)}`;
  }

  #checkedNow(nowMs: number): number {
    const now = Math.floor(nowMs);
    if (!Number.isSafeInteger(now) || now < 0 || now > MAX_NOW_MS) throw new RangeError('nowMs out of range');
    return now;
  }

  #commonArgs(nowMs: number): (string | number)[] {
    const now = this.#checkedNow(nowMs);
    return [now, this.#retention.maxEnvelopes, this.#retention.maxBytes, this.#retention.maxAgeMs, this.#idleTtlMs, this.#freshEpoch()];
  }

  async #register(room: RoomKey): Promise<Registration | undefined> {
    this.#known.set(room, Date.now());
    const answer = await this.#connections.run(() =>
      this.#commands.sealroomRegisterBuffer(...this.#roomKeys(room, true), ...this.#commonArgs(Date.now()), this.#processId),
    );
    if (answer.length === 0) return undefined;
    const [epoch, head, maxAge, key] = answer;
    const maxAgeMs = parseCursor(maxAge.toString('latin1'));
    return { epoch: epoch.toString('latin1'), head: parseCursor(head.toString('latin1')) ?? 0, maxAgeMs, key };
  }

  // ---- RoomStore --------------------------------------------------------------------

  async admissionKey(room: RoomKey): Promise<Uint8Array | undefined> {
    const key = await this.#connections.run(() =>
      this.#commands.sealroomAdmissionKeyBuffer(this.#key(room, 'key'), this.#key(room, 'meta'), this.#key(room, 'pins'), this.#idleTtlMs),
    );
    return key === null ? undefined : new Uint8Array(key);
  }

  async claimAdmissionKey(room: RoomKey, key: Uint8Array, maxAgeMs: number): Promise<Uint8Array> {
    const maxAge = Math.min(nonNegativeInteger(Math.floor(maxAgeMs), 'maxAgeMs'), this.#retention.maxAgeMs);
    const previous = await this.#connections.run(() =>
      this.#commands.sealroomClaimBuffer(
        this.#key(room, 'key'),
        this.#key(room, 'meta'),
        this.#key(room, 'log'),
        this.#key(room, 'pins'),
        toBuffer(key),
        this.#idleTtlMs,
        maxAge,
        this.#freshEpoch(),
      ),
    );
    return previous === null ? new Uint8Array(key) : new Uint8Array(previous);
  }

  append(room: RoomKey, envelope: Uint8Array, nowMs: number): Promise<number> {
    return this.#append(room, envelope, nowMs, false);
  }

  async appendPinned(room: RoomKey, envelope: Uint8Array, nowMs: number): Promise<PinnedAppend> {
    const cursor = await this.#append(room, envelope, nowMs, true);
    return cursor === PIN_REFUSED ? { ok: false, code: 'PIN_LIMIT' } : { ok: true, cursor };
  }

  #append(room: RoomKey, envelope: Uint8Array, nowMs: number, pinned: boolean): Promise<number> {
    this.#known.set(room, nowMs);
    if (this.#connections.closed) return Promise.reject(new StoreUnavailableError('store closed'));
    // Checked now, not when the batch goes: a bad time fails this append alone.
    this.#checkedNow(nowMs);
    // The incarnation is the one when the append is made: one made before the room moved
    // to another is refused rather than stored in the new one.
    const epoch = this.#membership.expectedEpoch(room);
    return new Promise((resolve, reject) => {
      const stored = (cursor: number): void => {
        // What this process had acknowledged, so a history that went back below it is noticed.
        if (cursor > 0) this.#membership.saw(room, epoch, cursor);
        resolve(cursor);
      };
      this.#appends.add({ room, envelope, pinned, nowMs, epoch, resolve: stored, reject });
    });
  }

  async readAfter(room: RoomKey, after: number, limit: number, nowMs: number): Promise<HistoryPage> {
    this.#known.set(room, nowMs);
    const count = Math.max(0, Math.floor(limit));
    // One extra entry tells whether more follow.
    const [head, trimmed, epoch, raw, rawPinned] = await this.#connections.run(() =>
      this.#commands.sealroomReadBuffer(...this.#roomKeys(room), ...this.#commonArgs(nowMs), streamStartAfter(after), count + 1, after),
    );
    const retained: RetainedEnvelope[] = [];
    for (const [id, fields] of raw.slice(0, count)) {
      const cursor = cursorOfStreamId(id.toString('latin1'));
      const envelope = fields[3];
      if (cursor === undefined || !envelope) continue;
      retained.push({ cursor, envelope: new Uint8Array(envelope) });
    }
    const pinned: RetainedEnvelope[] = [];
    for (let index = 0; index + 1 < rawPinned.length; index += 2) {
      const cursor = parseCursor(rawPinned[index]!.toString('latin1'));
      if (cursor !== undefined) pinned.push({ cursor, envelope: new Uint8Array(rawPinned[index + 1]!) });
    }
    pinned.sort((a, b) => a.cursor - b.cursor);
    const { entries, more } = mergePinned(retained, raw.length > count, pinned, count);
    return {
      entries,
      trimmedUpTo: parseCursor(trimmed.toString('latin1')) ?? 0,
      head: parseCursor(head.toString('latin1')) ?? 0,
      more,
      epoch: epoch.length === 0 ? undefined : epoch.toString('latin1'),
    };
  }

  subscribe(room: RoomKey): Promise<void> {
    this.#known.set(room, Date.now());
    return this.#membership.subscribe(room);
  }

  async unsubscribe(room: RoomKey): Promise<void> {
    if (!this.#membership.has(room)) return;
    this.#known.set(room, Date.now());
    this.#membership.release(room);
  }

  onRemoteEnvelope(listener: RemoteEnvelopeListener): void {
    this.#membership.onEnvelope(listener);
  }

  onRoomState(listener: RoomStateListener): void {
    this.#membership.onState(listener);
  }

  async sweep(nowMs: number): Promise<void> {
    if (!this.#connections.isUp()) return;
    try {
      await this.#sweepKnown(nowMs);
    } catch (error) {
      // An outage during a sweep is reported through stats().backendUp, not thrown.
      if (!(error instanceof StoreUnavailableError)) throw error;
    }
  }

  async #sweepKnown(nowMs: number): Promise<void> {
    for (const [room, lastUse] of this.#known) {
      if (!this.#membership.has(room) && nowMs - lastUse > KNOWN_ROOM_IDLE_MS) {
        this.#known.delete(room);
        this.#sampled.delete(room);
      }
    }
    for (const room of this.#membership.rooms()) this.#known.set(room, nowMs);
    const rooms = [...this.#known.keys()];
    // Issued a chunk at a time: ioredis writes concurrent commands back to back, so a
    // chunk costs about one round trip without flooding Redis in one go.
    for (let index = 0; index < rooms.length; index += SWEEP_CHUNK_ROOMS) {
      await Promise.all(
        rooms.slice(index, index + SWEEP_CHUNK_ROOMS).map(async (room) => {
          const [envelopes, bytes] = await this.#connections.run(() => this.#commands.sealroomSweep(...this.#roomKeys(room), ...this.#commonArgs(nowMs)));
          this.#sampled.set(room, { envelopes: Number(envelopes), bytes: Number(bytes) });
        }),
      );
    }
    // A registration that failed because a connection was still down is tried again.
    await this.#membership.resync();
  }

  stats(): StoreStats {
    let retainedEnvelopes = 0;
    let retainedBytes = 0;
    for (const sample of this.#sampled.values()) {
      retainedEnvelopes += sample.envelopes;
      retainedBytes += sample.bytes;
    }
    const rooms = new Set([...this.#known.keys(), ...this.#membership.rooms()]).size;
    return { rooms, retainedEnvelopes, retainedBytes, backendUp: this.#connections.isUp() };
  }

  async close(): Promise<void> {
    if (this.#connections.closed) return;
    this.#membership.clear();
    await this.#connections.close();
  }
}

export function createRedisStore(options: RedisStoreOptions): Promise<RedisRoomStore> {
  return RedisRoomStore.create(options);
}
