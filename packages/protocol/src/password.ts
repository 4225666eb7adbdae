/**
 * Password-wrapped identities and backup files.
 *
 * PBKDF2-HMAC-SHA-256 (600,000 iterations by default, 16-byte random salt) derives an
 * AES-256-GCM key that encrypts three secrets separately: the RSA-OAEP PKCS#8, the RSA-PSS
 * PKCS#8, and the 32-byte storage key. Each has a fresh IV and associated data binding the
 * format version, its purpose and the identity id, so blobs cannot be mixed or swapped.
 */
import {
  AES_GCM_IV_BYTES,
  DEFAULT_PBKDF2_ITERATIONS,
  IDENTITY_ID_BYTES,
  LABEL_WRAP,
  MAX_PBKDF2_ITERATIONS,
  PBKDF2_SALT_BYTES,
  PROTOCOL_VERSION,
  STORAGE_KEY_BYTES,
} from './constants.js';
import { bytes, concat, equalBytes, fromBase64Url, randomBytes, toBase64Url, u8, utf8, type Bytes } from './bytes.js';
import { fail, type Result, type WrapErrorCode } from './errors.js';
import {
  identityIdOf,
  importPrivateKeys,
  importPublicIdentityJson,
  publicIdentityToJson,
  type GeneratedIdentity,
  type LocalIdentity,
  type PublicIdentity,
  type PublicIdentityJson,
} from './identity.js';
import { gcmDecrypt, gcmEncrypt, importAesKey, subtle } from './webcrypto.js';

export { DEFAULT_PBKDF2_ITERATIONS } from './constants.js';

/** PBKDF2 parameters stored beside the keys so they can be raised later. */
export interface KdfParams {
  name: 'PBKDF2-SHA-256';
  iterations: number;
  /** 16 random bytes, base64url. */
  salt: string;
}

/** One AES-GCM-encrypted secret: base64url IV and ciphertext ‖ tag. */
export interface SealedSecret {
  iv: string;
  ct: string;
}

/** The password-wrapped identity: JSON-serialisable, versioned. Store it as is. */
export interface WrappedIdentity {
  format: 'sealroom-identity';
  v: 1;
  kdf: KdfParams;
  /** The public half, readable without the password (to greet the user by name). */
  identity: PublicIdentityJson;
  /** Identity id, base64url; bound into the associated data of every secret. */
  id: string;
  keys: { encryption: SealedSecret; signing: SealedSecret; storage: SealedSecret };
}

/** A local identity plus the storage key, all non-extractable. */
export interface UnlockedIdentity extends LocalIdentity {
  /** AES-256-GCM key for {@link sealAtRest} / {@link openAtRest}; non-extractable. */
  readonly storageKey: CryptoKey;
}

/**
 * KDF options. The iteration count can only go below {@link DEFAULT_PBKDF2_ITERATIONS} with
 * `dangerouslyAllowWeakKdfForTests: true`; tests use that to stay fast.
 */
export interface KdfOptions {
  iterations?: number;
  dangerouslyAllowWeakKdfForTests?: boolean;
}

const PURPOSE_ENCRYPTION = 1;
const PURPOSE_SIGNING = 2;
const PURPOSE_STORAGE = 3;

function chooseIterations(options: KdfOptions): number {
  const iterations = options.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new RangeError('PBKDF2 iteration count out of range');
  }
  if (iterations < DEFAULT_PBKDF2_ITERATIONS && options.dangerouslyAllowWeakKdfForTests !== true) {
    throw new RangeError(`PBKDF2 iterations below ${DEFAULT_PBKDF2_ITERATIONS} need dangerouslyAllowWeakKdfForTests`);
  }
  return iterations;
}

