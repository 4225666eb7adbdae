/**
 * The lobby of a link (PROTOCOL.md B.12): a relay room derived from the link secret where a
 * newcomer knocks and members answer. Sealed under the lobby key, so only link holders can
 * read or write it; nothing in it is the room's membership secret.
 *
 *   knock   = u8(0x10) ‖ knockId(16) ‖ vec16(public identity) ‖ vec16(PSS(knocker, "sealroom/v2/knock" ‖ lobbyRoomId ‖ knockId ‖ public identity))
 *   decline = u8(0x12) ‖ knockId(16) ‖ u8(reason)        — an unauthenticated hint
 * (Welcomes, inner type 0x11, are welcome.ts.)
 */
import { DECLINE_REASON, INNER_TYPE, KNOCK_ID_BYTES, LABEL_V2_KNOCK, type DeclineReason } from './constants-v2.js';
import { concat, randomBytes, u16, u8, utf8 } from './bytes.js';
import type { LobbyKeys } from './epoch-keys.js';
import { fail, type Result, type SealedErrorCode } from './errors.js';
import { encodePublicIdentity, importPublicIdentity, type LocalIdentity, type PublicIdentity } from './identity.js';
import { neverThrows, openAs, sealInner, type SealedPeek } from './sealed.js';
import { pssSign, pssVerify } from './webcrypto.js';

const REASON_BY_BYTE = new Map<number, DeclineReason>(Object.entries(DECLINE_REASON).map(([reason, byte]) => [byte, reason as DeclineReason]));

function knockSigned(lobbyKeys: LobbyKeys, knockId: Uint8Array, identity: Uint8Array): Uint8Array {
  return concat(utf8(LABEL_V2_KNOCK), lobbyKeys.relayRoomId, knockId, identity);
}

/** Seals my knock: "let me in", with my public identity. Keep the knock id to find the answer. */
export async function sealKnock(options: { lobbyKeys: LobbyKeys; me: LocalIdentity }): Promise<{ envelope: Uint8Array; knockId: Uint8Array }> {
  const { lobbyKeys, me } = options;
  const knockId = randomBytes(KNOCK_ID_BYTES);
  const identity = encodePublicIdentity(me.public);
  const signature = await pssSign(me.signingKey, knockSigned(lobbyKeys, knockId, identity));
  const inner = concat(u8(INNER_TYPE.knock), knockId, u16(identity.length), identity, u16(signature.length), signature);
  return { envelope: await sealInner(lobbyKeys, inner), knockId };
}

/**
 * Opens a knock. Checks, in order: outer layer and structure → type (`WRONG_TYPE`) → the
 * public identity (B.1 checks, `BAD_IDENTITY`) → signature length (`BAD_LENGTH`) → signature
 * by that identity (`BAD_SIGNATURE`). Never throws. Whether to admit it is the room's policy.
 */
export function openKnock(options: {
  lobbyKeys: LobbyKeys;
  envelope: Uint8Array | SealedPeek;
}): Promise<Result<{ knockId: Uint8Array; identity: PublicIdentity }, SealedErrorCode>> {
  return neverThrows(async () => {
    const { lobbyKeys } = options;
    const opened = await openAs(lobbyKeys, options.envelope, 'knock');
    if (!opened.ok) return opened;
    const d = opened.decoded;
    const imported = await importPublicIdentity(d.identity!);
    if (!imported.ok) return fail('BAD_IDENTITY', imported.code);
    if (d.signature!.length !== imported.identity.signatureBytes) return fail('BAD_LENGTH', 'signature');
    if (!(await pssVerify(imported.identity.verifyKey, d.signature!, knockSigned(lobbyKeys, d.knockId!, d.identity!)))) return fail('BAD_SIGNATURE');
    return { ok: true, knockId: d.knockId!, identity: imported.identity };
  });
}

/** Seals a decline of a knock (unauthenticated: anyone holding the link could send one). */
export async function sealDecline(options: { lobbyKeys: LobbyKeys; knockId: Uint8Array; reason: DeclineReason }): Promise<{ envelope: Uint8Array }> {
  if (options.knockId.length !== KNOCK_ID_BYTES) throw new RangeError('knock id must be 16 bytes');
  const inner = concat(u8(INNER_TYPE.decline), options.knockId, u8(DECLINE_REASON[options.reason]));
  return { envelope: await sealInner(options.lobbyKeys, inner) };
}

/**
 * Opens a decline. Checks: outer layer and structure → type (`WRONG_TYPE`) → a known reason
 * (`BAD_ENCODING`). It proves nothing: show it as "a member declined" only while no welcome
 * arrived, and keep waiting for one. Never throws.
 */
export function openDecline(options: {
  lobbyKeys: LobbyKeys;
  envelope: Uint8Array | SealedPeek;
}): Promise<Result<{ knockId: Uint8Array; reason: DeclineReason }, SealedErrorCode>> {
  return neverThrows(async () => {
    const opened = await openAs(options.lobbyKeys, options.envelope, 'decline');
    if (!opened.ok) return opened;
    const reason = REASON_BY_BYTE.get(opened.decoded.reason!);
    if (reason === undefined) return fail('BAD_ENCODING', 'decline reason');
    return { ok: true, knockId: opened.decoded.knockId!, reason };
  });
}
