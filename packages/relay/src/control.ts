/**
 * JSON control messages (docs/PROTOCOL.md A.2–A.6): size, JSON and version checks, then
 * dispatch by `t`. Requests about a room have the room checked here and go to the
 * module that owns them (admission, rooms, catch-up); `ping` is answered here.
 */
import type { Connection } from './connection.js';
import { ErrorCode } from './errors.js';
import { errorMessage, type Logger } from './log.js';
import type { RelayLimits, RetentionLimits } from './options.js';
import type { Outbound } from './outbound.js';
import type { RoomKey } from './store.js';
import { isRoomKey, type Json } from './validation.js';
import { MAX_HISTORY_PAGE_ENTRIES, PROTOCOL_VERSION, PUBLISH_HEADER_BYTES, ROOM_ID_BASE64URL_CHARS, ROOM_ID_BYTES } from './wire.js';

/** Longest `id` string a ping may carry (it is echoed back). */
const MAX_PING_ID_CHARS = 64;

/** The requests about one room, by their `t`; each gets a valid room id. */
interface RoomRequests {
  join(conn: Connection, room: RoomKey, msg: Json): Promise<void>;
  prove(conn: Connection, room: RoomKey, msg: Json): Promise<void>;
  leave(conn: Connection, room: RoomKey, msg: Json): void;
  history(conn: Connection, room: RoomKey, msg: Json): Promise<void>;
}
type RoomRequestType = keyof RoomRequests;

function isRoomRequest(t: unknown): t is RoomRequestType {
  // Version 1's `retention` request is gone: a room's retention is fixed when it is
  // registered, so it is an unknown type now (UNKNOWN_TYPE).
  return t === 'join' || t === 'prove' || t === 'leave' || t === 'history';
}

/** What control dispatch needs from the relay. */
export interface ControlPort {
  readonly limits: Pick<RelayLimits, 'maxControlBytes'>;
  readonly out: Pick<Outbound, 'json' | 'error'>;
  readonly log: Logger;
  readonly requests: RoomRequests;
}

/** A text frame from a client. */
export function onControl(port: ControlPort, conn: Connection, data: Buffer): void {
  const { out } = port;
  if (data.length > port.limits.maxControlBytes) {
    out.error(conn, ErrorCode.MESSAGE_TOO_LARGE, `control messages are at most ${port.limits.maxControlBytes} bytes`);
    return;
  }
  let message: unknown;
  try {
    message = JSON.parse(data.toString('utf8'));
  } catch {
    out.error(conn, ErrorCode.BAD_JSON, 'text frame is not JSON');
    return;
  }
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    out.error(conn, ErrorCode.BAD_JSON, 'text frame is not a JSON object');
    return;
  }
  const msg = message as Json;
  if (typeof msg.v !== 'number') {
    out.error(conn, ErrorCode.BAD_MESSAGE, 'missing protocol version "v"');
    return;
  }
  if (msg.v !== PROTOCOL_VERSION) {
    out.error(conn, ErrorCode.UNSUPPORTED_VERSION, `protocol version ${msg.v} is not supported; this relay speaks ${PROTOCOL_VERSION}`);
    return;
  }
  const type = msg.t;
  if (type === 'ping') {
    answerPing(out, conn, msg);
    return;
  }
  if (!isRoomRequest(type)) {
    if (typeof type === 'string') out.error(conn, ErrorCode.UNKNOWN_TYPE, 'unknown message type');
    else out.error(conn, ErrorCode.BAD_MESSAGE, 'missing message type "t"');
    return;
  }
  const room = msg.room;
  if (!isRoomKey(room)) {
    out.error(conn, ErrorCode.BAD_ROOM, `"room" must be ${ROOM_ID_BYTES} bytes in base64url (${ROOM_ID_BASE64URL_CHARS} characters)`);
    return;
  }
  port.requests[type](conn, room, msg)
    ?.catch((err: unknown) => {
      port.log.warn('store_failed', { message: errorMessage(err) });
      out.error(conn, ErrorCode.UNAVAILABLE, 'the room store is unavailable', room);
    })
    .catch((err: unknown) => port.log.error('refusal_failed', { message: errorMessage(err) }));
}

function answerPing(out: ControlPort['out'], conn: Connection, msg: Json): void {
  const id = msg.id;
  const valid = id === undefined || (typeof id === 'number' && Number.isFinite(id)) || (typeof id === 'string' && id.length <= MAX_PING_ID_CHARS);
  if (!valid) {
    out.error(conn, ErrorCode.BAD_MESSAGE, `ping "id" must be a number or a string of at most ${MAX_PING_ID_CHARS} characters`);
    return;
  }
  out.json(conn, { v: PROTOCOL_VERSION, t: 'pong', id });
}

/** The `hello` every connection gets first (A.2): the limits it must keep to. */
export function helloText(limits: RelayLimits, retention: Pick<RetentionLimits, 'maxAgeMs' | 'minAgeMs' | 'maxPinnedPerRoom'>): string {
  // Every budget is announced, so a client can pace itself instead of finding the edge.
  return JSON.stringify({
    v: PROTOCOL_VERSION,
    t: 'hello',
    limits: {
      maxFrameBytes: limits.maxFrameBytes,
      maxEnvelopeBytes: limits.maxFrameBytes - PUBLISH_HEADER_BYTES,
      maxControlBytes: limits.maxControlBytes,
      maxRoomsPerConnection: limits.maxRoomsPerConnection,
      messagesPerSecond: limits.messagesPerSecond,
      messageBurst: limits.messageBurst,
      bytesPerSecond: limits.bytesPerSecond,
      byteBurst: limits.byteBurst,
      maxHistoryPage: MAX_HISTORY_PAGE_ENTRIES,
      heartbeatIntervalMs: limits.heartbeatIntervalMs,
      maxRetentionAgeMs: retention.maxAgeMs,
      minRetentionAgeMs: retention.minAgeMs,
      maxPinnedPerRoom: retention.maxPinnedPerRoom,
      historyBytesPerSecond: limits.historyBytesPerSecond,
      historyByteBurst: limits.historyByteBurst,
      historyBytesPerSecondPerAddress: limits.historyBytesPerSecondPerAddress,
      historyByteBurstPerAddress: limits.historyByteBurstPerAddress,
      registrationsPerMinute: limits.registrationsPerMinute,
      registrationBurst: limits.registrationBurst,
    },
  });
}
