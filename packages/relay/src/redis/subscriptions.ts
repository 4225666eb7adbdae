/**
 * This process's subscriptions to rooms' fan-out channels, and what keeps delivery
 * complete, once and in cursor order when the subscriber connection drops.
 *
 * Each room channel carries `origin(16) ‖ cursor (decimal) ‖ '\n' ‖ envelope`, published by
 * the append script (scripts.ts). While the subscriber is away, live messages are held;
 * once both connections are back, the room's stream is read from the last cursor seen
 * (the replay) and the held messages are delivered after it. Cursors at or below the
 * last one seen, and this process's own appends, are never delivered.
 */
import type { HistoryPage, RemoteEnvelopeListener, RoomKey } from '../store.js';
import { parseCursor } from './cursor.js';

/** Bytes of the random id that marks which process published a fan-out message. */
export const ORIGIN_ID_BYTES = 16;
/** Separates the cursor from the envelope in a fan-out message (cursors never contain it). */
const FANOUT_SEPARATOR = 0x0a;
/** Stream entries fetched per page when replaying after a subscriber outage. */
const REPLAY_PAGE_ENTRIES = 500;
/**
 * Live messages held per room while a replay runs; past it the oldest are dropped,
 * which is safe because the replay reads them from the stream anyway.
 */
export const REPLAY_BUFFER_MAX = 10_000;
/** Cursors of own appends remembered per room to skip them in a replay. */
const OWN_CURSORS_MAX = 10_000;
/** `lastSeen` of a subscription made while Redis was away: the replay starts at the head. */
const UNKNOWN_LAST_SEEN = -1;
/** Stands in for the envelope of an own echo, which is never delivered. */
const NO_ENVELOPE = new Uint8Array(0);

/** What subscriptions need from the Redis connections. */
export interface SubscriptionBackend {
  /** The subscriber connection is ready: an SSUBSCRIBE now is sent, not queued. */
  subscriberReady(): boolean;
  /** Both connections are ready and the store is open: a replay can run. */
  canReplay(): boolean;
  /** SSUBSCRIBE to the room's channel. */
  listen(room: RoomKey): Promise<unknown>;
  /** The room's head cursor now (0 when it never had an envelope). */
  head(room: RoomKey): Promise<number>;
  /** Retained envelopes after a cursor, as RoomStore.readAfter. */
  readAfter(room: RoomKey, after: number, limit: number, nowMs: number): Promise<HistoryPage>;
}

interface Subscription {
  refs: number;
  /** Highest cursor seen on the channel or replayed; a replay starts after it. */
  lastSeen: number;
  /** Cursors this process appended that have not echoed back yet. */
  readonly own: Set<number>;
  /** Appends in flight, awaited before a replay so their cursors are known as own. */
  readonly inflight: Set<Promise<number>>;
  /**
   * Live messages held from a subscriber outage until a replay succeeds, then
   * delivered after the replayed ones, so a room's envelopes stay in cursor order.
   */
  buffer: { cursor: number; envelope: Uint8Array; own: boolean }[] | undefined;
  needsReplay: boolean;
  replaying: boolean;
}

export class Subscriptions {
  readonly #byRoom = new Map<RoomKey, Subscription>();
  #listener: RemoteEnvelopeListener | undefined;

  constructor(
    private readonly backend: SubscriptionBackend,
    /** This process's origin id: messages carrying it are its own appends echoing back. */
    private readonly origin: Buffer,
  ) {}

  /** The one listener for envelopes other processes appended. */
  onEnvelope(listener: RemoteEnvelopeListener): void {
    this.#listener = listener;
  }

  has(room: RoomKey): boolean {
    return this.#byRoom.has(room);
  }

  rooms(): IterableIterator<RoomKey> {
    return this.#byRoom.keys();
  }

  /** Takes one more reference to the room's channel; the first one subscribes. */
  async subscribe(room: RoomKey): Promise<void> {
    const existing = this.#byRoom.get(room);
    if (existing) {
      existing.refs += 1;
      return;
    }
    const subscription: Subscription = {
      refs: 1,
      lastSeen: 0,
      own: new Set(),
      inflight: new Set(),
      buffer: undefined,
      needsReplay: false,
      replaying: false,
    };
    this.#byRoom.set(room, subscription);
    if (!this.backend.subscriberReady()) {
      // Redis is away (the relay admitted someone just before it went): queue the
      // SSUBSCRIBE for the reconnect and hold live messages until then. With no known
      // reference point the replay only records the head; the members' own catch-up
      // covers that window.
      subscription.lastSeen = UNKNOWN_LAST_SEEN;
      subscription.needsReplay = true;
      subscription.buffer = [];
      this.backend.listen(room).catch(() => undefined);
      return;
    }
    try {
      await this.backend.listen(room);
      // The reference point for a replay after an outage: everything up to the head
      // read now is either older than this subscription (the relay's catch-up covers
      // it) or arrives live, which raises lastSeen itself.
      subscription.lastSeen = Math.max(subscription.lastSeen, await this.backend.head(room));
    } catch (error) {
      if (this.#byRoom.get(room) === subscription && subscription.lastSeen === 0) {
        // Keep the subscription (the relay has members here) and settle it on reconnect.
        subscription.lastSeen = UNKNOWN_LAST_SEEN;
        subscription.needsReplay = true;
        subscription.buffer ??= [];
      }
      throw error;
    }
  }

