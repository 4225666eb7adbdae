/**
 * The binary frames the relay writes (docs/PROTOCOL.md A.2): DELIVER and HISTORY, both
 * version(1) kind(1) cursor(8) room id(32) envelope.
 */
import { COPY_BELOW_BYTES } from './memory-store.js';
import { DELIVER_CURSOR_OFFSET, DELIVER_HEADER_BYTES, DELIVER_ROOM_OFFSET, FrameKind, PROTOCOL_VERSION, PUBLISH_HEADER_BYTES } from './wire.js';

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

/** Writes a cursor (≤ 2^53 − 1) as a big-endian u64 without a BigInt per envelope. */
export function writeCursor(frame: Buffer, cursor: number): void {
  frame.writeUInt32BE(Math.floor(cursor / U32_RANGE), DELIVER_CURSOR_OFFSET);
  frame.writeUInt32BE(cursor % U32_RANGE, DELIVER_CURSOR_OFFSET + U32_BYTES);
}
