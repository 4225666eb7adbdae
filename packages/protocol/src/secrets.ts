/**
 * The secrets part of a commit (PROTOCOL.md B.9): the new epoch secret sealed by RSA-OAEP to
 * every member of the new roster, and the link secret sealed under the new epoch's link-wrap
 * key. It travels with the commit and in welcomes, never in snapshots; the entry commits to
 * it by `secretsHash = SHA256(secrets)`.
 *
 *   secrets = u16(count) ‖ count × ( I(recipient)(32) ‖ vec16(OAEP(recipient, "sealroom/v2/epoch-secret",
 *                 roomId ‖ u32(k) ‖ I(recipient) ‖ E_k)) )
 *           ‖ iv(12) ‖ GCM(linkWrapKey_k, iv, aad = "sealroom/v2/link-state" ‖ roomId ‖ u32(k), L)
 */
import { AES_GCM_IV_BYTES, AES_GCM_TAG_BYTES, IDENTITY_ID_BYTES, MAX_SIGNATURE_BYTES, MIN_SIGNATURE_BYTES } from './constants.js';
import { EPOCH_SECRET_BYTES, HASH_BYTES, LABEL_V2_EPOCH_SECRET, LABEL_V2_LINK_STATE, LINK_SECRET_BYTES, MAX_ROSTER_MEMBERS } from './constants-v2.js';
import { Reader, compareBytes, concat, equalBytes, fromBase64Url, randomBytes, toBase64Url, u16, u32, utf8, type Bytes } from './bytes.js';
import { deriveEpochKeys, type EpochKeys } from './epoch-keys.js';
import { fail, type CommitErrorCode, type Result } from './errors.js';
import type { LocalIdentity, PublicIdentity } from './identity.js';
import { findMember, type LogState } from './log-state.js';
import { gcmDecrypt, gcmEncrypt, oaepDecrypt, oaepEncrypt, sha256 } from './webcrypto.js';

/** Plaintext of one share: room id, epoch, recipient id, epoch secret. */
const SHARE_PLAINTEXT_BYTES = HASH_BYTES + 4 + IDENTITY_ID_BYTES + EPOCH_SECRET_BYTES;
/** The sealed link state: IV, the 32-byte link secret and its tag. */
const LINK_STATE_BYTES = AES_GCM_IV_BYTES + LINK_SECRET_BYTES + AES_GCM_TAG_BYTES;

function linkStateAad(roomId: Uint8Array, epoch: number): Bytes {
  return concat(utf8(LABEL_V2_LINK_STATE), roomId, u32(epoch));
}

/**
 * @internal Seals the secrets of epoch `epoch` for `recipients` (any order; the part lists
 * them sorted by identity id).
 */
export async function sealSecrets(options: {
  roomId: Uint8Array;
  epoch: number;
  epochSecret: Uint8Array;
  linkSecret: Uint8Array;
  recipients: readonly PublicIdentity[];
  linkWrapKey: CryptoKey;
}): Promise<Bytes> {
  const { roomId, epoch, epochSecret, linkSecret } = options;
  if (epochSecret.length !== EPOCH_SECRET_BYTES || linkSecret.length !== LINK_SECRET_BYTES) throw new RangeError('epoch and link secrets are 32 bytes');
  if (options.recipients.length > MAX_ROSTER_MEMBERS) throw new RangeError('too many recipients');
  const recipients = [...options.recipients].sort((a, b) => compareBytes(a.id, b.id));
  const label = utf8(LABEL_V2_EPOCH_SECRET);
  const shares = await Promise.all(
    recipients.map(async (r) => {
      const ciphertext = await oaepEncrypt(r.encryptionKey, label, concat(roomId, u32(epoch), r.id, epochSecret));
      return concat(r.id, u16(ciphertext.length), ciphertext);
    }),
  );
  const iv = randomBytes(AES_GCM_IV_BYTES);
  const link = await gcmEncrypt(options.linkWrapKey, iv, linkStateAad(roomId, epoch), linkSecret);
  return concat(u16(recipients.length), ...shares, iv, link);
}

interface DecodedSecrets {
  shares: Array<{ recipient: Bytes; ciphertext: Bytes }>;
  linkIv: Bytes;
  linkCiphertext: Bytes;
}

