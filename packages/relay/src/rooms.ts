/**
 * Rooms on this process: which connections are members, publishing into a room, and
 * fan-out to its members. Publish and fan-out are the hot path: plain functions over
 * one frame buffer that every recipient shares, nothing allocated per delivery.
 */
import type { Connection } from './connection.js';
import { ErrorCode } from './errors.js';
import { ackFrame, deliverFrameOf, envelopeFrame, writeCursor } from './frames.js';
import { errorMessage, type Logger } from './log.js';
import type { RelayCounters } from './metrics.js';
import type { Outbound } from './outbound.js';
import type { PinnedAppend, RoomKey, RoomStore } from './store.js';
import { DELIVER_HEADER_BYTES, FRAME_PREFIX_BYTES, FrameKind, PROTOCOL_VERSION, PUBLISH_HEADER_BYTES, PUBLISH_ID_OFFSET, PUBLISH_ROOM_OFFSET } from './wire.js';

/** A room with at least one connection on this process. */
export interface LocalRoom {
  readonly key: RoomKey;
  readonly id: Buffer;
  readonly members: Set<Connection>;
  /** Settles once the store delivers this room's envelopes from other processes. */
  readonly subscribed: Promise<void>;
  /** Admissions waiting on `subscribed`; the room is not released while any wait. */
  joining: number;
}

/** What room membership needs from the relay. */
interface RoomsPort {
  readonly store: Pick<RoomStore, 'subscribe' | 'unsubscribe'>;
  readonly out: Pick<Outbound, 'json' | 'error'>;
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
      const subscribed = this.port.store.subscribe(room).catch((err: unknown) => this.port.log.warn('subscribe_failed', { message: errorMessage(err) }));
      local = { key: room, id: roomId, members: new Set(), subscribed, joining: 0 };
      this.local.set(room, local);
    }
    return local;
  }

  releaseIfEmpty(local: LocalRoom): void {
    if (local.members.size > 0 || local.joining > 0 || this.local.get(local.key) !== local) return;
    this.local.delete(local.key);
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
  readonly store: Pick<RoomStore, 'append' | 'appendPinned'>;
  readonly out: Pick<Outbound, 'frame' | 'error' | 'envelope'>;
  readonly counters: RelayCounters;
  readonly log: Logger;
}

/**
 * A PUBLISH or PUBLISH_PINNED frame: checked, stored, acknowledged to the sender with its
 * cursor (a binary ACK), and fanned out to the room's other members here. Other processes
 * get it from the store.
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
  const roomKey = data.toString('base64url', PUBLISH_ROOM_OFFSET, PUBLISH_HEADER_BYTES);
  const room = port.rooms.get(roomKey);
  if (!room?.members.has(conn)) {
    out.error(conn, ErrorCode.NOT_JOINED, 'publish to a room this connection has not joined', roomKey, id);
    return;
  }
  const frame = deliverFrameOf(data, room.id);
  if (pinned) {
    publishPinned(port, conn, roomKey, id, frame);
    return;
  }
  port.counters.envelopesIn += 1;
  port.counters.bytesIn += data.length - PUBLISH_HEADER_BYTES;
  port.store
    .append(roomKey, frame.subarray(DELIVER_HEADER_BYTES), Date.now())
    .then(
      (cursor) => delivered(port, conn, roomKey, id, frame, cursor),
      (err: unknown) => unavailable(port, conn, roomKey, id, err),
    )
    // A bug in delivery must not become an unhandled rejection (which ends the process).
    .catch((err: unknown) => port.log.error('deliver_failed', { message: errorMessage(err) }));
}

/** A pinned publish: as any other once stored, or refused with PIN_LIMIT (nothing stored). */
function publishPinned(port: PublishPort, conn: Connection, roomKey: RoomKey, id: number, frame: Buffer): void {
  const { out } = port;
  port.store
    .appendPinned(roomKey, frame.subarray(DELIVER_HEADER_BYTES), Date.now())
    .then(
      (result: PinnedAppend) => {
        if (!result.ok) {
          out.error(conn, ErrorCode.PIN_LIMIT, 'this room holds as many pinned envelopes as it may; envelope not stored', roomKey, id);
          return;
        }
        port.counters.envelopesIn += 1;
        port.counters.bytesIn += frame.length - DELIVER_HEADER_BYTES;
        delivered(port, conn, roomKey, id, frame, result.cursor);
      },
      (err: unknown) => unavailable(port, conn, roomKey, id, err),
    )
    .catch((err: unknown) => port.log.error('deliver_failed', { message: errorMessage(err) }));
}

/** Stored: the sender gets its ACK, the room's other members here the envelope. */
function delivered(port: PublishPort, conn: Connection, roomKey: RoomKey, id: number, frame: Buffer, cursor: number): void {
  writeCursor(frame, cursor);
  port.out.frame(conn, ackFrame(id, cursor));
  const target = port.rooms.get(roomKey);
  if (target) fanOut(port.out, target, frame, conn);
}

function unavailable(port: PublishPort, conn: Connection, roomKey: RoomKey, id: number, err: unknown): void {
  port.log.warn('append_failed', { message: errorMessage(err) });
  port.out.error(conn, ErrorCode.UNAVAILABLE, 'the room store is unavailable; envelope not stored', roomKey, id);
}

/** Sends one frame to every member of the room but `except`. */
function fanOut(out: Pick<Outbound, 'envelope'>, room: LocalRoom, frame: Buffer, except: Connection | undefined): void {
  for (const member of room.members) {
    if (member !== except) out.envelope(member, frame);
  }
}

/** An envelope another relay process appended: to every member here. */
export function deliverRemote(port: Pick<PublishPort, 'rooms' | 'out'>, roomKey: RoomKey, cursor: number, envelope: Uint8Array): void {
  const room = port.rooms.get(roomKey);
  if (!room) return;
  fanOut(port.out, room, envelopeFrame(FrameKind.DELIVER, cursor, room.id, envelope), undefined);
}
