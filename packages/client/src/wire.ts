/**
 * Relay wire format (docs/PROTOCOL.md Part A): JSON control messages in text frames,
 * envelopes in binary frames. Parsing is defensive: the relay is not trusted for
 * anything but delivery, so a malformed frame is a value, never an exception.
 */
import { fromBase64Url, toBase64Url } from '@sealroom/protocol';
import type { RelayErrorCode } from './codes.js';

/** Part A protocol version, in every JSON message (`v`) and binary frame (first byte). */
export const WIRE_VERSION = 2;
/** Room ids are 32 raw bytes (43 base64url characters in JSON). */
export const ROOM_ID_BYTES = 32;
/** Binary frame kinds (byte 1): PUBLISH and PUBLISH_PINNED go to the relay, the others come from it. */
export const FRAME_PUBLISH = 0x01;
export const FRAME_DELIVER = 0x02;
export const FRAME_HISTORY = 0x03;
export const FRAME_ACK = 0x04;
export const FRAME_PUBLISH_PINNED = 0x05;
/** PUBLISH header: version (1) + kind (1) + request id u32 (4) + room id (32). */
export const PUBLISH_HEADER_BYTES = 1 + 1 + 4 + ROOM_ID_BYTES;
/** DELIVER/HISTORY header: version (1) + kind (1) + cursor u64 (8) + room id (32). */
export const DELIVER_HEADER_BYTES = 1 + 1 + 8 + ROOM_ID_BYTES;
/** ACK, whole: version (1) + kind (1) + request id u32 (4) + cursor u64 (8). */
export const ACK_FRAME_BYTES = 1 + 1 + 4 + 8;
/** Offsets inside DELIVER/HISTORY: the cursor after version and kind, the room id after it. */
const DELIVER_CURSOR_OFFSET = 2;
const DELIVER_ROOM_OFFSET = DELIVER_CURSOR_OFFSET + 8;
/** Offsets inside ACK: the request id after version and kind, the cursor after it. */
const ACK_ID_OFFSET = 2;
const ACK_CURSOR_OFFSET = ACK_ID_OFFSET + 4;
/** A relay room epoch: 1–64 characters of the base64url alphabet (Part A.3). */
const EPOCH_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Offsets inside PUBLISH: the request id after version and kind, the room id after it. */
const PUBLISH_ID_OFFSET = 2;
const PUBLISH_ROOM_OFFSET = PUBLISH_ID_OFFSET + 4;
/** Request ids are u32 on the wire; wrap before 2^32. */
export const MAX_REQUEST_ID = 0xffff_ffff;
/** Largest page a history request may ask for (Part A.5). */
export const HISTORY_PAGE_LIMIT = 1000;

/** A PUBLISH frame, or PUBLISH_PINNED when `pinned` (kept outside the relay's trimming, A.4). */
export function encodePublish(requestId: number, roomId: Uint8Array, envelope: EnvelopeBytes, pinned = false): Uint8Array {
  const frame = new Uint8Array(PUBLISH_HEADER_BYTES + envelopeLength(envelope));
  const view = new DataView(frame.buffer);
  frame[0] = WIRE_VERSION;
  frame[1] = pinned ? FRAME_PUBLISH_PINNED : FRAME_PUBLISH;
  view.setUint32(PUBLISH_ID_OFFSET, requestId);
  frame.set(roomId, PUBLISH_ROOM_OFFSET);
  let offset = PUBLISH_HEADER_BYTES;
  for (const part of pieces(envelope)) {
    frame.set(part, offset);
    offset += part.length;
  }
  return frame;
}

/** An envelope, whole or as pieces to be written one after the other (one copy into the frame). */
export type EnvelopeBytes = Uint8Array | readonly Uint8Array[];

/** The envelope's pieces (a byte array from another realm, e.g. an iframe, is one piece too). */
function pieces(envelope: EnvelopeBytes): readonly Uint8Array[] {
  return ArrayBuffer.isView(envelope) ? [envelope as Uint8Array] : (envelope as readonly Uint8Array[]);
}

export function envelopeLength(envelope: EnvelopeBytes): number {
  let length = 0;
  for (const part of pieces(envelope)) length += part.length;
  return length;
}

export interface DeliverFrame {
  kind: 'deliver' | 'history';
  cursor: number;
  room: string;
  envelope: Uint8Array;
}

export interface AckFrame {
  kind: 'ack';
  requestId: number;
  cursor: number;
}

/** A cursor as a u64 at `offset`: undefined when 0 or past 2^53 − 1 (what JSON can carry). */
function readCursor(view: DataView, offset: number): number | undefined {
  const cursor = view.getBigUint64(offset);
  return cursor > BigInt(Number.MAX_SAFE_INTEGER) || cursor === 0n ? undefined : Number(cursor);
}

/** A binary frame from the relay: DELIVER, HISTORY or ACK; undefined for anything malformed. */
export function decodeRelayFrame(frame: Uint8Array): DeliverFrame | AckFrame | undefined {
  if (frame.length < 2 || frame[0] !== WIRE_VERSION) return undefined;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame[1] === FRAME_ACK) {
    if (frame.length !== ACK_FRAME_BYTES) return undefined;
    const cursor = readCursor(view, ACK_CURSOR_OFFSET);
    return cursor === undefined ? undefined : { kind: 'ack', requestId: view.getUint32(ACK_ID_OFFSET), cursor };
  }
  return decodeDeliver(frame);
}

