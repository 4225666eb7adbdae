/**
 * Live delivery of one room on this process, in cursor order (PROTOCOL.md A.4): the
 * sender's ACK and the fan-out of its own publishes, and other processes' envelopes from
 * the store, each released only after every cursor before it (delivery-order.ts).
 *
 * When is a missing cursor read from the store? The store's feed of other processes'
 * envelopes keeps cursor order and reaches this process for every envelope appended
 * after it subscribed, unless the feed breaks, which the store reports (onRoomState). So
 * a hole right before an own publish is an envelope still on its way through the feed:
 * it is waited for. A hole right before an envelope from the feed, once no own append is
 * in flight (one of those may be the missing cursor), can only be filled from the store,
 * and is read at once; so is every cursor the store says exists after an outage. A
 * safety timer reads any hole that lasts.
 *
 * When the store says the room's incarnation changed under its members, they get
 * `joined` again with the new epoch (or, if the room could not be kept, ADMISSION_DENIED).
 */
import type { Connection } from './connection.js';
import { DeliveryOrder } from './delivery-order.js';
import { ErrorCode } from './errors.js';
import { ackFrame, envelopeFrame, writeCursor } from './frames.js';
import { errorMessage, type Logger } from './log.js';
import type { Outbound } from './outbound.js';
import type { RoomKey, RoomState, RoomStore } from './store.js';
import { FrameKind, MAX_HISTORY_PAGE_ENTRIES, PROTOCOL_VERSION } from './wire.js';
import type { WsFrame } from './ws-frame.js';

/** Wait before reading a hole again after the store failed to answer or had nothing new, ms. */
const FILL_RETRY_MS = 1_000;
/**
 * How long a hole before an own publish may wait for the feed before it is read from the
 * store anyway, ms. Normally the envelope arrives within a fraction of a millisecond; this
 * only bounds what a fault nobody reported could cost.
 */
const FEED_WAIT_MS = 2_000;
/**
 * Other processes' envelopes held while the room's first admission reads where it starts;
 * past it the oldest go, which is safe: a hole they leave is read from the store.
 */
const EARLY_MAX = 10_000;

/** A publish of a member here, stored and waiting for its turn; or an envelope from the store. */
type Release = { readonly conn: Connection; readonly id: number; readonly frame: WsFrame } | { readonly conn: undefined; readonly envelope: Uint8Array };

/** What a room's delivery needs from the relay. */
export interface DeliveryPort {
  readonly store: Pick<RoomStore, 'readAfter'>;
  readonly out: Pick<Outbound, 'frame' | 'envelope' | 'error' | 'json'>;
  readonly log: Logger;
  /** Ends a connection's membership of the room (its admission no longer holds). */
  expel(conn: Connection, room: RoomKey): void;
}

/** The part of a local room delivery works on. */
export interface DeliveryTarget {
  readonly key: RoomKey;
  readonly id: Buffer;
  readonly members: ReadonlySet<Connection>;
}

/** Proof of an own append in flight: which incarnation it was made in. */
export type AppendTicket = number;

