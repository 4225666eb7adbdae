/**
 * Sender-key distribution v2 (inner type 0x02): my current sending chain, sealed by RSA-OAEP
 * to one member of the epoch and signed under the epoch's group context. Chains are keyed by
 * identity id, not member id, so they survive epoch changes that remove nobody.
 *
 *   inner = u8(0x02) ‖ sender(32) ‖ msgId(16) ‖ recipient(32) ‖ u32(keyId)
 *         ‖ vec16(OAEP(recipient, "sealroom/v2/sender-key", roomId ‖ I(sender) ‖ I(recipient) ‖ u32(keyId) ‖ u32(seq) ‖ chainKey(32)))
 *         ‖ vec16(sig)
 */
import { CHAIN_KEY_BYTES, IDENTITY_ID_BYTES, KEY_ID_BYTES, SEQUENCE_BYTES } from './constants.js';
import { HASH_BYTES, INNER_TYPE, LABEL_V2_SENDER_KEY } from './constants-v2.js';
import { Reader, concat, equalBytes, fromBase64Url, toBase64Url, u16, u32, u8, utf8 } from './bytes.js';
import type { EpochKeys } from './epoch-keys.js';
import { fail, type Result, type SealedErrorCode } from './errors.js';
import type { LocalIdentity } from './identity.js';
import { epochMemberId, type EpochMember, type EpochRoster } from './roster.js';
import { neverThrows, newMessageId, openAs, sealInner, verifyInner, withSignature, type SealedPeek } from './sealed.js';
import { acceptSenderKey, type OutboundSenderKey, type SenderKeyRing } from './sender-keys.js';
import { oaepDecrypt, oaepEncrypt } from './webcrypto.js';

/** Room id, sender id, recipient id, key id, sequence, chain key. */
const DISTRIBUTION_PLAINTEXT_BYTES = HASH_BYTES + 2 * IDENTITY_ID_BYTES + KEY_ID_BYTES + SEQUENCE_BYTES + CHAIN_KEY_BYTES;

/** Seals my current sender key (its next sequence and chain key) for one member of this epoch. */
export async function sealSenderKeyDistribution(options: {
  keys: EpochKeys;
  me: LocalIdentity;
  recipient: EpochMember;
  senderKey: OutboundSenderKey;
}): Promise<{ envelope: Uint8Array; messageId: Uint8Array }> {
  const { keys, me, recipient, senderKey } = options;
  const chainKey = fromBase64Url(senderKey.chainKey);
  if (chainKey === undefined || chainKey.length !== CHAIN_KEY_BYTES) throw new RangeError('corrupt sender key');
  const plaintext = concat(keys.roomId, me.public.id, recipient.id, u32(senderKey.keyId), u32(senderKey.sequence), chainKey);
  const wrapped = await oaepEncrypt(recipient.identity.encryptionKey, utf8(LABEL_V2_SENDER_KEY), plaintext);
  const messageId = newMessageId();
  const signed = concat(
    u8(INNER_TYPE['sender-key']),
    await epochMemberId(keys, me.public.id),
    messageId,
    recipient.memberId,
    u32(senderKey.keyId),
    u16(wrapped.length),
    wrapped,
  );
  return { envelope: await sealInner(keys, await withSignature(me, keys.context, signed)), messageId };
}

/**
 * Opens a sender-key distribution and adds the chain to the ring (keyed by the sender's
 * identity id). Checks, in order: outer layer and structure → type (`WRONG_TYPE`) → sender is
 * a member of this epoch (`UNKNOWN_SENDER`) → signature length (`BAD_LENGTH`) → recipient is
 * me (`WRONG_RECIPIENT`) → signature (`BAD_SIGNATURE`) → RSA-OAEP (`BAD_KEY`) → the decrypted
 * room, sender, recipient and key id are this room's, the signer's, mine and the envelope's
 * (`BAD_KEY`) → not already held or retired (`KEY_ALREADY_KNOWN`). Never throws.
 */
export function openSenderKeyDistribution(options: {
  keys: EpochKeys;
  roster: EpochRoster;
  me: LocalIdentity;
  envelope: Uint8Array | SealedPeek;
  ring: SenderKeyRing;
}): Promise<Result<{ ring: SenderKeyRing; sender: EpochMember; keyId: number; sequence: number; messageId: Uint8Array }, SealedErrorCode>> {
  return neverThrows(async () => {
    const { keys, roster, me } = options;
    const opened = await openAs(keys, options.envelope, 'sender-key');
    if (!opened.ok) return opened;
    const d = opened.decoded;
    const sender = roster.byMemberId.get(toBase64Url(d.sender!));
    if (sender === undefined) return fail('UNKNOWN_SENDER');
    if (d.signature!.length !== sender.identity.signatureBytes) return fail('BAD_LENGTH', 'signature');
    if (!equalBytes(d.recipient!, await epochMemberId(keys, me.public.id))) return fail('WRONG_RECIPIENT');
    if (!(await verifyInner(sender.identity, keys.context, d.signed!, d.signature!))) return fail('BAD_SIGNATURE');
    const plaintext = await oaepDecrypt(me.decryptionKey, utf8(LABEL_V2_SENDER_KEY), d.wrappedKey!);
    if (plaintext === undefined || plaintext.length !== DISTRIBUTION_PLAINTEXT_BYTES) return fail('BAD_KEY');
    const r = new Reader(plaintext);
    const [room, from, to, keyId, sequence, chainKey] = [
      r.take(HASH_BYTES)!,
      r.take(IDENTITY_ID_BYTES)!,
      r.take(IDENTITY_ID_BYTES)!,
      r.u32()!,
      r.u32()!,
      r.take(CHAIN_KEY_BYTES)!,
    ];
    if (!equalBytes(room, keys.roomId) || !equalBytes(from, sender.id) || !equalBytes(to, me.public.id) || keyId !== d.keyId) return fail('BAD_KEY', 'context');
    const accepted = acceptSenderKey(options.ring, sender.idB64, keyId, sequence, chainKey);
    if (!accepted.ok) return accepted;
    return { ok: true, ring: accepted.ring, sender, keyId, sequence, messageId: d.messageId! };
  });
}