function decodeSecrets(data: Uint8Array): DecodedSecrets | undefined {
  const r = new Reader(data);
  const count = r.u16();
  if (count === undefined) return undefined;
  const shares: DecodedSecrets['shares'] = [];
  for (let i = 0; i < count; i += 1) {
    const recipient = r.take(IDENTITY_ID_BYTES);
    const ciphertext = r.vec16(MAX_SIGNATURE_BYTES);
    if (recipient === undefined || ciphertext === undefined || ciphertext.length < MIN_SIGNATURE_BYTES) return undefined;
    shares.push({ recipient, ciphertext });
  }
  if (r.remaining !== LINK_STATE_BYTES) return undefined;
  const linkIv = r.take(AES_GCM_IV_BYTES)!;
  return { shares, linkIv, linkCiphertext: r.rest() };
}

/** What opening a secrets part gives a member of the new roster. */
export interface OpenedSecrets {
  epochSecret: Bytes;
  linkSecret: Bytes;
  epochKeys: EpochKeys;
}

/**
 * @internal Opens the secrets part of the entry that started `state.epoch`, as `me`. Checks,
 * in order: `SHA256(secrets)` = the entry's secrets hash (`BAD_SECRETS`) → structure
 * (`BAD_LENGTH`) → one share for exactly every member of the roster, sorted, and nobody else
 * (`BAD_SECRETS`) → then, when I am a member: my share decrypts (`BAD_KEY`) to this room,
 * epoch and my identity id (`BAD_KEY`) → the link state opens under the new epoch's link-wrap
 * key (`BAD_TAG`). Returns `removedMe` when I am not in the roster.
 */
export async function openSecrets(
  me: LocalIdentity,
  state: LogState,
  secrets: Uint8Array,
  secretsHash: Uint8Array,
): Promise<Result<{ removedMe: true } | ({ removedMe: false } & OpenedSecrets), CommitErrorCode>> {
  if (!equalBytes(await sha256(secrets), secretsHash)) return fail('BAD_SECRETS', 'secrets hash');
  const decoded = decodeSecrets(secrets);
  if (decoded === undefined) return fail('BAD_LENGTH', 'secrets');
  // Every member checks the whole recipient list, not only its own share: a committer who
  // leaves someone out, or keys a non-member, is caught by everyone.
  const recipients = decoded.shares.map((s) => toBase64Url(s.recipient));
  if (recipients.length !== state.members.length || recipients.some((id, i) => id !== state.members[i]!.id))
    return fail('BAD_SECRETS', 'recipients are not the roster');
  if (findMember(state, me.public.id) === undefined) return { ok: true, removedMe: true };
  const roomId = fromBase64Url(state.roomId)!;
  const epoch = state.epoch;
  const mine = decoded.shares.find((s) => equalBytes(s.recipient, me.public.id))!;
  const plaintext = await oaepDecrypt(me.decryptionKey, utf8(LABEL_V2_EPOCH_SECRET), mine.ciphertext);
  if (plaintext === undefined || plaintext.length !== SHARE_PLAINTEXT_BYTES) return fail('BAD_KEY');
  const r = new Reader(plaintext);
  const [shareRoom, shareEpoch, shareRecipient, epochSecret] = [r.take(HASH_BYTES)!, r.u32()!, r.take(IDENTITY_ID_BYTES)!, r.take(EPOCH_SECRET_BYTES)!];
  if (!equalBytes(shareRoom, roomId) || shareEpoch !== epoch || !equalBytes(shareRecipient, me.public.id)) return fail('BAD_KEY', 'share context');
  const record = state.epochs[epoch]!;
  const epochKeys = await deriveEpochKeys(roomId, epoch, epochSecret, fromBase64Url(record.head)!, fromBase64Url(record.membershipHash)!);
  const linkSecret = await gcmDecrypt(epochKeys.linkWrapKey, decoded.linkIv, linkStateAad(roomId, epoch), decoded.linkCiphertext);
  if (linkSecret === undefined) return fail('BAD_TAG', 'link state');
  return { ok: true, removedMe: false, epochSecret, linkSecret, epochKeys };
}
