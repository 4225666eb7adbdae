/**
 * Binary framing of envelopes (docs/PROTOCOL.md B.5). Every envelope starts with the same
 * 82-byte header; the type decides what follows. Decoding is structural only — no crypto —
 * and never throws.
 *
 * Header: u8 version ‖ u8 type ‖ 32-byte room id ‖ 32-byte sender member id ‖ 16-byte message id.
 */
import {
  AES_GCM_IV_BYTES,
  AES_GCM_TAG_BYTES,
  FILE_ID_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_SIGNATURE_BYTES,
  MEMBER_ID_BYTES,
  MESSAGE_ID_BYTES,
  MIN_SIGNATURE_BYTES,
  PROTOCOL_VERSION,
  ROOM_ID_BYTES,
} from './constants.js';
import { Reader, concat, u8, type Bytes } from './bytes.js';
import { fail, type EnvelopeErrorCode, type Result } from './errors.js';

/** Envelope type bytes. */
export const ENVELOPE_TYPE = {
  join: 0x01,
  'sender-key': 0x02,
  group: 0x03,
  direct: 0x04,
  'file-chunk': 0x05,
  control: 0x06,
} as const;

export type EnvelopeType = keyof typeof ENVELOPE_TYPE;

const TYPE_BY_BYTE = new Map<number, EnvelopeType>(Object.entries(ENVELOPE_TYPE).map(([name, byte]) => [byte, name as EnvelopeType]));

/** Content kinds of group and direct messages. */
export const CONTENT_KIND = { message: 0x01, 'file-manifest': 0x02 } as const;
export type ContentKind = keyof typeof CONTENT_KIND;
const CONTENT_BY_BYTE = new Map<number, ContentKind>(Object.entries(CONTENT_KIND).map(([name, byte]) => [byte, name as ContentKind]));

/** Header layout: version byte at 0, type byte, then the fixed-size fields. */
const HEADER_TYPE_OFFSET = 1;
const HEADER_ROOM_OFFSET = HEADER_TYPE_OFFSET + 1;
const HEADER_SENDER_OFFSET = HEADER_ROOM_OFFSET + ROOM_ID_BYTES;
const HEADER_MESSAGE_ID_OFFSET = HEADER_SENDER_OFFSET + MEMBER_ID_BYTES;
/** Header length: version, type, room id, sender, message id. */
export const HEADER_BYTES = HEADER_MESSAGE_ID_OFFSET + MESSAGE_ID_BYTES;
/** Longest RSA-OAEP ciphertext accepted (same bound as signatures). */
const MAX_OAEP_BYTES = MAX_SIGNATURE_BYTES;

/** A structurally valid envelope; nothing in it is verified yet. @internal */
export interface DecodedEnvelope {
  type: EnvelopeType;
  roomId: Bytes;
  sender: Bytes;
  messageId: Bytes;
  header: Bytes;
  keyId?: number;
  sequence?: number;
  content?: ContentKind;
  recipient?: Bytes;
  fileId?: Bytes;
  chunkIndex?: number;
  /** RSA-OAEP ciphertext (sender-key distribution: the key; direct: the message key). */
  wrappedKey?: Bytes;
  iv?: Bytes;
  /** A copy, except for file chunks: there a view of the decoded bytes. */
  ciphertext: Bytes;
  /** AES-GCM associated data: every byte before the IV. */
  aad: Bytes;
  /** Everything the outer signature covers (all bytes before it); absent for unsigned types. */
  signed?: Bytes;
  signature?: Bytes;
}

export function encodeHeader(type: EnvelopeType, roomId: Uint8Array, sender: Uint8Array, messageId: Uint8Array): Bytes {
  return concat(u8(PROTOCOL_VERSION), u8(ENVELOPE_TYPE[type]), roomId, sender, messageId);
}

export function contentByte(kind: ContentKind): Bytes {
  return u8(CONTENT_KIND[kind]);
}

