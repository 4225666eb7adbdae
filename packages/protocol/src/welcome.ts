/**
 * Welcomes (inner type 0x11, PROTOCOL.md B.12): a member's answer to a knock once the add is
 * confirmed — the whole log from genesis, the current epoch's secrets part, the epoch and
 * link secrets, signed by that member and sealed to the knocker. The newcomer checks every
 * entry back to a genesis that hashes to the room id of its link, so it never depends on the
 * relay still holding old commits and nobody can pose as the creator.
 *
 *   inner   = u8(0x11) ‖ knockId(16) ‖ vec16(OAEP(knocker, "sealroom/v2/welcome", w(32) ‖ knockId))
 *           ‖ iv(12) ‖ vec32(GCM(w, iv, aad = lobbyRoomId ‖ knockId, payload))
 *   payload = roomId(32) ‖ u32(k) ‖ E_k(32) ‖ L(32) ‖ vec32(secrets of entry k) ‖ u32(count) ‖ count × vec32(entry)
 *           ‖ adder(32) ‖ vec16(PSS(adder, "sealroom/v2/welcome" ‖ lobbyRoomId ‖ knockId ‖ every payload byte before it))
 */
import { AES_GCM_IV_BYTES, AES_KEY_BYTES, IDENTITY_ID_BYTES, MAX_PAYLOAD_BYTES, MAX_SIGNATURE_BYTES } from './constants.js';
import {
  EPOCH_SECRET_BYTES,
  HASH_BYTES,
  INNER_TYPE,
  KNOCK_ID_BYTES,
  LABEL_V2_WELCOME,
  LINK_SECRET_BYTES,
  MAX_ENTRY_BYTES,
  MAX_LOG_ENTRIES,
} from './constants-v2.js';
import { Reader, concat, equalBytes, fromBase64Url, randomBytes, u16, u32, u8, utf8, type Bytes } from './bytes.js';
import type { EpochKeys, LobbyKeys } from './epoch-keys.js';
import { fail, type Result, type WelcomeErrorCode } from './errors.js';
import type { LocalIdentity, PublicIdentity } from './identity.js';
import { findMember, verifyLog, type LogState } from './log-state.js';
import { rosterIdentity } from './roster.js';
import { openSecrets } from './secrets.js';
import { neverThrows, openAs, sealInner, type SealedPeek } from './sealed.js';
import { gcmDecrypt, gcmEncrypt, importAesKey, oaepDecrypt, oaepEncrypt, pssSign, pssVerify } from './webcrypto.js';

/** The welcome key `w` and the knock id it answers. */
const WELCOME_KEY_PLAINTEXT_BYTES = AES_KEY_BYTES + KNOCK_ID_BYTES;

function welcomeSigned(lobbyKeys: LobbyKeys, knockId: Uint8Array, payload: Uint8Array): Bytes {
  return concat(utf8(LABEL_V2_WELCOME), lobbyKeys.relayRoomId, knockId, payload);
}

/**
 * Seals a welcome for a knocker who is a member of the state's current epoch (after my add
 * commit was confirmed, or a re-welcome of a current member). `entries` is the whole log
 * (0..state.epoch), `secrets` the secrets part of the last entry, `epochSecret` and
 * `linkSecret` the current ones. Throws `RangeError` on an inconsistent call.
 */
