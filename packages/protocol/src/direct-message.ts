/**
 * Direct messages v2 (inner type 0x04): readable by one member. A fresh AES-256 key per
 * message, sealed by RSA-OAEP to the recipient together with the room and both identities,
 * so a wrapped key cannot be lifted into another room or conversation.
 *
 *   inner = u8(0x04) ‖ sender(32) ‖ msgId(16) ‖ recipient(32) ‖ u8(content)
 *         ‖ vec16(OAEP(recipient, "sealroom/v2/direct-key", roomId ‖ I(sender) ‖ I(recipient) ‖ k))
 *         ‖ iv(12) ‖ vec32(GCM(k, iv, aad = ctx_n ‖ inner[0..82), payload)) ‖ vec16(sig)
 */
import { AES_GCM_IV_BYTES, AES_KEY_BYTES, IDENTITY_ID_BYTES } from './constants.js';
import { HASH_BYTES, INNER_TYPE, LABEL_V2_DIRECT_KEY, type ContentKind } from './constants-v2.js';
import { Reader, concat, equalBytes, randomBytes, toBase64Url, u16, u32, u8, utf8 } from './bytes.js';
import type { EpochKeys } from './epoch-keys.js';
import { fail, type Result, type SealedErrorCode } from './errors.js';
import type { LocalIdentity } from './identity.js';
import { epochMemberId, type EpochMember, type EpochRoster } from './roster.js';
import { contentKindByte, neverThrows, newMessageId, openAs, sealInner, verifyInner, withSignature, type SealedPeek } from './sealed.js';
import { gcmDecrypt, gcmEncrypt, importAesKey, oaepDecrypt, oaepEncrypt } from './webcrypto.js';

/** Room id, sender id, recipient id, message key. */
const DIRECT_KEY_PLAINTEXT_BYTES = HASH_BYTES + 2 * IDENTITY_ID_BYTES + AES_KEY_BYTES;

/** Seals a direct message to one member of this epoch. */
export async function sealDirect(options: {
  keys: EpochKeys;
  me: LocalIdentity;
  recipient: EpochMember;
  payload: Uint8Array;
  content?: ContentKind;
}): Promise<{ envelope: Uint8Array; messageId: Uint8Array }> {
  const { keys, me, recipient, payload } = options;
  const messageId = newMessageId();
  const head = concat(
    u8(INNER_TYPE.direct),
    await epochMemberId(keys, me.public.id),
    messageId,
    recipient.memberId,
    contentKindByte(options.content ?? 'message'),
  );
  const rawKey = randomBytes(AES_KEY_BYTES);
  const wrapped = await oaepEncrypt(recipient.identity.encryptionKey, utf8(LABEL_V2_DIRECT_KEY), concat(keys.roomId, me.public.id, recipient.id, rawKey));
  const iv = randomBytes(AES_GCM_IV_BYTES);
  const ciphertext = await gcmEncrypt(await importAesKey(rawKey, ['encrypt']), iv, concat(keys.context, head), payload);
  const inner = await withSignature(me, keys.context, concat(head, u16(wrapped.length), wrapped, iv, u32(ciphertext.length), ciphertext));
  return { envelope: await sealInner(keys, inner), messageId };
}

/**
 * Opens a direct message addressed to me. Checks, in order: outer layer and structure → type
 * (`WRONG_TYPE`) → sender is a member of this epoch (`UNKNOWN_SENDER`) → signature length
 * (`BAD_LENGTH`) → recipient is me (`WRONG_RECIPIENT`) → signature (`BAD_SIGNATURE`) →
 * RSA-OAEP (`BAD_KEY`) → the key's room, sender and recipient (`BAD_KEY`) → AES-GCM (`BAD_TAG`).
 * Never throws.
 */
export function openDirect(options: {
  keys: EpochKeys;
  roster: EpochRoster;
  me: LocalIdentity;
  envelope: Uint8Array | SealedPeek;
}): Promise<Result<{ payload: Uint8Array; content: ContentKind; sender: EpochMember; messageId: Uint8Array }, SealedErrorCode>> {
  return neverThrows(async () => {
    const { keys, roster, me } = options;
    const opened = await openAs(keys, options.envelope, 'direct');
    if (!opened.ok) return opened;
    const d = opened.decoded;
    const sender = roster.byMemberId.get(toBase64Url(d.sender!));
    if (sender === undefined) return fail('UNKNOWN_SENDER');
    if (d.signature!.length !== sender.identity.signatureBytes) return fail('BAD_LENGTH', 'signature');
    if (!equalBytes(d.recipient!, await epochMemberId(keys, me.public.id))) return fail('WRONG_RECIPIENT');
    if (!(await verifyInner(sender.identity, keys.context, d.signed!, d.signature!))) return fail('BAD_SIGNATURE');
    const plaintext = await oaepDecrypt(me.decryptionKey, utf8(LABEL_V2_DIRECT_KEY), d.wrappedKey!);
    if (plaintext === undefined || plaintext.length !== DIRECT_KEY_PLAINTEXT_BYTES) return fail('BAD_KEY');
    const r = new Reader(plaintext);
    const [room, from, to, rawKey] = [r.take(HASH_BYTES)!, r.take(IDENTITY_ID_BYTES)!, r.take(IDENTITY_ID_BYTES)!, r.take(AES_KEY_BYTES)!];
    if (!equalBytes(room, keys.roomId) || !equalBytes(from, sender.id) || !equalBytes(to, me.public.id)) return fail('BAD_KEY', 'context');
    const payload = await gcmDecrypt(await importAesKey(rawKey, ['decrypt']), d.iv!, concat(keys.context, d.aadInner!), d.ciphertext!);
    if (payload === undefined) return fail('BAD_TAG');
    return { ok: true, payload, content: d.content!, sender, messageId: d.messageId! };
  });
}