export function decodeDeliver(frame: Uint8Array): DeliverFrame | undefined {
  if (frame.length <= DELIVER_HEADER_BYTES || frame[0] !== WIRE_VERSION) return undefined;
  const kind = frame[1] === FRAME_DELIVER ? 'deliver' : frame[1] === FRAME_HISTORY ? 'history' : undefined;
  if (kind === undefined) return undefined;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const cursor = readCursor(view, DELIVER_CURSOR_OFFSET);
  if (cursor === undefined) return undefined;
  return {
    kind,
    cursor,
    room: toBase64Url(frame.subarray(DELIVER_ROOM_OFFSET, DELIVER_ROOM_OFFSET + ROOM_ID_BYTES)),
    // A view, not a copy: the frame is a message's own buffer (a browser's ArrayBuffer, or
    // one ws hands over with binaryType "arraybuffer"), so it pins the few header bytes before it.
    envelope: frame.subarray(DELIVER_HEADER_BYTES),
  };
}

/** Relay → client JSON messages the client understands. */
export type ServerMessage =
  | { t: 'hello'; limits: { maxFrameBytes?: number; maxEnvelopeBytes?: number; maxRoomsPerConnection?: number } }
  | { t: 'challenge'; room: string; nonce: Uint8Array; registered: boolean }
  | { t: 'joined'; room: string; head: number; epoch: string }
  | { t: 'gap'; room: string; after: number; upTo: number }
  | { t: 'history-end'; room: string; head: number; more: boolean }
  | { t: 'left'; room: string }
  | { t: 'pong'; id: unknown }
  | { t: 'error'; code: RelayErrorCode | 'UNKNOWN_RELAY_ERROR'; message: string; room?: string; id?: number; retryAfterMs?: number };

/** Every code of Part A.7: a relay error with another code (or none) is reported as `UNKNOWN_RELAY_ERROR`. */
const RELAY_ERROR_CODES: Record<RelayErrorCode, true> = {
  BAD_JSON: true,
  BAD_MESSAGE: true,
  UNSUPPORTED_VERSION: true,
  UNKNOWN_TYPE: true,
  BAD_FRAME: true,
  BAD_ROOM: true,
  NOT_JOINED: true,
  NO_CHALLENGE: true,
  ADMISSION_DENIED: true,
  ROOM_LIMIT: true,
  RATE_LIMITED: true,
  MESSAGE_TOO_LARGE: true,
  UNAVAILABLE: true,
  PIN_LIMIT: true,
  HISTORY_LIMITED: true,
  REGISTRATION_LIMITED: true,
  STORE_FULL: true,
};
const isRelayErrorCode = (value: unknown): value is RelayErrorCode => typeof value === 'string' && Object.hasOwn(RELAY_ERROR_CODES, value);
const isCursor = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isRoom = (value: unknown): value is string => typeof value === 'string' && fromBase64Url(value)?.length === ROOM_ID_BYTES;

export function parseServerMessage(text: string): ServerMessage | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (m.v !== WIRE_VERSION) return undefined;
  switch (m.t) {
    case 'hello': {
      const limits = typeof m.limits === 'object' && m.limits !== null ? (m.limits as Record<string, unknown>) : {};
      const num = (value: unknown) => (Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : undefined);
      return {
        t: 'hello',
        limits: {
          maxFrameBytes: num(limits.maxFrameBytes),
          maxEnvelopeBytes: num(limits.maxEnvelopeBytes),
          maxRoomsPerConnection: num(limits.maxRoomsPerConnection),
        },
      };
    }
    case 'challenge': {
      const nonce = typeof m.nonce === 'string' ? fromBase64Url(m.nonce) : undefined;
      if (!isRoom(m.room) || nonce === undefined) return undefined;
      return { t: 'challenge', room: m.room, nonce, registered: m.registered === true };
    }
    case 'joined':
      return isRoom(m.room) && isCursor(m.head) && typeof m.epoch === 'string' && EPOCH_PATTERN.test(m.epoch)
        ? { t: 'joined', room: m.room, head: m.head, epoch: m.epoch }
        : undefined;
    case 'gap':
      return isRoom(m.room) && isCursor(m.after) && isCursor(m.upTo) ? { t: 'gap', room: m.room, after: m.after, upTo: m.upTo } : undefined;
    case 'history-end':
      return isRoom(m.room) && isCursor(m.head) ? { t: 'history-end', room: m.room, head: m.head, more: m.more === true } : undefined;
    case 'left':
      return isRoom(m.room) ? { t: m.t, room: m.room } : undefined;
    case 'pong':
      return { t: 'pong', id: m.id };
    case 'error':
      return {
        t: 'error',
        code: isRelayErrorCode(m.code) ? m.code : 'UNKNOWN_RELAY_ERROR',
        message: typeof m.message === 'string' ? m.message : '',
        ...(isRoom(m.room) ? { room: m.room } : {}),
        ...(Number.isSafeInteger(m.id) ? { id: m.id as number } : {}),
        // The budget refusals (HISTORY_LIMITED, REGISTRATION_LIMITED) say when to ask again.
        ...(Number.isSafeInteger(m.retryAfterMs) && (m.retryAfterMs as number) >= 0 ? { retryAfterMs: m.retryAfterMs as number } : {}),
      };
    default:
      return undefined;
  }
}

export function encodeJson(message: Record<string, unknown>): string {
  return JSON.stringify({ v: WIRE_VERSION, ...message });
}
