/**
 * Identities: two RSA-3072 key pairs (RSA-OAEP/SHA-256 to receive keys, RSA-PSS/SHA-256 to
 * sign), their public encoding, validation of someone else's keys, and the fingerprint id.
 */
import {
  IDENTITY_ID_BYTES,
  LABEL_IDENTITY_ID,
  MAX_DISPLAY_NAME_BYTES,
  MAX_RSA_MODULUS_BITS,
  MAX_SPKI_BYTES,
  MIN_RSA_MODULUS_BITS,
  PROTOCOL_VERSION,
  RSA_PUBLIC_EXPONENT,
  SHORT_FINGERPRINT_HEX_CHARS,
} from './constants.js';
import { Reader, bytes, concat, equalBytes, fromBase64Url, fromUtf8, toBase64Url, toHex, u16, u8, utf8, type Bytes } from './bytes.js';
import { fail, type Result, type IdentityErrorCode } from './errors.js';
import { hasUnsafeCharacters } from './text.js';
import { RSA_OAEP_IMPORT, RSA_PSS_IMPORT, rsaGenParams, sha256, subtle } from './webcrypto.js';

/** Someone's public identity, validated and imported. Safe to share. */
export interface PublicIdentity {
  /** Self-chosen display name (untrusted text: never render as HTML). */
  readonly displayName: string;
  /** Fingerprint: SHA-256 over the canonical encoding of both public keys (32 bytes). */
  readonly id: Uint8Array;
  /** `id` as 64 lowercase hex characters. */
  readonly idHex: string;
  /** SPKI (DER) of the RSA-OAEP key. */
  readonly encryptionSpki: Uint8Array;
  /** SPKI (DER) of the RSA-PSS key. */
  readonly signingSpki: Uint8Array;
  /** RSA-OAEP/SHA-256 public key, usage `encrypt`. */
  readonly encryptionKey: CryptoKey;
  /** RSA-PSS/SHA-256 public key, usage `verify`. */
  readonly verifyKey: CryptoKey;
  /** Modulus length of the signing key in bytes = length of its signatures. */
  readonly signatureBytes: number;
}

/** JSON form of a public identity (for storage and display). Byte strings are base64url. */
export interface PublicIdentityJson {
  v: 1;
  displayName: string;
  encryptionSpki: string;
  signingSpki: string;
}

/** An identity whose private keys are usable here (non-extractable). */
export interface LocalIdentity {
  readonly public: PublicIdentity;
  /** RSA-OAEP private key, usage `decrypt`, non-extractable. */
  readonly decryptionKey: CryptoKey;
  /** RSA-PSS private key, usage `sign`, non-extractable. */
  readonly signingKey: CryptoKey;
}

/**
 * A freshly generated identity, not yet wrapped under a password. Its private keys are
 * extractable only so that {@link wrapIdentity} can export them once; pass it to
 * `wrapIdentity` straight away and drop it.
 */
export interface GeneratedIdentity extends LocalIdentity {
  /** @internal PKCS#8 of the RSA-OAEP private key. */
  readonly encryptionPkcs8: Uint8Array;
  /** @internal PKCS#8 of the RSA-PSS private key. */
  readonly signingPkcs8: Uint8Array;
}

/** Progress of {@link generateIdentity}, for a UI progress bar. */
export interface IdentityProgress {
  step: 'encryption-key' | 'signing-key' | 'done';
  /** Steps completed so far (0 … total). */
  completed: number;
  total: number;
}

export interface GenerateIdentityOptions {
  onProgress?: (progress: IdentityProgress) => void;
}

/** Why a display name is refused, or undefined when it is acceptable. */
export function checkDisplayName(name: string): 'EMPTY' | 'TOO_LONG' | 'BAD_CHARACTERS' | undefined {
  if (name.length === 0 || name.trim().length === 0) return 'EMPTY';
  if (utf8(name).length > MAX_DISPLAY_NAME_BYTES) return 'TOO_LONG';
  // Control characters and bidirectional overrides let a name masquerade as another.
  if (hasUnsafeCharacters(name)) return 'BAD_CHARACTERS';
  if (name.trim() !== name) return 'BAD_CHARACTERS';
  return undefined;
}

/**
 * Generates a new identity: an RSA-OAEP-3072 and an RSA-PSS-3072 key pair, e = 65537.
 * Takes about a second per key pair. Throws `RangeError` for an unacceptable display name
 * (check it first with {@link checkDisplayName}).
 */
