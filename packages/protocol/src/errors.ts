/**
 * Errors are values. Every function that handles untrusted input returns a {@link Result}
 * and never throws on it; callers branch on the stable `code`.
 */

/** Stable failure codes for envelopes and receiving state. */
export type EnvelopeErrorCode =
  | 'BAD_VERSION' // first byte is not PROTOCOL_VERSION
  | 'BAD_TYPE' // unknown envelope type byte
  | 'BAD_LENGTH' // truncated, padded, or a length field out of bounds
  | 'BAD_ENCODING' // a field decoded but its content is malformed (UTF-8, key, kind)
  | 'WRONG_TYPE' // valid envelope of another type than the caller asked for
  | 'WRONG_ROOM' // room id in the header is not this room's
  | 'WRONG_SENDER' // header sender does not match the member the caller resolved
  | 'WRONG_RECIPIENT' // addressed to someone else
  | 'WRONG_FILE' // a chunk of another file than the manifest given
  | 'BAD_SIGNATURE' // RSA-PSS signature does not verify
  | 'BAD_TAG' // AES-GCM authentication failed
  | 'BAD_KEY' // RSA-OAEP decryption failed or yielded a malformed key
  | 'BAD_IDENTITY' // the public identity inside an announcement is invalid
  | 'UNKNOWN_SENDER_KEY' // no inbound sender key for this sender and key id
  | 'DUPLICATE' // already opened (same sequence or message id)
  | 'TOO_OLD' // behind the window: its key is gone (forward secrecy)
  | 'BEFORE_KEY' // sequence precedes the point where we received the key ("sent before you joined")
  | 'TOO_FAR_AHEAD' // jumps further than MAX_FORWARD_JUMP
  | 'NOT_CREATOR' // a creator-only control from someone else
  | 'KEY_ALREADY_KNOWN'; // a distribution for a sender key we already hold (replay)

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

/** Failure codes of invite parsing. */
export type InviteErrorCode =
  'NOT_A_URL' | 'NO_FRAGMENT' | 'BAD_VERSION' | 'BAD_SECRET' | 'BAD_CREATOR' | 'BAD_RELAY_URL' | 'BAD_ROOM_NAME' | 'DUPLICATE_FIELD' | 'UNKNOWN_FIELD';

/** Failure codes of safety-number comparison. */
export type SafetyErrorCode = 'BAD_FORMAT' | 'BAD_VERSION' | 'MISMATCH';

/** Failure codes of at-rest records. */
export type AtRestErrorCode = 'BAD_VERSION' | 'BAD_LENGTH' | 'BAD_TAG';

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
