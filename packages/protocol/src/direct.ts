/**
 * Direct messages: readable by one member only. A fresh AES-256 key per message, wrapped to
 * the recipient with RSA-OAEP (label "sealroom/direct-key/v1"); the whole envelope signed.
 */
import { AES_GCM_IV_BYTES, AES_KEY_BYTES, LABEL_DIRECT_OAEP } from './constants.js';
import { concat, equalBytes, randomBytes, u16, u32, utf8 } from './bytes.js';
import { contentByte, encodeHeader, type ContentKind } from './codec.js';
import { decodeFor, neverThrows, newMessageId, signEnvelope, verifyEnvelope } from './envelope.js';
import { fail, type EnvelopeErrorCode, type Result } from './errors.js';
import type { LocalIdentity } from './identity.js';
import { memberIdOf, type RoomKeys, type RoomMember } from './room-keys.js';
import { gcmDecrypt, gcmEncrypt, importAesKey, oaepDecrypt, oaepEncrypt } from './webcrypto.js';

/** Seals a direct message to one member. */
export async function sealDirectMessage(options: {
  roomKeys: RoomKeys;
  me: LocalIdentity;
  recipient: RoomMember;
  payload: Uint8Array;
  content?: ContentKind;
}): Promise<{ envelope: Uint8Array; messageId: Uint8Array }> {
  const { roomKeys, me, recipient, payload } = options;
  const sender = await memberIdOf(roomKeys, me.public.id);
  const messageId = newMessageId();
  const aad = concat(encodeHeader('direct', roomKeys.roomId, sender, messageId), recipient.memberId, contentByte(options.content ?? 'message'));
  const rawKey = randomBytes(AES_KEY_BYTES);
  const wrapped = await oaepEncrypt(recipient.identity.encryptionKey, utf8(LABEL_DIRECT_OAEP), rawKey);
  const iv = randomBytes(AES_GCM_IV_BYTES);
  const ciphertext = await gcmEncrypt(await importAesKey(rawKey, ['encrypt']), iv, aad, payload);
  const body = concat(aad, u16(wrapped.length), wrapped, iv, u32(ciphertext.length), ciphertext);
  return { envelope: concat(body, await signEnvelope(me, body)), messageId };
}

/**
 * Opens a direct message addressed to me. Checks, in order: structure → type → room →
 * header sender = `sender.memberId` → signature length → recipient is me → signature →
 * OAEP unwrap of the message key → AES-GCM tag. Never throws.
 */
export function openDirectMessage(options: {
  roomKeys: RoomKeys;
  me: LocalIdentity;
  sender: RoomMember;
  envelope: Uint8Array;
}): Promise<Result<{ payload: Uint8Array; content: ContentKind; messageId: Uint8Array }, EnvelopeErrorCode>> {
  return neverThrows(async () => {
    const { roomKeys, me, sender } = options;
    const decoded = decodeFor(options.envelope, 'direct', roomKeys, sender);
    if (!decoded.ok) return decoded;
    const e = decoded.envelope;
    if (!equalBytes(e.recipient!, await memberIdOf(roomKeys, me.public.id))) return fail('WRONG_RECIPIENT');
    if (!(await verifyEnvelope(sender, e.signature!, e.signed!))) return fail('BAD_SIGNATURE');
    const rawKey = await oaepDecrypt(me.decryptionKey, utf8(LABEL_DIRECT_OAEP), e.wrappedKey!);
    if (rawKey === undefined || rawKey.length !== AES_KEY_BYTES) return fail('BAD_KEY');
    const payload = await gcmDecrypt(await importAesKey(rawKey, ['decrypt']), e.iv!, e.aad, e.ciphertext);
    if (payload === undefined) return fail('BAD_TAG');
    return { ok: true, payload, content: e.content!, messageId: e.messageId };
  });
}