  /** Drops one reference; true when it was the last and the room is no longer subscribed. */
  release(room: RoomKey): boolean {
    const subscription = this.#byRoom.get(room);
    if (!subscription) return false;
    subscription.refs -= 1;
    if (subscription.refs > 0) return false;
    this.#byRoom.delete(room);
    return true;
  }

  /**
   * Tracks an append of this process until it has its cursor, so that the cursor is
   * skipped when it echoes back or turns up in a replay.
   */
  async ownAppend(room: RoomKey, append: Promise<number>): Promise<number> {
    const subscription = this.#byRoom.get(room);
    subscription?.inflight.add(append);
    try {
      const cursor = await append;
      // Cursor 0 is a refused pinned append: nothing was stored or published.
      if (subscription && cursor > 0 && subscription.own.size < OWN_CURSORS_MAX && cursor > subscription.lastSeen) {
        subscription.own.add(cursor);
      }
      return cursor;
    } finally {
      subscription?.inflight.delete(append);
    }
  }

  /** A message on the room's channel. */
  onMessage(room: RoomKey, message: Buffer): void {
    const subscription = this.#byRoom.get(room);
    if (!subscription) return;
    const separator = message.indexOf(FANOUT_SEPARATOR, ORIGIN_ID_BYTES);
    if (separator < 0) return;
    const cursor = parseCursor(message.subarray(ORIGIN_ID_BYTES, separator).toString('latin1'));
    if (cursor === undefined) return;
    const own = message.subarray(0, ORIGIN_ID_BYTES).equals(this.origin);
    // Copy: the message buffer may be pooled by the parser. This process's own envelopes
    // echo back on every publish and are never delivered: only their cursor matters.
    const envelope = own ? NO_ENVELOPE : new Uint8Array(message.subarray(separator + 1));
    if (subscription.buffer) {
      if (subscription.buffer.length >= REPLAY_BUFFER_MAX) subscription.buffer.shift();
      subscription.buffer.push({ cursor, envelope, own });
      return;
    }
    this.#deliver(room, subscription, cursor, envelope, own);
  }

  /** The subscriber connection closed: every room holds live messages until its replay. */
  onSubscriberClosed(): void {
    for (const subscription of this.#byRoom.values()) {
      subscription.needsReplay = true;
      subscription.buffer ??= [];
    }
  }

  /** Replays every room that missed messages, once both connections are back. */
  async replayAll(): Promise<void> {
    if (!this.backend.canReplay()) return;
    const rooms = [...this.#byRoom].filter(([, subscription]) => subscription.needsReplay && !subscription.replaying);
    if (rooms.length === 0) return;
    await Promise.all(rooms.map(([room, subscription]) => this.#replay(room, subscription)));
  }

  /** Forgets every subscription (the store is closing). */
  clear(): void {
    this.#byRoom.clear();
  }

  #deliver(room: RoomKey, subscription: Subscription, cursor: number, envelope: Uint8Array, own: boolean): void {
    // A room's cursors reach a subscription in increasing order, so one at or below
    // lastSeen was delivered already: typically the pub/sub copy of an envelope that a
    // replay has just read from the stream.
    if (cursor <= subscription.lastSeen || own || subscription.own.has(cursor)) {
      subscription.own.delete(cursor);
      subscription.lastSeen = Math.max(subscription.lastSeen, cursor);
      return;
    }
    subscription.lastSeen = cursor;
    this.#listener?.(room, cursor, envelope);
  }

  async #replay(room: RoomKey, subscription: Subscription): Promise<void> {
    subscription.needsReplay = false;
    subscription.replaying = true;
    subscription.buffer ??= [];
    try {
      // ioredis's autoResubscribe has already re-sent this SSUBSCRIBE; sending it again
      // is harmless and its answer proves the channel is live before the stream is
      // read, so nothing published from here on can fall between the two.
      await this.backend.listen(room);
      await Promise.allSettled([...subscription.inflight]);
      if (subscription.lastSeen === UNKNOWN_LAST_SEEN) {
        const { head } = await this.backend.readAfter(room, Number.MAX_SAFE_INTEGER, 0, Date.now());
        subscription.lastSeen = Math.max(subscription.lastSeen, head);
      }
      for (;;) {
        const page = await this.backend.readAfter(room, subscription.lastSeen, REPLAY_PAGE_ENTRIES, Date.now());
        if (this.#byRoom.get(room) !== subscription) return;
        for (const entry of page.entries) this.#deliver(room, subscription, entry.cursor, entry.envelope, false);
        // Nothing retained past a trimmed range can be replayed; clients learn about
        // that gap through their own catch-up.
        if (page.entries.length === 0 && page.head > subscription.lastSeen) subscription.lastSeen = page.head;
        if (!page.more) break;
      }
      const held = subscription.buffer;
      subscription.buffer = undefined;
      for (const message of held) {
        if (message.cursor > subscription.lastSeen) {
          this.#deliver(room, subscription, message.cursor, message.envelope, message.own);
        }
      }
      for (const cursor of subscription.own) if (cursor <= subscription.lastSeen) subscription.own.delete(cursor);
    } catch {
      // Keep holding live messages; the next 'ready' or sweep tries again from lastSeen.
      subscription.needsReplay = true;
    } finally {
      subscription.replaying = false;
    }
  }
}
