/**
 * Leave proposals (inner type 0x05): "I leave this room", signed under the epoch's group
 * context. The member who leaves does not commit its own removal (the author of a commit
 * knows the next epoch secret); another member commits a removal carrying the proposal.
 *
 *   inner = u8(0x05) ‖ sender(32) ‖ msgId(16) ‖ u32(n) ‖ vec16(sig)
 *
 * The whole inner plaintext is the proposal a removal's body carries; anyone holding the log
 * can verify it, since `ctx_n` is computed from the log alone.
 */
import { INNER_TYPE } from './constants-v2.js';
import { concat, toBase64Url, u32, u8 } from './bytes.js';
import type { EpochKeys } from './epoch-keys.js';
import { fail, type Result, type SealedErrorCode } from './errors.js';
import type { LocalIdentity, PublicIdentity } from './identity.js';
import { epochMemberId, type EpochMember, type EpochRoster } from './roster.js';
import { decodeInner, neverThrows, newMessageId, openAs, sealInner, verifyInner, withSignature, type DecodedInner, type SealedPeek } from './sealed.js';

/** Seals my leave proposal for the epoch of `keys`. Publish it in that epoch's relay room. */
export async function sealLeave(options: {
  keys: EpochKeys;
  me: LocalIdentity;
}): Promise<{ envelope: Uint8Array; proposal: Uint8Array; messageId: Uint8Array }> {
  const { keys, me } = options;
  const messageId = newMessageId();
  const signed = concat(u8(INNER_TYPE.leave), await epochMemberId(keys, me.public.id), messageId, u32(keys.epoch));
  const proposal = await withSignature(me, keys.context, signed);
  return { envelope: await sealInner(keys, proposal), proposal, messageId };
}

/**
 * Opens a leave proposal. Checks, in order: outer layer and structure (peekSealed codes),
 * type (`WRONG_TYPE`) → sender is a member of this epoch (`UNKNOWN_SENDER`) → signature length
 * (`BAD_LENGTH`) → signature (`BAD_SIGNATURE`) → it names this epoch (`WRONG_EPOCH`). Never throws.
 */
export function openLeave(options: {
  keys: EpochKeys;
  roster: EpochRoster;
  envelope: Uint8Array | SealedPeek;
}): Promise<Result<{ sender: EpochMember; proposal: Uint8Array; epoch: number; messageId: Uint8Array }, SealedErrorCode>> {
  return neverThrows(async () => {
    const { keys, roster } = options;
    const opened = await openAs(keys, options.envelope, 'leave');
    if (!opened.ok) return opened;
    const d = opened.decoded;
    const sender = roster.byMemberId.get(toBase64Url(d.sender!));
    if (sender === undefined) return fail('UNKNOWN_SENDER');
    if (d.signature!.length !== sender.identity.signatureBytes) return fail('BAD_LENGTH', 'signature');
    if (!(await verifyInner(sender.identity, keys.context, d.signed!, d.signature!))) return fail('BAD_SIGNATURE');
    if (d.epoch !== keys.epoch) return fail('WRONG_EPOCH');
    return { ok: true, sender, proposal: d.inner, epoch: d.epoch, messageId: d.messageId! };
  });
}

/** @internal A leave proposal's structure, or undefined. */
export function decodeLeaveProposal(proposal: Uint8Array): DecodedInner | undefined {
  const decoded = decodeInner(proposal, 'epoch');
  return decoded.ok && decoded.decoded.type === 'leave' ? decoded.decoded : undefined;
}

/** @internal Whether `proposal` is signed by `target` under the context of the epoch it names. */
export async function verifyLeaveProposal(target: PublicIdentity, proposal: DecodedInner, context: Uint8Array): Promise<boolean> {
  if (proposal.signature!.length !== target.signatureBytes) return false;
  return verifyInner(target, context, proposal.signed!, proposal.signature!);
}
