/**
 * Rooms on this process: which connections are members, and publishing into a room.
 * Publish and fan-out are the hot path: plain functions over one frame buffer that every
 * recipient shares, nothing allocated per delivery. Each room's live delivery, in cursor
 * order across processes, is its RoomDelivery (room-delivery.ts).
 */
import type { Connection } from './connection.js';
import { ErrorCode } from './errors.js';
import { deliverFrameOf, envelopeOf } from './frames.js';
import { errorMessage, type Logger } from './log.js';
import type { RelayCounters } from './metrics.js';
import type { Outbound } from './outbound.js';
import { RoomDelivery } from './room-delivery.js';
import type { PinnedAppend, RoomKey, RoomState, RoomStore } from './store.js';
import type { WsFrame } from './ws-frame.js';
import { FRAME_PREFIX_BYTES, FrameKind, PROTOCOL_VERSION, PUBLISH_HEADER_BYTES, PUBLISH_ID_OFFSET, PUBLISH_ROOM_OFFSET } from './wire.js';

/** A room with at least one connection on this process. */
export interface LocalRoom {
  readonly key: RoomKey;
  readonly id: Buffer;
  readonly members: Set<Connection>;
  /** Settles once the store delivers this room's envelopes from other processes. */
  readonly subscribed: Promise<void>;
  /** Admissions waiting on `subscribed`; the room is not released while any wait. */
  joining: number;
  /** Live delivery to the members here, in cursor order. */
  readonly delivery: RoomDelivery;
}

/** What room membership needs from the relay. */
interface RoomsPort {
  readonly store: Pick<RoomStore, 'subscribe' | 'unsubscribe' | 'readAfter'>;
  readonly out: Pick<Outbound, 'json' | 'error' | 'frame' | 'envelope'>;
  readonly log: Logger;
  /** A connection was admitted to a room (the handshake timeout stops applying). */
  admitted(conn: Connection): void;
}

/** Membership: rooms with members here, each subscribed to the store while it has any. */
export class Rooms {
  readonly local = new Map<RoomKey, LocalRoom>();

  constructor(private readonly port: RoomsPort) {}

  /** The room's local state, subscribing to the store when it is new here. */
  open(room: RoomKey, roomId: Buffer): LocalRoom {
    let local = this.local.get(room);
    if (!local) {
      const members = new Set<Connection>();
      const delivery = new RoomDelivery(
        { store: this.port.store, out: this.port.out, log: this.port.log, expel: (conn, key) => this.removeMember(conn, key) },
        { key: room, id: roomId, members },
      );
      local = { key: room, id: roomId, members, subscribed: this.port.store.subscribe(room), joining: 0, delivery };
      // Admission awaits it and answers a failure; nobody else does.
      local.subscribed.catch(() => undefined);
      this.local.set(room, local);
    }
    return local;
  }

  releaseIfEmpty(local: LocalRoom): void {
    if (local.members.size > 0 || local.joining > 0 || this.local.get(local.key) !== local) return;
    this.local.delete(local.key);
    local.delivery.close();
    this.port.store.unsubscribe(local.key).catch((err: unknown) => this.port.log.warn('unsubscribe_failed', { message: errorMessage(err) }));
  }

  addMember(conn: Connection, local: LocalRoom): void {
    if (!conn.inRoom(local.key)) (conn.rooms ??= []).push(local.key);
    local.members.add(conn);
    this.port.admitted(conn);
  }

  /** Takes a closed connection out of every room it was in. */
  leaveAll(conn: Connection): void {
    if (conn.rooms) for (const room of [...conn.rooms]) this.removeMember(conn, room);
    conn.rooms = undefined;
  }

  /** A `leave` request: ends membership, or cancels an admission under way. */
  leave(conn: Connection, room: RoomKey): void {
    const { out } = this.port;
    const cancelled = conn.cancelAdmission(room);
    if (!conn.inRoom(room)) {
      if (cancelled) out.json(conn, { v: PROTOCOL_VERSION, t: 'left', room });
      else out.error(conn, ErrorCode.NOT_JOINED, 'not in this room', room);
      return;
    }
    this.removeMember(conn, room);
    out.json(conn, { v: PROTOCOL_VERSION, t: 'left', room });
  }

  /** What the store learnt about a room with members here (RoomStore.onRoomState). */
  storeState(room: RoomKey, state: RoomState): void {
    this.local.get(room)?.delivery.storeState(state);
  }

  private removeMember(conn: Connection, room: RoomKey): void {
    if (conn.rooms) {
      const index = conn.rooms.indexOf(room);
      if (index !== -1) conn.rooms.splice(index, 1);
      if (conn.rooms.length === 0) conn.rooms = undefined;
    }
    const local = this.local.get(room);
    if (!local) return;
    local.members.delete(conn);
    this.releaseIfEmpty(local);
  }
}

/** What publishing needs from the relay. */
export interface PublishPort {
  readonly rooms: ReadonlyMap<RoomKey, LocalRoom>;
  readonly store: Pick<RoomStore, 'append' | 'appendNow' | 'appendPinned'>;
  readonly out: Pick<Outbound, 'error'>;
  readonly counters: RelayCounters;
  readonly log: Logger;
}

/**
 * A PUBLISH or PUBLISH_PINNED frame: checked, stored, then acknowledged to the sender with
 * its cursor (a binary ACK) and fanned out to the room's other members here, in cursor
 * order (room-delivery.ts). Other processes get it from the store.
 */
