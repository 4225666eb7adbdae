/**
 * What all envelope types share: the unverified peek for routing, signing with the
 * protocol's domain-separation label, the context checks every receiver performs first, and
 * the "room-sealed" construction used by join announcements and control envelopes.
 */
import { AES_GCM_IV_BYTES, LABEL_SIGNATURE, MAX_SIGNATURE_BYTES, MESSAGE_ID_BYTES } from './constants.js';
import { Reader, concat, equalBytes, randomBytes, u16, u32, utf8, type Bytes } from './bytes.js';
import { decodeEnvelope, encodeHeader, type ContentKind, type DecodedEnvelope, type EnvelopeType } from './codec.js';
import { fail, type EnvelopeErrorCode, type Result } from './errors.js';
import type { LocalIdentity } from './identity.js';
import { memberIdOf, type RoomKeys, type RoomMember } from './room-keys.js';
import { gcmDecrypt, gcmEncrypt, pssSign, pssVerify } from './webcrypto.js';

/**
 * The routing fields of an envelope, read without any cryptography. NOTHING here is
 * verified: use it only to pick the sender and key to open the envelope with, never to show
 * or trust anything.
 */
export interface EnvelopePeek {
  type: EnvelopeType;
  roomId: Uint8Array;
  /** Room-scoped member id of the claimed sender. */
  sender: Uint8Array;
  messageId: Uint8Array;
  /** group, sender-key */
  keyId?: number;
  /** group */
  sequence?: number;
  /** group, direct */
  content?: ContentKind;
  /** sender-key, direct: the member it is addressed to. */
  recipient?: Uint8Array;
  /** file-chunk */
  fileId?: Uint8Array;
  /** file-chunk */
  chunkIndex?: number;
}

/** Unverified structural read of an envelope for routing. Never throws. */
export function peekEnvelope(data: Uint8Array): Result<{ peek: EnvelopePeek }, EnvelopeErrorCode> {
  const decoded = decodeEnvelope(data);
  if (!decoded.ok) return decoded;
  const e = decoded.envelope;
  const peek: EnvelopePeek = { type: e.type, roomId: e.roomId, sender: e.sender, messageId: e.messageId };
  if (e.keyId !== undefined) peek.keyId = e.keyId;
  if (e.sequence !== undefined) peek.sequence = e.sequence;
  if (e.content !== undefined) peek.content = e.content;
  if (e.recipient !== undefined) peek.recipient = e.recipient;
  if (e.fileId !== undefined) peek.fileId = e.fileId;
  if (e.chunkIndex !== undefined) peek.chunkIndex = e.chunkIndex;
  return { ok: true, peek };
}

/** @internal A fresh random message id. */
export function newMessageId(): Bytes {
  return randomBytes(MESSAGE_ID_BYTES);
}

/** @internal RSA-PSS over "sealroom/signature/v1" ‖ data. */
export function signEnvelope(me: LocalIdentity, data: Uint8Array): Promise<Bytes> {
  return pssSign(me.signingKey, concat(utf8(LABEL_SIGNATURE), data));
}

/** @internal */
export function verifyEnvelope(sender: RoomMember, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  return pssVerify(sender.identity.verifyKey, signature, concat(utf8(LABEL_SIGNATURE), data));
}

/**
 * @internal Decodes and performs the checks every receiver does first, in this order:
 * structure (version, type byte, lengths) → expected type → room id → claimed sender (when
 * the caller resolved one) → signature length for that sender.
 */
export function decodeFor(
  data: Uint8Array,
  type: EnvelopeType,
  roomKeys: RoomKeys,
  sender?: RoomMember,
): Result<{ envelope: DecodedEnvelope }, EnvelopeErrorCode> {
  const decoded = decodeEnvelope(data);
  if (!decoded.ok) return decoded;
  const e = decoded.envelope;
  if (e.type !== type) return fail('WRONG_TYPE', e.type);
  if (!equalBytes(e.roomId, roomKeys.roomId)) return fail('WRONG_ROOM');
  if (sender !== undefined) {
    if (!equalBytes(e.sender, sender.memberId)) return fail('WRONG_SENDER');
    if (e.signature !== undefined && e.signature.length !== sender.identity.signatureBytes) return fail('BAD_LENGTH', 'signature');
  }
  return decoded;
}

/** @internal Wraps an opener so that nothing untrusted can make it throw. */
export async function neverThrows<T extends object>(open: () => Promise<Result<T, EnvelopeErrorCode>>): Promise<Result<T, EnvelopeErrorCode>> {
  try {
    return await open();
  } catch {
    return fail('BAD_ENCODING', 'unexpected');
  }
}

/**
 * @internal Room-sealed envelope (join, control): header ‖ IV ‖ AES-GCM(announcementKey,
 * AAD = header, plaintext = u32 len ‖ payload ‖ u16 len ‖ signature), where the signature is
 * RSA-PSS over "sealroom/signature/v1" ‖ header ‖ payload. The signature sits inside the
 * encryption so the relay cannot test it against public keys it may know.
 */
export async function sealRoomSealed(
  type: EnvelopeType,
  roomKeys: RoomKeys,
  me: LocalIdentity,
  payload: Uint8Array,
): Promise<{ envelope: Bytes; messageId: Bytes }> {
  const messageId = newMessageId();
  const sender = await memberIdOf(roomKeys, me.public.id);
  const header = encodeHeader(type, roomKeys.roomId, sender, messageId);
  const signature = await signEnvelope(me, concat(header, payload));
  const iv = randomBytes(AES_GCM_IV_BYTES);
  const ciphertext = await gcmEncrypt(roomKeys.announcementKey, iv, header, concat(u32(payload.length), payload, u16(signature.length), signature));
  return { envelope: concat(header, iv, ciphertext), messageId };
}

/** @internal Decrypts a room-sealed envelope; the caller verifies the signature once it knows the signer. */
export async function openRoomSealed(
  data: Uint8Array,
  type: EnvelopeType,
  roomKeys: RoomKeys,
  sender?: RoomMember,
): Promise<Result<{ envelope: DecodedEnvelope; payload: Bytes; signature: Bytes }, EnvelopeErrorCode>> {
  const decoded = decodeFor(data, type, roomKeys, sender);
  if (!decoded.ok) return decoded;
  const e = decoded.envelope;
  const plaintext = await gcmDecrypt(roomKeys.announcementKey, e.iv!, e.aad, e.ciphertext);
  if (plaintext === undefined) return fail('BAD_TAG');
  const r = new Reader(plaintext);
  const payload = r.vec32(plaintext.length);
  const signature = r.vec16(MAX_SIGNATURE_BYTES);
  if (payload === undefined || signature === undefined || r.remaining !== 0) return fail('BAD_LENGTH', 'inner');
  return { ok: true, envelope: e, payload, signature };
}
