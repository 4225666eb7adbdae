/**
 * The relay admission proof (PROTOCOL.md A.3): a relay admits a connection to a relay room
 * when it proves that it holds the room's admission key (an epoch's or a lobby's, B.7).
 */
import { ADMISSION_KEY_BYTES, ADMISSION_NONCE_BYTES, LABEL_ADMIT, ROOM_ID_BYTES } from './constants.js';
import { concat, utf8 } from './bytes.js';
import { hmac, importHmacKey } from './webcrypto.js';

/**
 * Admission MAC: HMAC-SHA-256(admissionKey, "sealroom/admit/v1" ‖ relay room id ‖ nonce).
 * Throws `RangeError` unless all three are 32 bytes.
 */
export async function admissionProof(admissionKey: Uint8Array, relayRoomId: Uint8Array, nonce: Uint8Array): Promise<Uint8Array> {
  if (admissionKey.length !== ADMISSION_KEY_BYTES || relayRoomId.length !== ROOM_ID_BYTES || nonce.length !== ADMISSION_NONCE_BYTES) {
    throw new RangeError('admission key, room id and nonce must be 32 bytes each');
  }
  const key = await importHmacKey(admissionKey, ['sign']);
  return hmac(key, concat(utf8(LABEL_ADMIT), relayRoomId, nonce));
}
