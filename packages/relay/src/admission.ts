import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ADMISSION_KEY_BYTES, ADMISSION_LABEL, MAC_BYTES, NONCE_BYTES } from './wire.js';

const LABEL_BYTES = Buffer.from(ADMISSION_LABEL, 'ascii');

export function freshNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/** HMAC-SHA-256(key, "sealroom/admit/v1" ‖ roomId ‖ nonce), docs/PROTOCOL.md A.3. */
export function admissionMac(key: Uint8Array, roomId: Uint8Array, nonce: Uint8Array): Buffer {
  return createHmac('sha256', key).update(LABEL_BYTES).update(roomId).update(nonce).digest();
}

/** Constant-time check of a client's proof. Wrong lengths fail without comparing. */
export function verifyAdmission(key: Uint8Array, roomId: Uint8Array, nonce: Uint8Array, mac: Uint8Array): boolean {
  if (key.byteLength !== ADMISSION_KEY_BYTES || mac.byteLength !== MAC_BYTES) return false;
  return timingSafeEqual(admissionMac(key, roomId, nonce), mac);
}