export async function sealWelcome(options: {
  lobbyKeys: LobbyKeys;
  me: LocalIdentity;
  knockId: Uint8Array;
  knocker: PublicIdentity;
  state: LogState;
  entries: readonly Uint8Array[];
  secrets: Uint8Array;
  epochSecret: Uint8Array;
  linkSecret: Uint8Array;
}): Promise<{ envelope: Uint8Array }> {
  const { lobbyKeys, me, knockId, knocker, state, entries } = options;
  if (knockId.length !== KNOCK_ID_BYTES) throw new RangeError('knock id must be 16 bytes');
  if (entries.length !== state.epoch + 1) throw new RangeError('the welcome carries the whole log: entries 0..epoch');
  if (options.epochSecret.length !== EPOCH_SECRET_BYTES || options.linkSecret.length !== LINK_SECRET_BYTES)
    throw new RangeError('epoch and link secrets are 32 bytes');
  if (findMember(state, knocker.id) === undefined) throw new RangeError('the knocker is not a member of this epoch: commit the add first');
  const parts: Uint8Array[] = [
    fromBase64Url(state.roomId)!,
    u32(state.epoch),
    options.epochSecret,
    options.linkSecret,
    u32(options.secrets.length),
    options.secrets,
    u32(entries.length),
  ];
  for (const entry of entries) parts.push(u32(entry.length), entry);
  parts.push(me.public.id);
  const unsigned = concat(...parts);
  const signature = await pssSign(me.signingKey, welcomeSigned(lobbyKeys, knockId, unsigned));
  const payload = concat(unsigned, u16(signature.length), signature);
  const w = randomBytes(AES_KEY_BYTES);
  const wrapped = await oaepEncrypt(knocker.encryptionKey, utf8(LABEL_V2_WELCOME), concat(w, knockId));
  const iv = randomBytes(AES_GCM_IV_BYTES);
  const ciphertext = await gcmEncrypt(await importAesKey(w, ['encrypt']), iv, concat(lobbyKeys.relayRoomId, knockId), payload);
  const inner = concat(u8(INNER_TYPE.welcome), knockId, u16(wrapped.length), wrapped, iv, u32(ciphertext.length), ciphertext);
  return { envelope: await sealInner(lobbyKeys, inner) };
}

interface WelcomePayload {
  roomId: Bytes;
  epoch: number;
  epochSecret: Bytes;
  linkSecret: Bytes;
  secrets: Bytes;
  entries: Bytes[];
  adder: Bytes;
  unsigned: Bytes;
  signature: Bytes;
}

function decodePayload(payload: Uint8Array): WelcomePayload | undefined {
  const r = new Reader(payload);
  const roomId = r.take(HASH_BYTES);
  const epoch = r.u32();
  const epochSecret = r.take(EPOCH_SECRET_BYTES);
  const linkSecret = r.take(LINK_SECRET_BYTES);
  const secrets = r.vec32(MAX_PAYLOAD_BYTES);
  const count = r.u32();
  if (
    roomId === undefined ||
    epoch === undefined ||
    epochSecret === undefined ||
    linkSecret === undefined ||
    secrets === undefined ||
    count === undefined ||
    count > MAX_LOG_ENTRIES
  )
    return undefined;
  const entries: Bytes[] = [];
  for (let i = 0; i < count; i += 1) {
    const entry = r.vec32(MAX_ENTRY_BYTES);
    if (entry === undefined) return undefined;
    entries.push(entry);
  }
  const adder = r.take(IDENTITY_ID_BYTES);
  const unsignedEnd = r.offset;
  const signature = r.vec16(MAX_SIGNATURE_BYTES);
  if (adder === undefined || signature === undefined || r.remaining !== 0) return undefined;
  return { roomId, epoch, epochSecret, linkSecret, secrets, entries, adder, unsigned: payload.slice(0, unsignedEnd) as Bytes, signature };
}

/** What a verified welcome gives the newcomer: the room, at the current epoch. */
export interface OpenedWelcome {
  state: LogState;
  /** The whole log: store it, later welcomes and snapshots need it. */
  entries: Uint8Array[];
  /** The current epoch's secrets part (a re-welcome of another member needs it). */
  secrets: Uint8Array;
  epochSecret: Uint8Array;
  linkSecret: Uint8Array;
  epochKeys: EpochKeys;
  /** Identity id (base64url) of the member who welcomed me. */
  adder: string;
}

