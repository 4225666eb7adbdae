/** The WebCrypto algorithm parameters used throughout, in one place. */
import { AES_GCM_TAG_BITS, PSS_SALT_BYTES, RSA_MODULUS_BITS, RSA_PUBLIC_EXPONENT } from './constants.js';
import { bytes, type Bytes } from './bytes.js';

export const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

export const RSA_OAEP_IMPORT: RsaHashedImportParams = { name: 'RSA-OAEP', hash: 'SHA-256' };
export const RSA_PSS_IMPORT: RsaHashedImportParams = { name: 'RSA-PSS', hash: 'SHA-256' };

export function rsaGenParams(name: 'RSA-OAEP' | 'RSA-PSS'): RsaHashedKeyGenParams {
  return { name, modulusLength: RSA_MODULUS_BITS, publicExponent: RSA_PUBLIC_EXPONENT, hash: 'SHA-256' };
}

export function pssParams(): RsaPssParams {
  return { name: 'RSA-PSS', saltLength: PSS_SALT_BYTES };
}

export function oaepParams(label: Uint8Array): RsaOaepParams {
  return { name: 'RSA-OAEP', label: bytes(label) };
}

export function gcmParams(iv: Uint8Array, additionalData: Uint8Array): AesGcmParams {
  return { name: 'AES-GCM', iv: bytes(iv), additionalData: bytes(additionalData), tagLength: AES_GCM_TAG_BITS };
}

export async function sha256(data: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await subtle().digest('SHA-256', bytes(data)));
}

export async function importAesKey(raw: Uint8Array, usages: KeyUsage[] = ['encrypt', 'decrypt']): Promise<CryptoKey> {
  return subtle().importKey('raw', bytes(raw), { name: 'AES-GCM' }, false, usages);
}

export async function importHmacKey(raw: Uint8Array, usages: KeyUsage[] = ['sign', 'verify']): Promise<CryptoKey> {
  return subtle().importKey('raw', bytes(raw), { name: 'HMAC', hash: 'SHA-256' }, false, usages);
}

export async function hmac(key: CryptoKey, data: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await subtle().sign('HMAC', key, bytes(data)));
}

/** AES-GCM encryption; the result is ciphertext ‖ 16-byte tag. */
export async function gcmEncrypt(key: CryptoKey, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await subtle().encrypt(gcmParams(iv, aad), key, bytes(plaintext)));
}

/** AES-GCM decryption; undefined when the tag does not verify (never throws for that). */
export async function gcmDecrypt(key: CryptoKey, iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Bytes | undefined> {
  try {
    return new Uint8Array(await subtle().decrypt(gcmParams(iv, aad), key, bytes(ciphertext)));
  } catch {
    return undefined;
  }
}

export async function pssSign(key: CryptoKey, data: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await subtle().sign(pssParams(), key, bytes(data)));
}

export async function pssVerify(key: CryptoKey, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  try {
    return await subtle().verify(pssParams(), key, bytes(signature), bytes(data));
  } catch {
    return false;
  }
}

export async function oaepEncrypt(key: CryptoKey, label: Uint8Array, plaintext: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await subtle().encrypt(oaepParams(label), key, bytes(plaintext)));
}

export async function oaepDecrypt(key: CryptoKey, label: Uint8Array, ciphertext: Uint8Array): Promise<Bytes | undefined> {
  try {
    return new Uint8Array(await subtle().decrypt(oaepParams(label), key, bytes(ciphertext)));
  } catch {
    return undefined;
  }
}
