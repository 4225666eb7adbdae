/**
 * Binary WebSocket frames built by the relay itself (RFC 6455 §5.2, server to client:
 * FIN set, opcode binary, unmasked). An envelope's DELIVER frame goes to every member of
 * its room; framed here once, in the same buffer as the relay frame, every recipient gets
 * the very same bytes in one socket write, where `ws.send` would build a header and two
 * option objects and make two writes per recipient. Nothing but the header is different:
 * the bytes on the wire are what `ws.send(payload, { binary: true })` writes.
 */

/** A whole WebSocket frame: header, then the relay frame (its payload). */
export type WsFrame = Buffer & { readonly __wsFrame: unique symbol };

/** FIN (0x80) | opcode 0x2 (binary): a whole binary message in one frame. */
const FIN_BINARY = 0x82;
/** Payload lengths up to this fit the 7-bit length field. */
const MAX_7BIT_LENGTH = 125;
/** 7-bit length values that say a 16-bit or a 64-bit length follows. */
const LENGTH_16 = 126;
const LENGTH_64 = 127;
const MAX_16BIT_LENGTH = 0xffff;
/** Header sizes, bytes: 2 (7-bit length), 4 (16-bit length), 10 (64-bit length). */
const HEADER_7 = 2;
const HEADER_16 = 4;
const HEADER_64 = 10;
const LENGTH_OFFSET = 2;
const U32_RANGE = 2 ** 32;
const U32_BYTES = 4;

/** Bytes of the header in front of a payload of this many bytes. */
export function wsHeaderBytes(payloadBytes: number): number {
  if (payloadBytes <= MAX_7BIT_LENGTH) return HEADER_7;
  return payloadBytes <= MAX_16BIT_LENGTH ? HEADER_16 : HEADER_64;
}

/**
 * A frame for a payload of `payloadBytes`, header written, payload left to the caller
 * (at {@link wsPayloadOffset}). `alloc` is Buffer.allocUnsafe or allocUnsafeSlow (see frames.ts).
 */
export function allocWsFrame(payloadBytes: number, alloc: (size: number) => Buffer): WsFrame {
  const header = wsHeaderBytes(payloadBytes);
  const frame = alloc(header + payloadBytes);
  frame[0] = FIN_BINARY;
  if (header === HEADER_7) {
    frame[1] = payloadBytes;
  } else if (header === HEADER_16) {
    frame[1] = LENGTH_16;
    frame.writeUInt16BE(payloadBytes, LENGTH_OFFSET);
  } else {
    frame[1] = LENGTH_64;
    frame.writeUInt32BE(Math.floor(payloadBytes / U32_RANGE), LENGTH_OFFSET);
    frame.writeUInt32BE(payloadBytes % U32_RANGE, LENGTH_OFFSET + U32_BYTES);
  }
  return frame as WsFrame;
}

/** Where the payload of a frame built by {@link allocWsFrame} starts. */
export function wsPayloadOffset(frame: WsFrame): number {
  const length = frame[1]!;
  if (length === LENGTH_16) return HEADER_16;
  return length === LENGTH_64 ? HEADER_64 : HEADER_7;
}

/** The payload of a frame (a view, no copy): what `ws.send` takes when the frame cannot be written as it is. */
export function wsPayload(frame: WsFrame): Buffer {
  return frame.subarray(wsPayloadOffset(frame));
}
