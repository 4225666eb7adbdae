/**
 * The binary frames the relay writes (docs/PROTOCOL.md A.4): DELIVER and HISTORY, both
 * version(1) kind(1) cursor(8) room id(32) envelope, and ACK, version(1) kind(1)
 * request id(4) cursor(8). Each is built inside its WebSocket frame (ws-frame.ts), so
 * the bytes a recipient gets are written as they are, once per recipient.
 */
import { COPY_BELOW_BYTES } from './memory-room.js';
import {
  ACK_CURSOR_OFFSET,
  ACK_FRAME_BYTES,
  ACK_ID_OFFSET,
  DELIVER_CURSOR_OFFSET,
  DELIVER_HEADER_BYTES,
  DELIVER_ROOM_OFFSET,
  FrameKind,
  PROTOCOL_VERSION,
  PUBLISH_HEADER_BYTES,
} from './wire.js';
import { allocWsFrame, wsPayloadOffset, type WsFrame } from './ws-frame.js';

const U32_RANGE = 2 ** 32;
const U32_BYTES = 4;
const pooled = (size: number): Buffer => Buffer.allocUnsafe(size);
const ownBuffer = (size: number): Buffer => Buffer.allocUnsafeSlow(size);

/** A DELIVER or HISTORY frame of an envelope held by the store. */
export function envelopeFrame(kind: number, cursor: number, roomId: Buffer, envelope: Uint8Array): WsFrame {
  const frame = allocWsFrame(DELIVER_HEADER_BYTES + envelope.byteLength, pooled);
  const at = wsPayloadOffset(frame);
  frame[at] = PROTOCOL_VERSION;
  frame[at + 1] = kind;
  writeU64(frame, cursor, at + DELIVER_CURSOR_OFFSET);
  roomId.copy(frame, at + DELIVER_ROOM_OFFSET);
  frame.set(envelope, at + DELIVER_HEADER_BYTES);
  return frame;
}

/**
 * The DELIVER frame of a client's PUBLISH, cursor not yet known (writeCursor fills it
 * in once the store has assigned one). It is built once and the very same buffer goes
 * to every recipient; its envelope part ({@link envelopeOf}) is what the store gets.
 * Small frames come from Node's buffer pool, since the memory store copies small
 * envelopes into its own slabs; large ones, which it keeps as they are, get a buffer of
 * their own, so retention never pins a pool block.
 */
export function deliverFrameOf(publish: Buffer, roomId: Buffer): WsFrame {
  const envelopeBytes = publish.length - PUBLISH_HEADER_BYTES;
  const frame = allocWsFrame(DELIVER_HEADER_BYTES + envelopeBytes, envelopeBytes < COPY_BELOW_BYTES ? pooled : ownBuffer);
  const at = wsPayloadOffset(frame);
  frame[at] = PROTOCOL_VERSION;
  frame[at + 1] = FrameKind.DELIVER;
  roomId.copy(frame, at + DELIVER_ROOM_OFFSET);
  publish.copy(frame, at + DELIVER_HEADER_BYTES, PUBLISH_HEADER_BYTES);
  return frame;
}

/** The envelope inside a DELIVER or HISTORY frame (a view, no copy). */
export function envelopeOf(frame: WsFrame): Buffer {
  return frame.subarray(wsPayloadOffset(frame) + DELIVER_HEADER_BYTES);
}

/** Writes a cursor (≤ 2^53 − 1) into a DELIVER frame built by {@link deliverFrameOf}. */
export function writeCursor(frame: WsFrame, cursor: number): void {
  writeU64(frame, cursor, wsPayloadOffset(frame) + DELIVER_CURSOR_OFFSET);
}

/**
 * The ACK of a PUBLISH: 14 bytes. `allocUnsafe` slices Node's shared pool, so an ack costs
 * one small view, not a buffer of its own, and no JSON or string (a connection's sends are
 * corked until the end of the turn, so the bytes cannot come from one reused buffer).
 */
export function ackFrame(requestId: number, cursor: number): WsFrame {
  const frame = allocWsFrame(ACK_FRAME_BYTES, pooled);
  const at = wsPayloadOffset(frame);
  frame[at] = PROTOCOL_VERSION;
  frame[at + 1] = FrameKind.ACK;
  frame.writeUInt32BE(requestId, at + ACK_ID_OFFSET);
  writeU64(frame, cursor, at + ACK_CURSOR_OFFSET);
  return frame;
}

/** Writes a safe integer as a big-endian u64 without a BigInt. */
function writeU64(frame: Buffer, value: number, offset: number): void {
  frame.writeUInt32BE(Math.floor(value / U32_RANGE), offset);
  frame.writeUInt32BE(value % U32_RANGE, offset + U32_BYTES);
}
