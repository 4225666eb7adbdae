// Part A of docs/PROTOCOL.md, the relay wire protocol, as far as a load generator needs
// it: the binary PUBLISH / DELIVER / ACK frames and the admission proof. Written from the
// document rather than imported from the relay, so the benchmark doubles as a check that
// the document is enough to interoperate.
import { fromBase64Url as decodeBase64Url, toBase64Url } from '@sealroom/protocol';

/** Protocol version carried in every frame and JSON message (PROTOCOL.md A.1). */
export const WIRE_VERSION = 2;
/** Binary frame kinds (PROTOCOL.md A.4). */
export const FRAME_KIND_PUBLISH = 0x01;
export const FRAME_KIND_DELIVER = 0x02;
export const FRAME_KIND_HISTORY = 0x03;
export const FRAME_KIND_ACK = 0x04;

/** Room ids are exactly 32 raw bytes (PROTOCOL.md A.1). */
export const ROOM_ID_BYTES = 32;
/** Admission keys are 32 bytes, HMAC-SHA-256 keys (PROTOCOL.md A.3). */
export const ADMISSION_KEY_BYTES = 32;
/** Bytes: version (1) + kind (1) + request id (u32, 4) + room id (32). */
export const PUBLISH_HEADER_BYTES = 1 + 1 + 4 + ROOM_ID_BYTES;
/** Bytes: version (1) + kind (1) + cursor (u64, 8) + room id (32). */
export const DELIVER_HEADER_BYTES = 1 + 1 + 8 + ROOM_ID_BYTES;
/** Bytes: version (1) + kind (1) + request id (u32, 4) + cursor (u64, 8): the whole ACK. */
export const ACK_FRAME_BYTES = 1 + 1 + 4 + 8;
const PUBLISH_REQUEST_ID_OFFSET = 2;
const ACK_REQUEST_ID_OFFSET = 2;
const PUBLISH_ROOM_OFFSET = 6;
const DELIVER_CURSOR_OFFSET = 2;
/** The admission MAC covers this ASCII label, then the room id, then the nonce. */
const ADMISSION_LABEL = new TextEncoder().encode('sealroom/admit/v1');

/** A PUBLISH frame with room id filled in and `envelopeBytes` of envelope left for the caller. */
export function publishFrame(roomId: Uint8Array, envelopeBytes: number): Buffer {
  const frame = Buffer.alloc(PUBLISH_HEADER_BYTES + envelopeBytes);
  frame[0] = WIRE_VERSION;
  frame[1] = FRAME_KIND_PUBLISH;
  frame.set(roomId, PUBLISH_ROOM_OFFSET);
  return frame;
}

export function setRequestId(frame: Buffer, requestId: number): void {
  frame.writeUInt32BE(requestId >>> 0, PUBLISH_REQUEST_ID_OFFSET);
}

/** Envelope bytes of a DELIVER or HISTORY frame, or undefined for anything else. */
export function deliveredEnvelope(frame: Buffer): Buffer | undefined {
  if (frame.length <= DELIVER_HEADER_BYTES || frame[0] !== WIRE_VERSION) return undefined;
  if (frame[1] !== FRAME_KIND_DELIVER && frame[1] !== FRAME_KIND_HISTORY) return undefined;
  return frame.subarray(DELIVER_HEADER_BYTES);
}

/** The cursor of a DELIVER or HISTORY frame (u64 after version and kind; ≤ 2^53 − 1 by A.4). */
export function deliveredCursor(frame: Buffer): number {
  return Number(frame.readBigUInt64BE(DELIVER_CURSOR_OFFSET));
}

/** The request id an ACK frame acknowledges, or undefined for any other frame. */
export function ackedRequestId(frame: Buffer): number | undefined {
  if (frame.length !== ACK_FRAME_BYTES || frame[0] !== WIRE_VERSION || frame[1] !== FRAME_KIND_ACK) return undefined;
  return frame.readUInt32BE(ACK_REQUEST_ID_OFFSET);
}

/** The relay's base64url (unpadded, strict) for the byte strings of Part A's JSON: the protocol's own helper. */
export { toBase64Url };

/** base64url from the relay, which is well-formed here or the harness has a bug: it throws. */
export function fromBase64Url(text: string): Uint8Array {
  const bytes = decodeBase64Url(text);
  if (bytes === undefined) throw new Error(`not unpadded base64url: ${text.slice(0, 16)}`);
  return bytes;
}

/** HMAC-SHA-256(admissionKey, label ‖ roomId ‖ nonce), through WebCrypto (PROTOCOL.md A.3). */
export async function admissionProof(admissionKey: Uint8Array, roomId: Uint8Array, nonce: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new Uint8Array(admissionKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const message = new Uint8Array(ADMISSION_LABEL.length + roomId.length + nonce.length);
  message.set(ADMISSION_LABEL, 0);
  message.set(roomId, ADMISSION_LABEL.length);
  message.set(nonce, ADMISSION_LABEL.length + roomId.length);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
}
