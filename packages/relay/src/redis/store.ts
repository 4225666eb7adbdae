/**
 * `RoomStore` over Redis, for several relay processes sharing rooms (issue 7).
 *
 * - Retention: one Redis Stream per room and a hash of its pinned envelopes; cursors
 *   come from a per-room counter (1, 2, 3, … per incarnation, cursor.ts), assigned
 *   atomically by a Lua script that also trims and publishes (scripts.ts). Each
 *   incarnation has an epoch, kept in the room's metadata: registration starts one, and
 *   so does finding the metadata gone (Redis lost its data).
 * - Fan-out: sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`, Redis ≥ 7.0), one channel per
 *   room, subscribed only while this process has members in the room. Each message
 *   carries the publishing process's random origin id so a process skips its own.
 * - Admission keys: set-if-absent in a script, so the first registration wins across
 *   processes and starts the room's incarnation with its retention age.
 * - Resilience: two connections, commands failing fast and a reconnecting subscriber
 *   (connections.ts). After a subscriber outage the store replays from the stream
 *   whatever was published while it was away, so local members miss nothing
 *   (subscriptions.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisConnections, StoreUnavailableError, type ConnectionOptions } from './connections.js';
import { cursorOfStreamId, parseCursor, streamStartAfter } from './cursor.js';
import { ADMISSION_KEY_SCRIPT, APPEND_SCRIPT, CLAIM_SCRIPT, READ_SCRIPT, SWEEP_SCRIPT } from './scripts.js';
import { ORIGIN_ID_BYTES, Subscriptions } from './subscriptions.js';
import { mergePinned } from '../pins.js';
import type { HistoryPage, PinnedAppend, RemoteEnvelopeListener, RetainedEnvelope, RoomKey, RoomStore, StoreStats } from '../store.js';
import { DAY_MS } from '@sealroom/units';

/** Default key prefix; every key is `<prefix>:{<room>}:<part>`. */
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
}

type ScriptArgs = (string | number | Buffer)[];
interface ScriptCommands {
  sealroomAppend(...args: ScriptArgs): Promise<number>;
  sealroomReadBuffer(...args: ScriptArgs): Promise<[Buffer, Buffer, Buffer, [Buffer, Buffer[]][], Buffer[]]>;
  sealroomClaimBuffer(...args: ScriptArgs): Promise<Buffer | null>;
  sealroomAdmissionKeyBuffer(...args: ScriptArgs): Promise<Buffer | null>;
  sealroomSweep(...args: ScriptArgs): Promise<[number, number]>;
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
  readonly #origin = randomBytes(ORIGIN_ID_BYTES);
  readonly #prefix: string;
  readonly #retention: RedisRetention;
  readonly #idleTtlMs: number;
  readonly #subscriptions: Subscriptions;
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
    this.#commands.defineCommand('sealroomAppend', { numberOfKeys: 4, lua: APPEND_SCRIPT });
    this.#commands.defineCommand('sealroomRead', { numberOfKeys: 4, lua: READ_SCRIPT });
    this.#commands.defineCommand('sealroomClaim', { numberOfKeys: 4, lua: CLAIM_SCRIPT });
    this.#commands.defineCommand('sealroomAdmissionKey', { numberOfKeys: 3, lua: ADMISSION_KEY_SCRIPT });
    this.#commands.defineCommand('sealroomSweep', { numberOfKeys: 4, lua: SWEEP_SCRIPT });

