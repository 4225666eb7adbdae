/**
 * Room keys: everything derived from the 32-byte room secret with HKDF-SHA-256 (empty salt,
 * distinct ASCII info labels), and the relay admission proof of PROTOCOL.md A.3.
 */
import {
  ADMISSION_KEY_BYTES,
  ADMISSION_NONCE_BYTES,
  AES_KEY_BYTES,
  LABEL_ADMISSION_KEY,
  LABEL_ADMIT,
  LABEL_ANNOUNCEMENT_KEY,
  LABEL_MEMBER_ID_KEY,
  LABEL_ROOM_ID,
  ROOM_ID_BYTES,
  ROOM_SECRET_BYTES,
  SHA256_BYTES,
} from './constants.js';
import { bytes, concat, randomBytes, toBase64Url, utf8, type Bytes } from './bytes.js';
import { hmac, importAesKey, importHmacKey, subtle } from './webcrypto.js';
import type { PublicIdentity } from './identity.js';

/** Keys and ids of one room. Holds secrets: keep it in memory only. */
export interface RoomKeys {
  /** What the relay sees (32 bytes). */
  readonly roomId: Uint8Array;
  /** `roomId` as base64url (43 characters), the form used in relay JSON messages. */
  readonly roomIdB64: string;
  /** Raw HMAC key for relay admission; sent to the relay once to register the room. */
  readonly admissionKey: Uint8Array;
  /** AES-256-GCM key protecting join announcements and control envelopes (non-extractable). */
  readonly announcementKey: CryptoKey;
  /** HMAC-SHA-256 key that maps identity ids to room-scoped member ids (non-extractable). */
  readonly memberIdKey: CryptoKey;
}

/** A verified member of a room: public identity and its room-scoped member id. */
export interface RoomMember {
  /** HMAC-SHA-256(memberIdKey, identity id): the `sender` field of envelope headers. */
  readonly memberId: Uint8Array;
  readonly identity: PublicIdentity;
}

/** 32 random bytes: a new room. */
export function createRoomSecret(): Uint8Array {
  return randomBytes(ROOM_SECRET_BYTES);
}

/** HKDF-SHA-256(ikm = secret, salt = empty, info = label) → `length` bytes. */
export async function hkdf(secret: Uint8Array, label: string, length: number): Promise<Bytes> {
  const base = await subtle().importKey('raw', bytes(secret), 'HKDF', false, ['deriveBits']);
  const bits = await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8(label) }, base, length * 8);
  return new Uint8Array(bits);
}

/** Derives every room key from the secret. Throws `RangeError` unless the secret is 32 bytes. */
export async function deriveRoomKeys(secret: Uint8Array): Promise<RoomKeys> {
  if (secret.length !== ROOM_SECRET_BYTES) throw new RangeError(`room secret must be ${ROOM_SECRET_BYTES} bytes`);
  const roomId = await hkdf(secret, LABEL_ROOM_ID, ROOM_ID_BYTES);
  const admissionKey = await hkdf(secret, LABEL_ADMISSION_KEY, ADMISSION_KEY_BYTES);
  const announcementRaw = await hkdf(secret, LABEL_ANNOUNCEMENT_KEY, AES_KEY_BYTES);
  const memberIdRaw = await hkdf(secret, LABEL_MEMBER_ID_KEY, SHA256_BYTES);
  return {
    roomId,
    roomIdB64: toBase64Url(roomId),
    admissionKey,
    announcementKey: await importAesKey(announcementRaw),
    memberIdKey: await importHmacKey(memberIdRaw, ['sign']),
  };
}

/**
 * Admission MAC (PROTOCOL.md A.3):
 * HMAC-SHA-256(admissionKey, "sealroom/admit/v1" ‖ roomId ‖ nonce).
 */
export async function admissionProof(admissionKey: Uint8Array, roomId: Uint8Array, nonce: Uint8Array): Promise<Uint8Array> {
  if (admissionKey.length !== ADMISSION_KEY_BYTES || roomId.length !== ROOM_ID_BYTES || nonce.length !== ADMISSION_NONCE_BYTES) {
    throw new RangeError('admission key, room id and nonce must be 32 bytes each');
  }
  const key = await importHmacKey(admissionKey, ['sign']);
  return hmac(key, concat(utf8(LABEL_ADMIT), roomId, nonce));
}

/**
 * The room-scoped member id of an identity. Headers carry this instead of the identity id so
 * the relay cannot link one person across rooms.
 */
export async function memberIdOf(roomKeys: RoomKeys, identityId: Uint8Array): Promise<Uint8Array> {
  return hmac(roomKeys.memberIdKey, identityId);
}

/** A {@link RoomMember} for an identity in this room. */
export async function roomMember(roomKeys: RoomKeys, identity: PublicIdentity): Promise<RoomMember> {
  return { memberId: await memberIdOf(roomKeys, identity.id), identity };
}