async function passwordKey(password: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const base = await subtle().importKey('raw', utf8(password.normalize('NFC')), 'PBKDF2', false, ['deriveKey']);
  return subtle().deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: bytes(salt), iterations },
    base,
    { name: 'AES-GCM', length: STORAGE_KEY_BYTES * 8 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** AAD = "sealroom/wrap/v1" ‖ u8 version ‖ u8 purpose ‖ 32-byte identity id. */
function wrapAad(purpose: number, id: Uint8Array): Bytes {
  return concat(utf8(LABEL_WRAP), u8(PROTOCOL_VERSION), u8(purpose), id);
}

async function sealSecret(key: CryptoKey, purpose: number, id: Uint8Array, secret: Uint8Array): Promise<SealedSecret> {
  const iv = randomBytes(AES_GCM_IV_BYTES);
  const ct = await gcmEncrypt(key, iv, wrapAad(purpose, id), secret);
  return { iv: toBase64Url(iv), ct: toBase64Url(ct) };
}

async function openSecret(key: CryptoKey, purpose: number, id: Uint8Array, sealed: SealedSecret): Promise<Bytes | undefined> {
  const iv = fromBase64Url(sealed.iv);
  const ct = fromBase64Url(sealed.ct);
  if (iv === undefined || ct === undefined || iv.length !== AES_GCM_IV_BYTES) return undefined;
  return gcmDecrypt(key, iv, wrapAad(purpose, id), ct);
}

interface PlainSecrets {
  encryptionPkcs8: Uint8Array;
  signingPkcs8: Uint8Array;
  storageKey: Uint8Array;
}

async function wrapSecrets(publicIdentity: PublicIdentity, secrets: PlainSecrets, password: string, options: KdfOptions): Promise<WrappedIdentity> {
  const iterations = chooseIterations(options);
  const salt = randomBytes(PBKDF2_SALT_BYTES);
  const key = await passwordKey(password, salt, iterations);
  const id = publicIdentity.id;
  return {
    format: 'sealroom-identity',
    v: 1,
    kdf: { name: 'PBKDF2-SHA-256', iterations, salt: toBase64Url(salt) },
    identity: publicIdentityToJson(publicIdentity),
    id: toBase64Url(id),
    keys: {
      encryption: await sealSecret(key, PURPOSE_ENCRYPTION, id, secrets.encryptionPkcs8),
      signing: await sealSecret(key, PURPOSE_SIGNING, id, secrets.signingPkcs8),
      storage: await sealSecret(key, PURPOSE_STORAGE, id, secrets.storageKey),
    },
  };
}

/**
 * Wraps a freshly generated identity under a password, with a new random storage key.
 * Returns the blob to store and the unlocked identity (non-extractable keys) to use now.
 */
export async function wrapIdentity(
  generated: GeneratedIdentity,
  password: string,
  options: KdfOptions = {},
): Promise<{ wrapped: WrappedIdentity; unlocked: UnlockedIdentity }> {
  const storageKey = randomBytes(STORAGE_KEY_BYTES);
  const wrapped = await wrapSecrets(
    generated.public,
    { encryptionPkcs8: generated.encryptionPkcs8, signingPkcs8: generated.signingPkcs8, storageKey },
    password,
    options,
  );
  const keys = await importPrivateKeys(generated.encryptionPkcs8, generated.signingPkcs8);
  return { wrapped, unlocked: { public: generated.public, ...keys, storageKey: await importAesKey(storageKey) } };
}

function isSealedSecret(value: unknown): value is SealedSecret {
  return typeof value === 'object' && value !== null && typeof (value as SealedSecret).iv === 'string' && typeof (value as SealedSecret).ct === 'string';
}

/** Structural validation of a stored blob (from storage or a backup file). Never throws. */
export function readWrappedIdentity(value: unknown): Result<{ wrapped: WrappedIdentity }, WrapErrorCode> {
  if (typeof value !== 'object' || value === null) return fail('BAD_FORMAT');
  const blob = value as Record<string, unknown>;
  if (blob.format !== 'sealroom-identity') return fail('BAD_FORMAT');
  if (blob.v !== 1) return fail('BAD_VERSION');
  const kdf = blob.kdf as Record<string, unknown> | null | undefined;
  if (typeof kdf !== 'object' || kdf === null || kdf.name !== 'PBKDF2-SHA-256') return fail('BAD_KDF');
  if (typeof kdf.iterations !== 'number' || !Number.isSafeInteger(kdf.iterations) || kdf.iterations < 1 || kdf.iterations > MAX_PBKDF2_ITERATIONS)
    return fail('BAD_KDF');
  const salt = typeof kdf.salt === 'string' ? fromBase64Url(kdf.salt) : undefined;
  if (salt === undefined || salt.length !== PBKDF2_SALT_BYTES) return fail('BAD_KDF');
  const id = typeof blob.id === 'string' ? fromBase64Url(blob.id) : undefined;
  if (id === undefined || id.length !== IDENTITY_ID_BYTES) return fail('BAD_FORMAT');
  const keys = blob.keys as Record<string, unknown> | null | undefined;
  if (typeof keys !== 'object' || keys === null || !isSealedSecret(keys.encryption) || !isSealedSecret(keys.signing) || !isSealedSecret(keys.storage)) {
    return fail('BAD_FORMAT');
  }
  if (typeof blob.identity !== 'object' || blob.identity === null) return fail('BAD_FORMAT');
  return { ok: true, wrapped: value as WrappedIdentity };
}

async function unwrapSecrets(
  value: unknown,
  password: string,
): Promise<Result<{ wrapped: WrappedIdentity; publicIdentity: PublicIdentity; secrets: PlainSecrets }, WrapErrorCode>> {
  const read = readWrappedIdentity(value);
  if (!read.ok) return read;
  const { wrapped } = read;
  const imported = await importPublicIdentityJson(wrapped.identity);
  if (!imported.ok) return fail('CORRUPT', `public identity: ${imported.code}`);
  const id = fromBase64Url(wrapped.id)!;
  // The id is bound into every AAD; it must also be the fingerprint of the stated keys.
  const recomputed = await identityIdOf(imported.identity.encryptionSpki, imported.identity.signingSpki);
  if (!equalBytes(recomputed, id)) return fail('CORRUPT', 'id does not match keys');
  const key = await passwordKey(password, fromBase64Url(wrapped.kdf.salt)!, wrapped.kdf.iterations);
  const encryptionPkcs8 = await openSecret(key, PURPOSE_ENCRYPTION, id, wrapped.keys.encryption);
  // The first secret decides: a GCM tag failure under the password key is a wrong password.
  if (encryptionPkcs8 === undefined) return fail('WRONG_PASSWORD');
  const signingPkcs8 = await openSecret(key, PURPOSE_SIGNING, id, wrapped.keys.signing);
  const storageKey = await openSecret(key, PURPOSE_STORAGE, id, wrapped.keys.storage);
  if (signingPkcs8 === undefined || storageKey === undefined || storageKey.length !== STORAGE_KEY_BYTES) return fail('CORRUPT');
  return { ok: true, wrapped, publicIdentity: imported.identity, secrets: { encryptionPkcs8, signingPkcs8, storageKey } };
}

/**
 * Unlocks a stored blob. A wrong password is `{ ok: false, code: 'WRONG_PASSWORD' }`; the
 * blob is never modified. Keys come back non-extractable.
 */
export async function unwrapIdentity(wrapped: unknown, password: string): Promise<Result<{ unlocked: UnlockedIdentity }, WrapErrorCode>> {
  try {
    const opened = await unwrapSecrets(wrapped, password);
    if (!opened.ok) return opened;
    let keys: { decryptionKey: CryptoKey; signingKey: CryptoKey };
    try {
      keys = await importPrivateKeys(opened.secrets.encryptionPkcs8, opened.secrets.signingPkcs8);
    } catch {
      return fail('CORRUPT', 'private key import');
    }
    return { ok: true, unlocked: { public: opened.publicIdentity, ...keys, storageKey: await importAesKey(opened.secrets.storageKey) } };
  } catch {
    return fail('BAD_FORMAT');
  }
}

/**
 * Re-wraps under a new password (fresh salt, fresh IVs; same keys and storage key, so data
 * already encrypted at rest stays readable). Also the way to raise the iteration count.
 */
export async function changePassword(
  wrapped: unknown,
  oldPassword: string,
  newPassword: string,
  options: KdfOptions = {},
): Promise<Result<{ wrapped: WrappedIdentity }, WrapErrorCode>> {
  const iterations = chooseIterations(options);
  try {
    const opened = await unwrapSecrets(wrapped, oldPassword);
    if (!opened.ok) return opened;
    return { ok: true, wrapped: await wrapSecrets(opened.publicIdentity, opened.secrets, newPassword, { ...options, iterations }) };
  } catch {
    return fail('BAD_FORMAT');
  }
}

// ---- backup files -----------------------------------------------------------------------------

/** Backup file: `{ "format": "sealroom-backup", "v": 1, "identity": WrappedIdentity }`. */
export interface BackupFile {
  format: 'sealroom-backup';
  v: 1;
  identity: WrappedIdentity;
}

/** Suggested file name for a backup. */
export const BACKUP_FILE_EXTENSION = '.sealroom-backup.json';

/**
 * Produces a password-protected backup file (JSON text). The password is checked first so a
 * user never exports a backup they cannot open. With `backupPassword`, the backup is
 * re-wrapped under that password instead of the current one.
 */
export async function exportBackup(
  wrapped: WrappedIdentity,
  password: string,
  options: KdfOptions & { backupPassword?: string } = {},
): Promise<Result<{ text: string; fileName: string }, WrapErrorCode>> {
  const rewrapped = await changePassword(wrapped, password, options.backupPassword ?? password, {
    iterations: options.iterations ?? Math.max(wrapped.kdf.iterations, DEFAULT_PBKDF2_ITERATIONS),
    ...(options.dangerouslyAllowWeakKdfForTests === true ? { dangerouslyAllowWeakKdfForTests: true } : {}),
  });
  if (!rewrapped.ok) return rewrapped;
  const file: BackupFile = { format: 'sealroom-backup', v: 1, identity: rewrapped.wrapped };
  const safeName = wrapped.identity.displayName.replace(/[^\p{L}\p{N}_-]+/gu, '-').slice(0, 32) || 'identity';
  return { ok: true, text: JSON.stringify(file), fileName: `${safeName}${BACKUP_FILE_EXTENSION}` };
}

/** Reads a backup file's identity (version 1 or 2) and unlocks it. Never throws on hostile text. */
export async function importBackup(text: string, password: string): Promise<Result<{ wrapped: WrappedIdentity; unlocked: UnlockedIdentity }, WrapErrorCode>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('BAD_FORMAT', 'not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as BackupFile).format !== 'sealroom-backup') return fail('BAD_FORMAT');
  // Version 2 (the client's, with rooms sealed under the storage key) carries the same identity.
  if ((parsed as BackupFile).v !== 1 && (parsed as { v?: unknown }).v !== 2) return fail('BAD_VERSION');
  const read = readWrappedIdentity((parsed as BackupFile).identity);
  if (!read.ok) return read;
  const unwrapped = await unwrapIdentity(read.wrapped, password);
  if (!unwrapped.ok) return unwrapped;
  return { ok: true, wrapped: read.wrapped, unlocked: unwrapped.unlocked };
}
