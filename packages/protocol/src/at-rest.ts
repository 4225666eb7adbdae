/**
 * At-rest encryption for the client's storage: AES-256-GCM under the storage key that the
 * password-wrapped identity blob carries, a fresh random IV per record, and the caller's
 * label in the associated data so a record cannot be moved to another slot.
 *
 * Record: u8 version ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag.
 * AAD: "sealroom/at-rest/v1" ‖ 0x00 ‖ UTF-8 label.
 */
import { AES_GCM_IV_BYTES, AES_GCM_TAG_BYTES, LABEL_AT_REST, PROTOCOL_VERSION } from './constants.js';
import { concat, randomBytes, u8, utf8, type Bytes } from './bytes.js';
import { fail, type AtRestErrorCode, type Result } from './errors.js';
import { gcmDecrypt, gcmEncrypt } from './webcrypto.js';

const AT_REST_HEADER_BYTES = 1 + AES_GCM_IV_BYTES;

function atRestAad(label: string): Bytes {
  return concat(utf8(LABEL_AT_REST), u8(0), utf8(label));
}

/** Encrypts `plaintext` for storage under `storageKey`, bound to `label` (e.g. "room:<id>:history"). */
export async function sealAtRest(storageKey: CryptoKey, label: string, plaintext: Uint8Array): Promise<Uint8Array> {
  const iv = randomBytes(AES_GCM_IV_BYTES);
  const ciphertext = await gcmEncrypt(storageKey, iv, atRestAad(label), plaintext);
  return concat(u8(PROTOCOL_VERSION), iv, ciphertext);
}

/** Opens a record from {@link sealAtRest}. Fails with `BAD_TAG` for a wrong key or label. */
export async function openAtRest(storageKey: CryptoKey, label: string, sealed: Uint8Array): Promise<Result<{ plaintext: Uint8Array }, AtRestErrorCode>> {
  if (sealed.length < AT_REST_HEADER_BYTES + AES_GCM_TAG_BYTES) return fail('BAD_LENGTH');
  if (sealed[0] !== PROTOCOL_VERSION) return fail('BAD_VERSION');
  const iv = sealed.subarray(1, AT_REST_HEADER_BYTES);
  const plaintext = await gcmDecrypt(storageKey, iv, atRestAad(label), sealed.subarray(AT_REST_HEADER_BYTES));
  if (plaintext === undefined) return fail('BAD_TAG');
  return { ok: true, plaintext };
}