    this.#subscriptions = new Subscriptions(
      {
        subscriberReady: () => this.#subscriber.status === 'ready',
        canReplay: () => this.#connections.isUp() && !this.#connections.closed,
        listen: (room) => this.#connections.run(() => this.#subscriber.ssubscribe(this.#key(room, 'fanout'))),
        head: async (room) => {
          const head = await this.#connections.run(() => this.#commands.hget(this.#key(room, 'meta'), 'head'));
          return (head === null ? undefined : parseCursor(head)) ?? 0;
        },
        readAfter: (room, after, limit, nowMs) => this.readAfter(room, after, limit, nowMs),
      },
      this.#origin,
    );

    this.#subscriber.on('close', () => this.#subscriptions.onSubscriberClosed());
    // Replays start once both connections are back: the subscriber to hear what comes
    // next, the command connection to read what was missed.
    this.#subscriber.on('ready', () => void this.#subscriptions.replayAll());
    this.#commands.on('ready', () => void this.#subscriptions.replayAll());
    this.#subscriber.on('smessageBuffer', (channel: Buffer, message: Buffer) => {
      const room = this.#roomOfChannel(channel.toString('latin1'));
      if (room !== undefined) this.#subscriptions.onMessage(room, message);
    });
  }

  static async create(options: RedisStoreOptions): Promise<RedisRoomStore> {
    const store = new RedisRoomStore(options);
    await store.#connections.connect();
    return store;
  }

  // ---- keys -------------------------------------------------------------------------

  #key(room: RoomKey, part: 'log' | 'meta' | 'key' | 'pins' | 'fanout'): string {
    // The hash tag keeps one room's keys (and its channel) in one cluster slot, which
    // the scripts need and which spreads rooms across shards.
    return `${this.#prefix}:{${room}}:${part}`;
  }

  #roomOfChannel(channel: string): RoomKey | undefined {
    const head = `${this.#prefix}:{`;
    const tail = '}:fanout';
    if (!channel.startsWith(head) || !channel.endsWith(tail)) return undefined;
    return channel.slice(head.length, channel.length - tail.length);
  }

  /** The room's four keys, in the order the room scripts take them. */
  #roomKeys(room: RoomKey): string[] {
    return [this.#key(room, 'log'), this.#key(room, 'meta'), this.#key(room, 'key'), this.#key(room, 'pins')];
  }

  /** An epoch no incarnation had before: this process's random prefix and a counter. */
  #freshEpoch(): string {
    this.#epochs += 1;
    return `${this.#epochPrefix}${this.#epochs.toString(36)}`;
  }

  #commonArgs(nowMs: number): (string | number)[] {
    const now = Math.floor(nowMs);
    if (!Number.isSafeInteger(now) || now < 0 || now > MAX_NOW_MS) throw new RangeError('nowMs out of range');
    return [now, this.#retention.maxEnvelopes, this.#retention.maxBytes, this.#retention.maxAgeMs, this.#idleTtlMs, this.#freshEpoch()];
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
    this.#known.set(room, nowMs);
    return this.#subscriptions.ownAppend(room, this.#appendCursor(room, envelope, nowMs, false));
  }

  async appendPinned(room: RoomKey, envelope: Uint8Array, nowMs: number): Promise<PinnedAppend> {
    this.#known.set(room, nowMs);
    const cursor = await this.#subscriptions.ownAppend(room, this.#appendCursor(room, envelope, nowMs, true));
    return cursor === PIN_REFUSED ? { ok: false, code: 'PIN_LIMIT' } : { ok: true, cursor };
  }

  async #appendCursor(room: RoomKey, envelope: Uint8Array, nowMs: number, pinned: boolean): Promise<number> {
    const cursor = await this.#connections.run(() =>
      this.#commands.sealroomAppend(
        ...this.#roomKeys(room),
        ...this.#commonArgs(nowMs),
        toBuffer(envelope),
        this.#origin,
        this.#key(room, 'fanout'),
        pinned ? '1' : '0',
        this.#retention.maxPinned,
      ),
    );
    if (!Number.isSafeInteger(cursor) || cursor < 0) throw new Error('append script returned a malformed cursor');
    return cursor;
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
    return this.#subscriptions.subscribe(room);
  }

  async unsubscribe(room: RoomKey): Promise<void> {
    if (!this.#subscriptions.release(room)) return;
    this.#known.set(room, Date.now());
    // While Redis is away the channel stays in ioredis's set and may be restored on
    // reconnect; messages for a room without a subscription are ignored.
    if (this.#subscriber.status === 'ready') {
      await this.#subscriber.sunsubscribe(this.#key(room, 'fanout')).catch(() => undefined);
    }
  }

  onRemoteEnvelope(listener: RemoteEnvelopeListener): void {
    this.#subscriptions.onEnvelope(listener);
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
      if (!this.#subscriptions.has(room) && nowMs - lastUse > KNOWN_ROOM_IDLE_MS) {
        this.#known.delete(room);
        this.#sampled.delete(room);
      }
    }
    for (const room of this.#subscriptions.rooms()) this.#known.set(room, nowMs);
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
    // A replay that failed because the command connection was still down is retried.
    await this.#subscriptions.replayAll();
  }

  stats(): StoreStats {
    let retainedEnvelopes = 0;
    let retainedBytes = 0;
    for (const sample of this.#sampled.values()) {
      retainedEnvelopes += sample.envelopes;
      retainedBytes += sample.bytes;
    }
    const rooms = new Set([...this.#known.keys(), ...this.#subscriptions.rooms()]).size;
    return { rooms, retainedEnvelopes, retainedBytes, backendUp: this.#connections.isUp() };
  }

  async close(): Promise<void> {
    if (this.#connections.closed) return;
    this.#subscriptions.clear();
    await this.#connections.close();
  }
}

export function createRedisStore(options: RedisStoreOptions): Promise<RedisRoomStore> {
  return RedisRoomStore.create(options);
}