export function publish(port: PublishPort, conn: Connection, data: Buffer): void {
  const { out } = port;
  if (data.length < FRAME_PREFIX_BYTES) {
    out.error(conn, ErrorCode.BAD_FRAME, 'binary frame shorter than its header');
    return;
  }
  if (data[0] !== PROTOCOL_VERSION) {
    out.error(conn, ErrorCode.UNSUPPORTED_VERSION, `binary frame version ${data[0]} is not ${PROTOCOL_VERSION}`);
    return;
  }
  const pinned = data[1] === FrameKind.PUBLISH_PINNED;
  if (data[1] !== FrameKind.PUBLISH && !pinned) {
    out.error(conn, ErrorCode.BAD_FRAME, `a client may only send PUBLISH frames, not kind ${data[1]}`);
    return;
  }
  if (data.length <= PUBLISH_HEADER_BYTES) {
    out.error(conn, ErrorCode.BAD_FRAME, 'PUBLISH frame without an envelope');
    return;
  }
  const id = data.readUInt32BE(PUBLISH_ID_OFFSET);
  const room = memberRoom(port, conn, data);
  if (typeof room === 'string') {
    out.error(conn, ErrorCode.NOT_JOINED, 'publish to a room this connection has not joined', room, id);
    return;
  }
  const frame = deliverFrameOf(data, room.id);
  const { delivery } = room;
  const ticket = delivery.appending();
  if (pinned) {
    publishPinned(port, conn, room, id, frame, ticket);
    return;
  }
  port.counters.envelopesIn += 1;
  port.counters.bytesIn += data.length - PUBLISH_HEADER_BYTES;
  const { store } = port;
  if (store.appendNow !== undefined) {
    // A store that answers at once (memory): ACK and fan-out in this turn, no promise.
    let cursor: number;
    try {
      cursor = store.appendNow(room.key, envelopeOf(frame), Date.now());
    } catch (err) {
      delivery.failed();
      unavailable(port, conn, room.key, id, err);
      return;
    }
    try {
      delivery.stored(ticket, conn, id, frame, cursor);
    } catch (err) {
      port.log.error('deliver_failed', { message: errorMessage(err) });
    }
    return;
  }
  store
    .append(room.key, envelopeOf(frame), Date.now())
    .then(
      (cursor) => delivery.stored(ticket, conn, id, frame, cursor),
      (err: unknown) => {
        delivery.failed();
        unavailable(port, conn, room.key, id, err);
      },
    )
    // A bug in delivery must not become an unhandled rejection (which ends the process).
    .catch((err: unknown) => port.log.error('deliver_failed', { message: errorMessage(err) }));
}

/**
 * The local room a PUBLISH names, when the connection is one of its members; otherwise the
 * room key it names. The connection's last room is matched by its 32 id bytes, so the common
 * case (publishing again into the same room) decodes no base64url and allocates no string.
 */
function memberRoom(port: PublishPort, conn: Connection, data: Buffer): LocalRoom | RoomKey {
  const last = conn.publishRoom === undefined ? undefined : port.rooms.get(conn.publishRoom);
  if (last !== undefined && last.members.has(conn) && last.id.compare(data, PUBLISH_ROOM_OFFSET, PUBLISH_HEADER_BYTES) === 0) return last;
  const roomKey = data.toString('base64url', PUBLISH_ROOM_OFFSET, PUBLISH_HEADER_BYTES);
  const room = port.rooms.get(roomKey);
  if (!room?.members.has(conn)) return roomKey;
  conn.publishRoom = roomKey;
  return room;
}

/** A pinned publish: as any other once stored, or refused with PIN_LIMIT (nothing stored). */
function publishPinned(port: PublishPort, conn: Connection, room: LocalRoom, id: number, frame: WsFrame, ticket: number): void {
  const { out } = port;
  const envelope = envelopeOf(frame);
  const { delivery } = room;
  port.store
    .appendPinned(room.key, envelope, Date.now())
    .then(
      (result: PinnedAppend) => {
        if (!result.ok) {
          delivery.failed();
          out.error(conn, ErrorCode.PIN_LIMIT, 'this room holds as many pinned envelopes as it may; envelope not stored', room.key, id);
          return;
        }
        port.counters.envelopesIn += 1;
        port.counters.bytesIn += envelope.length;
        delivery.stored(ticket, conn, id, frame, result.cursor);
      },
      (err: unknown) => {
        delivery.failed();
        unavailable(port, conn, room.key, id, err);
      },
    )
    .catch((err: unknown) => port.log.error('deliver_failed', { message: errorMessage(err) }));
}

function unavailable(port: PublishPort, conn: Connection, roomKey: RoomKey, id: number, err: unknown): void {
  port.log.warn('append_failed', { message: errorMessage(err) });
  port.out.error(conn, ErrorCode.UNAVAILABLE, 'the room store is unavailable; envelope not stored', roomKey, id);
}

/** An envelope another relay process appended: to every member here, in cursor order. */
export function deliverRemote(rooms: ReadonlyMap<RoomKey, LocalRoom>, roomKey: RoomKey, cursor: number, envelope: Uint8Array): void {
  rooms.get(roomKey)?.delivery.remote(cursor, envelope);
}