/** Structural decoding of any envelope. */
export function decodeEnvelope(data: Uint8Array): Result<{ envelope: DecodedEnvelope }, EnvelopeErrorCode> {
  if (!(data instanceof Uint8Array)) return fail('BAD_LENGTH');
  if (data.length === 0) return fail('BAD_LENGTH');
  if (data[0] !== PROTOCOL_VERSION) return fail('BAD_VERSION');
  if (data.length <= HEADER_TYPE_OFFSET) return fail('BAD_LENGTH');
  const type = TYPE_BY_BYTE.get(data[HEADER_TYPE_OFFSET]!);
  if (type === undefined) return fail('BAD_TYPE');
  if (data.length < HEADER_BYTES) return fail('BAD_LENGTH');
  const r = new Reader(data);
  const header = r.take(HEADER_BYTES)!;
  const base = {
    type,
    header,
    roomId: header.slice(HEADER_ROOM_OFFSET, HEADER_SENDER_OFFSET),
    sender: header.slice(HEADER_SENDER_OFFSET, HEADER_MESSAGE_ID_OFFSET),
    messageId: header.slice(HEADER_MESSAGE_ID_OFFSET, HEADER_BYTES),
  };
  const signatureFrom = (start: number): Result<{ signed: Bytes; signature: Bytes }, EnvelopeErrorCode> => {
    const signature = r.rest();
    if (signature.length < MIN_SIGNATURE_BYTES || signature.length > MAX_SIGNATURE_BYTES) return fail('BAD_LENGTH', 'signature');
    return { ok: true, signed: data.slice(0, start), signature };
  };
  const ctField = (): Bytes | undefined => {
    const ct = r.vec32(MAX_PAYLOAD_BYTES + AES_GCM_TAG_BYTES);
    return ct !== undefined && ct.length >= AES_GCM_TAG_BYTES ? ct : undefined;
  };
  switch (type) {
    case 'join':
    case 'control': {
      const iv = r.take(AES_GCM_IV_BYTES);
      const ciphertext = r.rest();
      if (iv === undefined || ciphertext.length < AES_GCM_TAG_BYTES || ciphertext.length > MAX_PAYLOAD_BYTES) return fail('BAD_LENGTH');
      return { ok: true, envelope: { ...base, iv, ciphertext, aad: header } };
    }
    case 'sender-key': {
      const recipient = r.take(MEMBER_ID_BYTES);
      const keyId = r.u32();
      const wrappedKey = r.vec16(MAX_OAEP_BYTES);
      if (recipient === undefined || keyId === undefined || wrappedKey === undefined || wrappedKey.length < MIN_SIGNATURE_BYTES) return fail('BAD_LENGTH');
      const sig = signatureFrom(r.offset);
      if (!sig.ok) return sig;
      return {
        ok: true,
        envelope: { ...base, recipient, keyId, wrappedKey, ciphertext: wrappedKey, aad: sig.signed, signed: sig.signed, signature: sig.signature },
      };
    }
    case 'group': {
      const keyId = r.u32();
      const sequence = r.u32();
      const contentRaw = r.u8();
      const aadEnd = r.offset;
      const iv = r.take(AES_GCM_IV_BYTES);
      const ciphertext = ctField();
      if (keyId === undefined || sequence === undefined || contentRaw === undefined || iv === undefined || ciphertext === undefined) return fail('BAD_LENGTH');
      const content = CONTENT_BY_BYTE.get(contentRaw);
      if (content === undefined) return fail('BAD_ENCODING', 'content kind');
      const sig = signatureFrom(r.offset);
      if (!sig.ok) return sig;
      return {
        ok: true,
        envelope: { ...base, keyId, sequence, content, iv, ciphertext, aad: data.slice(0, aadEnd), signed: sig.signed, signature: sig.signature },
      };
    }
    case 'direct': {
      const recipient = r.take(MEMBER_ID_BYTES);
      const contentRaw = r.u8();
      const aadEnd = r.offset;
      const wrappedKey = r.vec16(MAX_OAEP_BYTES);
      const iv = r.take(AES_GCM_IV_BYTES);
      const ciphertext = ctField();
      if (
        recipient === undefined ||
        contentRaw === undefined ||
        wrappedKey === undefined ||
        wrappedKey.length < MIN_SIGNATURE_BYTES ||
        iv === undefined ||
        ciphertext === undefined
      ) {
        return fail('BAD_LENGTH');
      }
      const content = CONTENT_BY_BYTE.get(contentRaw);
      if (content === undefined) return fail('BAD_ENCODING', 'content kind');
      const sig = signatureFrom(r.offset);
      if (!sig.ok) return sig;
      return {
        ok: true,
        envelope: { ...base, recipient, content, wrappedKey, iv, ciphertext, aad: data.slice(0, aadEnd), signed: sig.signed, signature: sig.signature },
      };
    }
    case 'file-chunk': {
      const fileId = r.take(FILE_ID_BYTES);
      const chunkIndex = r.u32();
      const aadEnd = r.offset;
      const iv = r.take(AES_GCM_IV_BYTES);
      // A view: a chunk is up to 1 MiB, decoded twice per receipt (peek, open), and only ever
      // handed to AES-GCM, which copies it.
      const ciphertext = r.restView();
      if (
        fileId === undefined ||
        chunkIndex === undefined ||
        iv === undefined ||
        ciphertext.length < AES_GCM_TAG_BYTES ||
        ciphertext.length > MAX_PAYLOAD_BYTES
      )
        return fail('BAD_LENGTH');
      return { ok: true, envelope: { ...base, fileId, chunkIndex, iv, ciphertext, aad: data.slice(0, aadEnd) } };
    }
  }
}
