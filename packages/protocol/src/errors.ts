/**
 * Errors are values. Every function that handles untrusted input returns a {@link Result}
 * and never throws on it; callers branch on the stable `code`.
 */

/** Failure codes when importing a public identity. */
export type IdentityErrorCode =
  | 'BAD_ENCODING' // not a well-formed identity encoding
  | 'BAD_KEY_ALGORITHM' // not an RSA key usable for OAEP/PSS with SHA-256
  | 'WEAK_KEY' // modulus shorter than 3072 bits
  | 'KEY_TOO_LARGE' // modulus larger than MAX_RSA_MODULUS_BITS
  | 'BAD_EXPONENT' // public exponent is not 65537
  | 'SAME_KEY' // the encryption and signing keys are the same key
  | 'BAD_DISPLAY_NAME'; // empty, too long, or control characters

/** Failure codes of password unwrapping, backups and at-rest records. */
export type WrapErrorCode =
  | 'WRONG_PASSWORD' // the GCM tag failed under the password-derived key
  | 'BAD_FORMAT' // not a blob/backup we understand (JSON shape, field lengths)
  | 'BAD_VERSION' // a version we do not support
  | 'BAD_KDF' // KDF parameters out of bounds (iterations, salt length)
  | 'CORRUPT'; // decrypted fine but the keys inside do not match the stated identity

/** Failure codes of safety-number comparison. */
export type SafetyErrorCode = 'BAD_FORMAT' | 'BAD_VERSION' | 'MISMATCH';

/** Failure codes of at-rest records. */
export type AtRestErrorCode = 'BAD_VERSION' | 'BAD_LENGTH' | 'BAD_TAG';

// ---- protocol v2 ---------------------------------------------------------------------------

/** Why a log entry is refused (PROTOCOL.md B.8), checked in this order; first failure wins. */
export type LogErrorCode =
  | 'BAD_VERSION' // first byte is not 2
  | 'BAD_LENGTH' // truncated, padded, a length out of bounds, a signature of the wrong length
  | 'BAD_ACTION' // unknown action, or an action body that is invalid against the state
  | 'WRONG_ROOM' // another room's entry, or a genesis that does not hash to the expected room id
  | 'STALE_COMMIT' // for an epoch already passed, or not chained to the current head
  | 'FUTURE_COMMIT' // for an epoch beyond the next one: a commit was missed
  | 'NOT_MEMBER' // the author is not a member of the current epoch
  | 'NOT_ALLOWED' // the author's role does not allow this action
  | 'BAD_MEMBERSHIP' // the membership hash is not the hash of the resulting roster
  | 'BAD_SIGNATURE'; // the author's RSA-PSS signature does not verify

/** Why a v2 envelope (sealed or file chunk) is refused. */
export type SealedErrorCode =
  | 'BAD_LENGTH' // truncated, padded, a length field out of bounds, a signature of the wrong length
  | 'BAD_VERSION' // first byte is not 2
  | 'BAD_TYPE' // unknown outer kind or inner type, or an inner type of the other kind of room
  | 'BAD_TAG' // AES-GCM failed: also what another epoch, room or lobby gives
  | 'BAD_ENCODING' // a field decoded but its content is malformed (content kind, UTF-8)
  | 'WRONG_TYPE' // a valid envelope of another inner type than the caller asked for
  | 'WRONG_EPOCH' // a leave proposal naming another epoch than the room it travels in
  | 'WRONG_RECIPIENT' // addressed to another member (normal traffic, not an attack)
  | 'WRONG_FILE' // a chunk of another file than the manifest given
  | 'UNKNOWN_SENDER' // the sender is not a member of this epoch
  | 'BAD_SIGNATURE' // RSA-PSS signature does not verify
  | 'BAD_KEY' // RSA-OAEP failed, or the decrypted context names another room, sender or recipient
  | 'BAD_IDENTITY' // the public identity in a knock is invalid (B.1 checks)
  | 'UNKNOWN_SENDER_KEY' // no inbound sender key for this sender and key id
  | 'DUPLICATE' // message id already opened
  | 'TOO_OLD' // sequence already consumed, or its skipped key is gone
  | 'BEFORE_KEY' // sequence before the point where the key was received
  | 'TOO_FAR_AHEAD' // jumps further than MAX_FORWARD_JUMP
  | 'KEY_ALREADY_KNOWN'; // a distribution for a sender key already held or retired (replay)

/** Why a commit envelope is refused: the envelope, the entry, or its secrets part. */
export type CommitErrorCode = SealedErrorCode | LogErrorCode | 'BAD_SECRETS';

/** Why a welcome is refused: the envelope, the log it carries, its secrets, or the roster. */
export type WelcomeErrorCode = CommitErrorCode | 'NOT_IN_ROSTER';

/** Failure codes of v2 invite parsing (PROTOCOL.md B.5). */
export type InviteErrorCode =
  | 'NOT_A_URL'
  | 'NO_FRAGMENT'
  | 'UNKNOWN_FIELD'
  | 'DUPLICATE_FIELD'
  | 'BAD_VERSION' // v is not 2 (and not 1)
  | 'OLD_VERSION' // v=1: a link made by an older version ("ask for a new invite")
  | 'BAD_ROOM_ID'
  | 'BAD_SECRET'
  | 'BAD_RELAY_URL'
  | 'BAD_ROOM_NAME';

/** Success carries fields of `T`; failure carries a stable code. */
export type Result<T extends object, C extends string> = ({ ok: true } & T) | Failure<C>;

export interface Failure<C extends string> {
  ok: false;
  code: C;
  /** Human-readable detail for logs; never includes secrets or plaintext. */
  detail?: string;
}

/** @internal */
export function fail<C extends string>(code: C, detail?: string): Failure<C> {
  return detail === undefined ? { ok: false, code } : { ok: false, code, detail };
}
