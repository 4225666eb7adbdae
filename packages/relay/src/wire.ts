/** Wire constants of the relay protocol (docs/PROTOCOL.md Part A, version 2). */

/** Protocol version carried as `"v"` in JSON and as the first byte of binary frames. */
export const PROTOCOL_VERSION = 2;

/**
 * Binary frame kinds (second byte). A client sends PUBLISH and PUBLISH_PINNED; the relay
 * sends DELIVER, HISTORY and ACK.
 */
export const FrameKind = { PUBLISH: 0x01, DELIVER: 0x02, HISTORY: 0x03, ACK: 0x04, PUBLISH_PINNED: 0x05 } as const;

/** Room ids are 32 bytes (an HKDF output the clients derive). */
export const ROOM_ID_BYTES = 32;
/** base64url without padding of 32 bytes: ceil(32 * 4 / 3). */
export const ROOM_ID_BASE64URL_CHARS = 43;
/** Admission keys are 32 bytes (HKDF-SHA-256 output, HMAC-SHA-256 key). */
export const ADMISSION_KEY_BYTES = 32;
/** Challenge nonces are 32 random bytes. */
export const NONCE_BYTES = 32;
/** HMAC-SHA-256 output length. */
export const MAC_BYTES = 32;
/**
 * Domain-separation label prefixed to the admission MAC input (17 ASCII bytes). Version 2
 * of the wire kept the MAC input of version 1, so the label did not change.
 */
export const ADMISSION_LABEL = 'sealroom/admit/v1';

/** Every binary frame starts with version(1) + kind(1). */
export const FRAME_PREFIX_BYTES = 2;
/** version(1) + kind(1) + request id(4) + room id(32). */
export const PUBLISH_HEADER_BYTES = 1 + 1 + 4 + ROOM_ID_BYTES;
/** version(1) + kind(1) + cursor(8) + room id(32). */
export const DELIVER_HEADER_BYTES = 1 + 1 + 8 + ROOM_ID_BYTES;
/** version(1) + kind(1) + request id(4) + cursor(8): the whole ACK frame. */
export const ACK_FRAME_BYTES = 1 + 1 + 4 + 8;
export const PUBLISH_ID_OFFSET = 2;
export const PUBLISH_ROOM_OFFSET = 6;
export const DELIVER_CURSOR_OFFSET = 2;
export const DELIVER_ROOM_OFFSET = 10;
export const ACK_ID_OFFSET = 2;
export const ACK_CURSOR_OFFSET = 6;

/** Largest cursor: JSON numbers are exact only up to 2^53 − 1. */
export const MAX_CURSOR = Number.MAX_SAFE_INTEGER;
/** Largest `limit` a history request may ask for. */
export const MAX_HISTORY_PAGE_ENTRIES = 1000;
/** Largest `id` of a PUBLISH (u32). */
export const MAX_REQUEST_ID = 0xffff_ffff;
/** A room epoch (`joined.epoch`): 1–64 characters of the base64url alphabet. */
export const MAX_EPOCH_CHARS = 64;