export async function generateIdentity(displayName: string, options: GenerateIdentityOptions = {}): Promise<GeneratedIdentity> {
  const problem = checkDisplayName(displayName);
  if (problem !== undefined) throw new RangeError(`display name refused: ${problem}`);
  const total = 2;
  options.onProgress?.({ step: 'encryption-key', completed: 0, total });
  const oaep = await subtle().generateKey(rsaGenParams('RSA-OAEP'), true, ['encrypt', 'decrypt']);
  options.onProgress?.({ step: 'signing-key', completed: 1, total });
  const pss = await subtle().generateKey(rsaGenParams('RSA-PSS'), true, ['sign', 'verify']);
  const encryptionSpki = new Uint8Array(await subtle().exportKey('spki', oaep.publicKey));
  const signingSpki = new Uint8Array(await subtle().exportKey('spki', pss.publicKey));
  const encryptionPkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', oaep.privateKey));
  const signingPkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', pss.privateKey));
  const imported = await importPublicKeys(displayName, encryptionSpki, signingSpki);
  if (!imported.ok) throw new Error(`generated identity failed its own validation: ${imported.code}`);
  const privateKeys = await importPrivateKeys(encryptionPkcs8, signingPkcs8);
  options.onProgress?.({ step: 'done', completed: total, total });
  return { public: imported.identity, ...privateKeys, encryptionPkcs8, signingPkcs8 };
}

/** @internal Imports PKCS#8 private keys as non-extractable keys. Throws on malformed input. */
export async function importPrivateKeys(encryptionPkcs8: Uint8Array, signingPkcs8: Uint8Array): Promise<{ decryptionKey: CryptoKey; signingKey: CryptoKey }> {
  const decryptionKey = await subtle().importKey('pkcs8', bytes(encryptionPkcs8), RSA_OAEP_IMPORT, false, ['decrypt']);
  const signingKey = await subtle().importKey('pkcs8', bytes(signingPkcs8), RSA_PSS_IMPORT, false, ['sign']);
  return { decryptionKey, signingKey };
}

/** The bytes both the fingerprint and safety numbers hash: u16 len ‖ OAEP SPKI ‖ u16 len ‖ PSS SPKI. */
export function canonicalKeyBytes(encryptionSpki: Uint8Array, signingSpki: Uint8Array): Bytes {
  return concat(u16(encryptionSpki.length), encryptionSpki, u16(signingSpki.length), signingSpki);
}

/** Identity id = SHA-256("sealroom/identity-id/v1" ‖ canonical key bytes). */
export async function identityIdOf(encryptionSpki: Uint8Array, signingSpki: Uint8Array): Promise<Bytes> {
  return sha256(concat(utf8(LABEL_IDENTITY_ID), canonicalKeyBytes(encryptionSpki, signingSpki)));
}

/**
 * Binary encoding of a public identity (used inside join announcements):
 * u8 version ‖ u16 len ‖ UTF-8 display name ‖ u16 len ‖ OAEP SPKI ‖ u16 len ‖ PSS SPKI.
 */
export function encodePublicIdentity(identity: PublicIdentity): Bytes {
  const name = utf8(identity.displayName);
  return concat(u8(PROTOCOL_VERSION), u16(name.length), name, canonicalKeyBytes(identity.encryptionSpki, identity.signingSpki));
}

/** Decodes and validates the binary encoding of {@link encodePublicIdentity}. Never throws. */
export async function importPublicIdentity(encoded: Uint8Array): Promise<Result<{ identity: PublicIdentity }, IdentityErrorCode>> {
  const reader = new Reader(encoded);
  if (reader.u8() !== PROTOCOL_VERSION) return fail('BAD_ENCODING', 'version');
  const name = reader.vec16(MAX_DISPLAY_NAME_BYTES);
  const enc = reader.vec16(MAX_SPKI_BYTES);
  const sig = reader.vec16(MAX_SPKI_BYTES);
  if (name === undefined || enc === undefined || sig === undefined || reader.remaining !== 0) return fail('BAD_ENCODING', 'length');
  const displayName = fromUtf8(name);
  if (displayName === undefined || checkDisplayName(displayName) !== undefined) return fail('BAD_DISPLAY_NAME');
  return importPublicKeys(displayName, enc, sig);
}

/** JSON form for storage. */
export function publicIdentityToJson(identity: PublicIdentity): PublicIdentityJson {
  return {
    v: 1,
    displayName: identity.displayName,
    encryptionSpki: toBase64Url(identity.encryptionSpki),
    signingSpki: toBase64Url(identity.signingSpki),
  };
}