/**
 * Opens and verifies a welcome answering my knock. `roomId` is the `i` of my invite link.
 * Checks, in order: outer layer and structure → type (`WRONG_TYPE`) → it answers my knock
 * (`WRONG_RECIPIENT`) → RSA-OAEP of the welcome key, naming my knock (`BAD_KEY`) → AES-GCM
 * (`BAD_TAG`) → payload structure (`BAD_LENGTH`) → its room id is my link's (`WRONG_ROOM`) →
 * every entry from a genesis that hashes to that room id (every log code of verifyLog; a
 * member re-sharing the link "as creator" made another room: `WRONG_ROOM`) → it ends at the
 * stated epoch (`BAD_LENGTH`) → I am in the last roster (`NOT_IN_ROSTER`) → the secrets part
 * of the last entry: hash, recipients, my share (`BAD_SECRETS`, `BAD_LENGTH`, `BAD_KEY`,
 * `BAD_TAG`) → my share holds the stated epoch secret (`BAD_KEY`) and the sealed link state
 * the stated link secret (`BAD_SECRETS`) → the adder is a member (`NOT_MEMBER`) → the adder's
 * signature length and signature (`BAD_LENGTH`, `BAD_SIGNATURE`). Never throws.
 */
export function openWelcome(options: {
  lobbyKeys: LobbyKeys;
  me: LocalIdentity;
  knockId: Uint8Array;
  roomId: Uint8Array;
  envelope: Uint8Array | SealedPeek;
}): Promise<Result<OpenedWelcome, WelcomeErrorCode>> {
  return neverThrows(async () => {
    const { lobbyKeys, me, knockId } = options;
    const opened = await openAs(lobbyKeys, options.envelope, 'welcome');
    if (!opened.ok) return opened;
    const d = opened.decoded;
    if (!equalBytes(d.knockId!, knockId)) return fail('WRONG_RECIPIENT');
    const keyPlaintext = await oaepDecrypt(me.decryptionKey, utf8(LABEL_V2_WELCOME), d.wrappedKey!);
    if (keyPlaintext === undefined || keyPlaintext.length !== WELCOME_KEY_PLAINTEXT_BYTES || !equalBytes(keyPlaintext.subarray(AES_KEY_BYTES), knockId))
      return fail('BAD_KEY');
    const plaintext = await gcmDecrypt(
      await importAesKey(keyPlaintext.subarray(0, AES_KEY_BYTES), ['decrypt']),
      d.iv!,
      concat(lobbyKeys.relayRoomId, knockId),
      d.ciphertext!,
    );
    if (plaintext === undefined) return fail('BAD_TAG');
    const payload = decodePayload(plaintext);
    if (payload === undefined) return fail('BAD_LENGTH', 'welcome payload');
    if (!equalBytes(payload.roomId, options.roomId)) return fail('WRONG_ROOM');
    const log = await verifyLog(payload.entries, options.roomId);
    if (!log.ok) return log;
    const { state, last } = log;
    if (state.epoch !== payload.epoch) return fail('BAD_LENGTH', 'log does not end at the stated epoch');
    if (findMember(state, me.public.id) === undefined) return fail('NOT_IN_ROSTER');
    const secrets = await openSecrets(me, state, payload.secrets, last.secretsHash);
    if (!secrets.ok) return secrets;
    if (secrets.removedMe) return fail('NOT_IN_ROSTER');
    if (!equalBytes(secrets.epochSecret, payload.epochSecret)) return fail('BAD_KEY', 'epoch secret differs from my share');
    if (!equalBytes(secrets.linkSecret, payload.linkSecret)) return fail('BAD_SECRETS', 'link secret differs from the link state');
    const adder = findMember(state, payload.adder);
    if (adder === undefined) return fail('NOT_MEMBER', 'adder');
    const adderIdentity = await rosterIdentity(adder);
    if (payload.signature.length !== adderIdentity.signatureBytes) return fail('BAD_LENGTH', 'signature');
    if (!(await pssVerify(adderIdentity.verifyKey, payload.signature, welcomeSigned(lobbyKeys, knockId, payload.unsigned)))) return fail('BAD_SIGNATURE');
    return {
      ok: true,
      state,
      entries: payload.entries,
      secrets: payload.secrets,
      epochSecret: secrets.epochSecret,
      linkSecret: secrets.linkSecret,
      epochKeys: secrets.epochKeys,
      adder: adder.id,
    };
  });
}