export class RoomDelivery {
  #epoch: string | undefined;
  #order: DeliveryOrder<Release> | undefined;
  /** Other processes' envelopes that came before the first admission said where to start. */
  #early: { cursor: number; envelope: Uint8Array }[] = [];
  /** This process's appends to the room sent and not answered yet. */
  #inflight = 0;
  /** Counts incarnations: an append answered after the room moved on is refused. */
  #generation = 0;
  #filling = false;
  /** The next fill reads whatever hole there is, without waiting for the feed. */
  #mustRead = false;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly port: DeliveryPort,
    private readonly room: DeliveryTarget,
  ) {}

  /** The incarnation members here were admitted to; undefined before the first admission. */
  get epoch(): string | undefined {
    return this.#epoch;
  }

  /**
   * An admission read the room's head and epoch (after the store delivers its envelopes
   * here). The first one starts live delivery after `head`; a later one that finds another
   * epoch means the incarnation changed, and members admitted before are told.
   */
  admitted(head: number, epoch: string): void {
    if (this.#epoch === undefined) {
      this.#start(head, epoch);
      return;
    }
    if (epoch !== this.#epoch) this.#reincarnate(head, epoch);
  }

  /** An own publish goes to the store: the ticket comes back with its answer. */
  appending(): AppendTicket {
    this.#inflight += 1;
    return this.#generation;
  }

  /** The store kept an own publish at `cursor`: ACK and fan-out once its turn comes. */
  stored(ticket: AppendTicket, conn: Connection, id: number, frame: WsFrame, cursor: number): void {
    this.#inflight -= 1;
    if (this.#closed) {
      // Nobody is left here to deliver to; the sender still learns its envelope is kept.
      this.port.out.frame(conn, ackFrame(id, cursor));
    } else if (ticket !== this.#generation || this.#order === undefined) {
      // Stored in an incarnation that has ended: as good as lost, and the sender is told
      // so it sends it again into the new one.
      this.#refuse(conn, id);
    } else if (!this.#order.arrive(cursor, { conn, id, frame })) {
      // Already delivered from the store (read while its answer was on the way).
      this.port.out.frame(conn, ackFrame(id, cursor));
    }
    this.#fillIfStuck();
  }

  /** An own publish the store did not take (the caller has told the sender). */
  failed(): void {
    this.#inflight -= 1;
    this.#fillIfStuck();
  }

  /** An envelope another process appended. */
  remote(cursor: number, envelope: Uint8Array): void {
    if (this.#order === undefined) {
      if (this.#closed) return;
      if (this.#early.length >= EARLY_MAX) this.#early.shift();
      this.#early.push({ cursor, envelope });
      return;
    }
    this.#order.arrive(cursor, { conn: undefined, envelope });
    this.#fillIfStuck();
  }

  /** What the store learnt about the room outside its envelopes (RoomStore.onRoomState). */
  storeState(state: RoomState): void {
    if (this.#order === undefined || this.#closed) return;
    if (state.epoch === undefined) {
      this.#expelAll();
      return;
    }
    if (state.epoch !== this.#epoch) {
      this.#reincarnate(state.head, state.epoch);
      return;
    }
    this.#order.expect(state.head);
    this.#mustRead = true;
    this.#fillIfStuck();
  }

  /** The room has no member here any more. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#order?.drop();
    this.#early = [];
  }

  #start(head: number, epoch: string): void {
    this.#epoch = epoch;
    this.#order = new DeliveryOrder(head, (cursor, item) => this.#release(cursor, item));
    const early = this.#early;
    this.#early = [];
    for (const { cursor, envelope } of early) this.#order.arrive(cursor, { conn: undefined, envelope });
    this.#fillIfStuck();
  }

  #release(cursor: number, item: Release): void {
    const { out } = this.port;
    let frame: WsFrame;
    if (item.conn === undefined) {
      frame = envelopeFrame(FrameKind.DELIVER, cursor, this.room.id, item.envelope);
    } else {
      frame = item.frame;
      writeCursor(frame, cursor);
      out.frame(item.conn, ackFrame(item.id, cursor));
    }
    for (const member of this.room.members) {
      if (member !== item.conn) out.envelope(member, frame);
    }
  }

  /** Reads the hole from the store if it cannot be filled otherwise (see the file's comment). */
  #fillIfStuck(): void {
    const order = this.#order;
    if (this.#filling || this.#closed || order === undefined || !order.hasHole() || this.#inflight > 0) return;
    if (!this.#mustRead && order.firstHeld()?.conn !== undefined) {
      // Before an own publish: the missing envelope is on its way through the feed.
      this.#retry ??= setTimeout(() => this.#readLater(), FEED_WAIT_MS).unref();
      return;
    }
    this.#mustRead = false;
    this.#filling = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    const generation = this.#generation;
    const before = order.delivered;
    this.#fill(generation)
      .catch((err: unknown) => this.port.log.warn('fill_failed', { message: errorMessage(err) }))
      .finally(() => {
        this.#filling = false;
        if (generation !== this.#generation || this.#closed) return;
        if (this.#order!.delivered > before) {
          this.#fillIfStuck();
        } else if (this.#order!.hasHole()) {
          // Nothing new (or the store failed): read again later rather than at once.
          this.#retry ??= setTimeout(() => this.#readLater(), FILL_RETRY_MS).unref();
        }
      });
  }

  /** A timer ran out: whatever hole there is now is read from the store. */
  #readLater(): void {
    this.#retry = undefined;
    if (this.#order?.hasHole() !== true) return;
    this.#mustRead = true;
    this.#fillIfStuck();
  }

  async #fill(generation: number): Promise<void> {
    for (;;) {
      const order = this.#order!;
      const after = order.delivered;
      const page = await this.port.store.readAfter(this.room.key, after, MAX_HISTORY_PAGE_ENTRIES, Date.now());
      // The room moved to another incarnation meanwhile (the store's notice did that), or
      // the store already has one this process has not heard of: its notice will come.
      if (generation !== this.#generation || this.#closed || page.epoch !== this.#epoch) return;
      for (const entry of page.entries) {
        // A pinned envelope inside a trimmed range: the cursors before it are gone.
        if (entry.cursor - 1 <= page.trimmedUpTo) order.skipTo(entry.cursor - 1);
        order.arrive(entry.cursor, { conn: undefined, envelope: entry.envelope });
      }
      order.skipTo(page.trimmedUpTo);
      if (!page.more || !order.hasHole()) return;
    }
  }

  /** The room's incarnation changed: what was held belongs to the old one. */
  #reincarnate(head: number, epoch: string): void {
    this.#generation += 1;
    this.#mustRead = false;
    for (const held of this.#order?.drop() ?? []) if (held.conn !== undefined) this.#refuse(held.conn, held.id);
    this.port.log.warn('room_incarnation_changed', { members: this.room.members.size });
    this.#epoch = epoch;
    this.#order = new DeliveryOrder(head, (cursor, item) => this.#release(cursor, item));
    for (const member of this.room.members) this.port.out.json(member, { v: PROTOCOL_VERSION, t: 'joined', room: this.room.key, head, epoch });
  }

  /** The room is registered again under another admission key: nobody here is admitted any more. */
  #expelAll(): void {
    this.#generation += 1;
    for (const held of this.#order?.drop() ?? []) if (held.conn !== undefined) this.#refuse(held.conn, held.id);
    this.port.log.warn('room_lost', { members: this.room.members.size });
    for (const member of [...this.room.members]) {
      this.port.out.error(member, ErrorCode.ADMISSION_DENIED, 'the room was registered again under another admission key', this.room.key);
      this.port.expel(member, this.room.key);
    }
  }

  #refuse(conn: Connection, id: number): void {
    this.port.out.error(conn, ErrorCode.UNAVAILABLE, 'the room store lost this room’s history; envelope not kept, send it again', this.room.key, id);
  }
}