/** Validates and imports the JSON form. Never throws. */
export async function importPublicIdentityJson(json: unknown): Promise<Result<{ identity: PublicIdentity }, IdentityErrorCode>> {
  if (typeof json !== 'object' || json === null) return fail('BAD_ENCODING');
  const record = json as Record<string, unknown>;
  if (record.v !== 1 || typeof record.displayName !== 'string' || typeof record.encryptionSpki !== 'string' || typeof record.signingSpki !== 'string') {
    return fail('BAD_ENCODING');
  }
  if (checkDisplayName(record.displayName) !== undefined) return fail('BAD_DISPLAY_NAME');
  const enc = fromBase64Url(record.encryptionSpki);
  const sig = fromBase64Url(record.signingSpki);
  if (enc === undefined || sig === undefined || enc.length > MAX_SPKI_BYTES || sig.length > MAX_SPKI_BYTES) return fail('BAD_ENCODING');
  return importPublicKeys(record.displayName, enc, sig);
}

/** The shape WebCrypto gives an imported RSA key's `algorithm` (not in every TS lib). */
interface RsaKeyAlgorithmInfo {
  name: string;
  modulusLength: number;
  publicExponent: Uint8Array;
  hash: { name: string };
}

async function importRsa(spki: Uint8Array, params: RsaHashedImportParams, usage: KeyUsage): Promise<Result<{ key: CryptoKey }, IdentityErrorCode>> {
  let key: CryptoKey;
  try {
    // WebCrypto refuses an SPKI whose algorithm OID is not rsaEncryption (EC, Ed25519, …).
    key = await subtle().importKey('spki', bytes(spki), params, true, [usage]);
  } catch {
    return fail('BAD_KEY_ALGORITHM');
  }
  const algorithm = key.algorithm as unknown as RsaKeyAlgorithmInfo;
  if (algorithm.name !== params.name || algorithm.hash.name !== 'SHA-256') return fail('BAD_KEY_ALGORITHM');
  if (algorithm.modulusLength < MIN_RSA_MODULUS_BITS) return fail('WEAK_KEY', `${algorithm.modulusLength} bits`);
  if (algorithm.modulusLength > MAX_RSA_MODULUS_BITS) return fail('KEY_TOO_LARGE', `${algorithm.modulusLength} bits`);
  // Exponents are big-endian byte strings; strip leading zeros before comparing with 65537.
  let exponent = new Uint8Array(algorithm.publicExponent);
  while (exponent.length > 1 && exponent[0] === 0) exponent = exponent.subarray(1);
  if (!equalBytes(exponent, RSA_PUBLIC_EXPONENT)) return fail('BAD_EXPONENT');
  // Re-import non-extractable: nothing downstream needs to export a public key again.
  const fixed = await subtle().importKey('spki', bytes(spki), params, false, [usage]);
  return { ok: true, key: fixed };
}

async function importPublicKeys(
  displayName: string,
  encryptionSpki: Uint8Array,
  signingSpki: Uint8Array,
): Promise<Result<{ identity: PublicIdentity }, IdentityErrorCode>> {
  try {
    if (equalBytes(encryptionSpki, signingSpki)) return fail('SAME_KEY');
    const enc = await importRsa(encryptionSpki, RSA_OAEP_IMPORT, 'encrypt');
    if (!enc.ok) return enc;
    const sig = await importRsa(signingSpki, RSA_PSS_IMPORT, 'verify');
    if (!sig.ok) return sig;
    const id = await identityIdOf(encryptionSpki, signingSpki);
    const signatureBytes = (sig.key.algorithm as unknown as RsaKeyAlgorithmInfo).modulusLength / 8;
    const identity: PublicIdentity = {
      displayName,
      id,
      idHex: toHex(id),
      encryptionSpki: bytes(encryptionSpki).slice(),
      signingSpki: bytes(signingSpki).slice(),
      encryptionKey: enc.key,
      verifyKey: sig.key,
      signatureBytes,
    };
    return { ok: true, identity };
  } catch {
    return fail('BAD_KEY_ALGORITHM');
  }
}

/** The full fingerprint as 16 groups of 4 hex characters. */
export function formatFingerprint(id: Uint8Array): string {
  return (toHex(id).match(/.{1,4}/g) ?? []).join(' ');
}

/** A short fingerprint for member lists: the first 64 bits as 4 groups of 4 hex characters.
 * For verification use the safety number, never this. */
export function shortFingerprint(id: Uint8Array): string {
  return (
    toHex(id)
      .slice(0, SHORT_FINGERPRINT_HEX_CHARS)
      .match(/.{1,4}/g) ?? []
  ).join(' ');
}

/** Whether two identities have the same keys (display names may differ). */
export function sameIdentity(a: PublicIdentity, b: PublicIdentity): boolean {
  return a.id.length === IDENTITY_ID_BYTES && equalBytes(a.id, b.id);
}
