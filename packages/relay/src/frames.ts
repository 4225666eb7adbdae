/**
 * The binary frames the relay writes (docs/PROTOCOL.md A.4): DELIVER and HISTORY, both
 * version(1) kind(1) cursor(8) room id(32) envelope, and ACK, version(1) kind(1)
 * request id(4) cursor(8).
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

const U32_RANGE = 2 ** 32;
const U32_BYTES = 4;

/** A DELIVER or HISTORY frame of an envelope held by the store. */
export function envelopeFrame(kind: number, cursor: number, roomId: Buffer, envelope: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(DELIVER_HEADER_BYTES + envelope.byteLength);
  frame[0] = PROTOCOL_VERSION;
  frame[1] = kind;
  writeCursor(frame, cursor);
  roomId.copy(frame, DELIVER_ROOM_OFFSET);
  frame.set(envelope, DELIVER_HEADER_BYTES);
  return frame;
}

/**
 * The DELIVER frame of a client's PUBLISH, cursor not yet known (writeCursor fills it
 * in once the store has assigned one). It is built once and the very same buffer goes
 * to every recipient; its envelope part is what the store gets. Small frames come from
 * Node's buffer pool, since the memory store copies small envelopes into its own slabs;
 * large ones, which it keeps as they are, get a buffer of their own, so retention never
 * pins a pool block.
 */
export function deliverFrameOf(publish: Buffer, roomId: Buffer): Buffer {
  const envelopeBytes = publish.length - PUBLISH_HEADER_BYTES;
  const frameBytes = DELIVER_HEADER_BYTES + envelopeBytes;
  const frame = envelopeBytes < COPY_BELOW_BYTES ? Buffer.allocUnsafe(frameBytes) : Buffer.allocUnsafeSlow(frameBytes);
  frame[0] = PROTOCOL_VERSION;
  frame[1] = FrameKind.DELIVER;
  roomId.copy(frame, DELIVER_ROOM_OFFSET);
  publish.copy(frame, DELIVER_HEADER_BYTES, PUBLISH_HEADER_BYTES);
  return frame;
}

/** Writes a cursor (≤ 2^53 − 1) into a DELIVER frame built by {@link deliverFrameOf}. */
export function writeCursor(frame: Buffer, cursor: number): void {
  writeU64(frame, cursor, DELIVER_CURSOR_OFFSET);
}

/**
 * The ACK of a PUBLISH: 14 bytes. `allocUnsafe` slices Node's shared pool, so an ack costs
 * one small view, not a buffer of its own, and no JSON or string (a connection's sends are
 * corked until the end of the turn, so the bytes cannot come from one reused buffer).
 */
export function ackFrame(requestId: number, cursor: number): Buffer {
  const frame = Buffer.allocUnsafe(ACK_FRAME_BYTES);
  frame[0] = PROTOCOL_VERSION;
  frame[1] = FrameKind.ACK;
  frame.writeUInt32BE(requestId, ACK_ID_OFFSET);
  writeU64(frame, cursor, ACK_CURSOR_OFFSET);
  return frame;
}

/** Writes a safe integer as a big-endian u64 without a BigInt. */
function writeU64(frame: Buffer, value: number, offset: number): void {
  frame.writeUInt32BE(Math.floor(value / U32_RANGE), offset);
  frame.writeUInt32BE(value % U32_RANGE, offset + U32_BYTES);
}
