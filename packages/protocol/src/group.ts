/**
 * Group messages v2 (inner type 0x03): one ratchet step, one AES-256-GCM encryption and one
 * RSA-PSS signature, whatever the room size. The message AAD and the signature both bind the
 * epoch's group context, so a member who disagrees about membership cannot open or accept it.
 *
 *   inner = u8(0x03) ‖ sender(32) ‖ msgId(16) ‖ u32(keyId) ‖ u32(seq) ‖ u8(content)
 *         ‖ iv(12) ‖ vec32(GCM(messageKey(seq), iv, aad = ctx_n ‖ inner[0..58), payload)) ‖ vec16(sig)
 */
import { AES_GCM_IV_BYTES, CHAIN_KEY_BYTES, MAX_SEQUENCE } from './constants.js';
import { INNER_TYPE, type ContentKind } from './constants-v2.js';
import { concat, fromBase64Url, randomBytes, toBase64Url, u32, u8 } from './bytes.js';
import type { EpochKeys } from './epoch-keys.js';
import { fail, type Result, type SealedErrorCode } from './errors.js';
import type { LocalIdentity } from './identity.js';
import { epochMemberId, type EpochMember, type EpochRoster } from './roster.js';
import { contentKindByte, neverThrows, newMessageId, openAs, sealInner, verifyInner, withSignature, type SealedPeek } from './sealed.js';
import { advanceChain, checkWindow, ratchetStep, type OutboundSenderKey, type SenderKeyRing } from './sender-keys.js';
import { gcmDecrypt, gcmEncrypt, importAesKey } from './webcrypto.js';

/**
 * Seals a group message under my sender key. Returns the advanced sender key: persist it
 * before the envelope leaves. Throws `RangeError` when the chain is exhausted or corrupt.
 */
export async function sealGroup(options: {
  keys: EpochKeys;
  me: LocalIdentity;
  senderKey: OutboundSenderKey;
  payload: Uint8Array;
  content?: ContentKind;
}): Promise<{ envelope: Uint8Array; messageId: Uint8Array; sequence: number; senderKey: OutboundSenderKey }> {
  const { keys, me, senderKey, payload } = options;
  const sequence = senderKey.sequence;
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > MAX_SEQUENCE) throw new RangeError('sender key exhausted: rotate');
  const chainKey = fromBase64Url(senderKey.chainKey);
  if (chainKey === undefined || chainKey.length !== CHAIN_KEY_BYTES) throw new RangeError('corrupt sender key');
  const { messageKey, nextChainKey } = await ratchetStep(chainKey);
  const messageId = newMessageId();
  const head = concat(
    u8(INNER_TYPE.group),
    await epochMemberId(keys, me.public.id),
    messageId,
    u32(senderKey.keyId),
    u32(sequence),
    contentKindByte(options.content ?? 'message'),
  );
  const iv = randomBytes(AES_GCM_IV_BYTES);
  const ciphertext = await gcmEncrypt(await importAesKey(messageKey, ['encrypt']), iv, concat(keys.context, head), payload);
  const inner = await withSignature(me, keys.context, concat(head, iv, u32(ciphertext.length), ciphertext));
  return {
    envelope: await sealInner(keys, inner),
    messageId,
    sequence,
    senderKey: { ...senderKey, chainKey: toBase64Url(nextChainKey), sequence: sequence + 1 },
  };
}

/**
 * Opens a group message and returns the updated ring. Checks, in order: outer layer and
 * structure → type (`WRONG_TYPE`) → sender is a member of this epoch (`UNKNOWN_SENDER`) →
 * signature length (`BAD_LENGTH`) → signature (`BAD_SIGNATURE`) → a key for (sender, key id)
 * (`UNKNOWN_SENDER_KEY`) → message id not seen (`DUPLICATE`) → not before the key
 * (`BEFORE_KEY`) → not consumed (`TOO_OLD`) → not too far ahead (`TOO_FAR_AHEAD`) → AES-GCM
 * (`BAD_TAG`). The ring changes only when everything passed. Never throws.
 */
export function openGroup(options: {
  keys: EpochKeys;
  roster: EpochRoster;
  envelope: Uint8Array | SealedPeek;
  ring: SenderKeyRing;
}): Promise<
  Result<
    { payload: Uint8Array; content: ContentKind; sender: EpochMember; keyId: number; sequence: number; messageId: Uint8Array; ring: SenderKeyRing },
    SealedErrorCode
  >
> {
  return neverThrows(async () => {
    const { keys, roster, ring } = options;
    const opened = await openAs(keys, options.envelope, 'group');
    if (!opened.ok) return opened;
    const d = opened.decoded;
    const sender = roster.byMemberId.get(toBase64Url(d.sender!));
    if (sender === undefined) return fail('UNKNOWN_SENDER');
    if (d.signature!.length !== sender.identity.signatureBytes) return fail('BAD_LENGTH', 'signature');
    if (!(await verifyInner(sender.identity, keys.context, d.signed!, d.signature!))) return fail('BAD_SIGNATURE');
    const index = ring.keys.findIndex((key) => key.sender === sender.idB64 && key.keyId === d.keyId);
    const state = ring.keys[index];
    if (state === undefined) return fail('UNKNOWN_SENDER_KEY');
    const messageIdB64 = toBase64Url(d.messageId!);
    const sequence = d.sequence!;
    const refusal = checkWindow(state, sequence, messageIdB64);
    if (refusal !== undefined) return fail(refusal);
    const { messageKey, updated } = await advanceChain(state, sequence, messageIdB64);
    const payload = await gcmDecrypt(await importAesKey(messageKey, ['decrypt']), d.iv!, concat(keys.context, d.aadInner!), d.ciphertext!);
    if (payload === undefined) return fail('BAD_TAG');
    const updatedKeys = ring.keys.slice();
    updatedKeys[index] = updated;
    return { ok: true, payload, content: d.content!, sender, keyId: d.keyId!, sequence, messageId: d.messageId!, ring: { ...ring, keys: updatedKeys } };
  });
}
