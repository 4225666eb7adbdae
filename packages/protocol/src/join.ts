/**
 * Join announcements: "I am here, these are my keys". Encrypted under the room's
 * announcement key (so only invitees can produce or read one) and signed by the joiner's
 * identity. Members also re-send theirs when they see a newcomer, so everyone learns everyone.
 */
import { concat, equalBytes } from './bytes.js';
import { fail, type EnvelopeErrorCode, type Result } from './errors.js';
import { encodePublicIdentity, importPublicIdentity, type LocalIdentity } from './identity.js';
import { neverThrows, openRoomSealed, sealRoomSealed, verifyEnvelope } from './envelope.js';
import { roomMember, type RoomKeys, type RoomMember } from './room-keys.js';

/** Seals my join announcement for a room. Inner payload: my public identity encoding. */
export async function sealJoinAnnouncement(options: { roomKeys: RoomKeys; me: LocalIdentity }): Promise<{ envelope: Uint8Array; messageId: Uint8Array }> {
  return sealRoomSealed('join', options.roomKeys, options.me, encodePublicIdentity(options.me.public));
}

/**
 * Opens a join announcement. Checks, in order: structure → type → room → AES-GCM tag →
 * inner lengths → identity (algorithm, modulus, exponent, name) → header sender equals the
 * member id of that identity → signature by that identity. Never throws.
 */
export function openJoinAnnouncement(options: {
  roomKeys: RoomKeys;
  envelope: Uint8Array;
}): Promise<Result<{ member: RoomMember; messageId: Uint8Array }, EnvelopeErrorCode>> {
  return neverThrows(async () => {
    const opened = await openRoomSealed(options.envelope, 'join', options.roomKeys);
    if (!opened.ok) return opened;
    const imported = await importPublicIdentity(opened.payload);
    if (!imported.ok) return fail('BAD_IDENTITY', imported.code);
    const member = await roomMember(options.roomKeys, imported.identity);
    if (!equalBytes(member.memberId, opened.envelope.sender)) return fail('WRONG_SENDER');
    if (opened.signature.length !== member.identity.signatureBytes) return fail('BAD_LENGTH', 'signature');
    const signed = concat(opened.envelope.header, opened.payload);
    if (!(await verifyEnvelope(member, opened.signature, signed))) return fail('BAD_SIGNATURE');
    return { ok: true, member, messageId: opened.envelope.messageId };
  });
}
