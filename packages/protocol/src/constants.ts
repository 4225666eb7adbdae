/**
 * Every length, label and budget of the Sealroom cryptographic protocol (docs/PROTOCOL.md
 * Part B). Lengths are in bytes unless the name says otherwise. Labels are ASCII and are
 * part of the wire contract: changing one breaks interoperability.
 */
import { DAY_MS, KIB, MIB } from '@sealroom/units';

/** Version byte of every envelope, wrapped blob and at-rest record defined here. */
export const PROTOCOL_VERSION = 1;

// ---- primitive sizes -------------------------------------------------------------------

/** RSA modulus length in bits for both identity key pairs (DESIGN.md §3.1). */
export const RSA_MODULUS_BITS = 3072;
/** Smallest modulus accepted from someone else's public identity. */
export const MIN_RSA_MODULUS_BITS = 3072;
/** Largest modulus accepted: bounds the cost an attacker can impose on verification. */
export const MAX_RSA_MODULUS_BITS = 8192;
/** RSA public exponent 65537, as WebCrypto wants it (big-endian bytes). */
export const RSA_PUBLIC_EXPONENT = new Uint8Array([0x01, 0x00, 0x01]);
/** Shortest and longest RSA signature or OAEP ciphertext accepted, from the modulus bounds. */
export const MIN_SIGNATURE_BYTES = MIN_RSA_MODULUS_BITS / 8;
export const MAX_SIGNATURE_BYTES = MAX_RSA_MODULUS_BITS / 8;
/** RSA-PSS salt length: the hash length of SHA-256, as RFC 8017 recommends. */
export const PSS_SALT_BYTES = 32;
/** AES-GCM IV: 96 random bits, the size GCM is defined for without GHASH of the IV. */
export const AES_GCM_IV_BYTES = 12;
/** AES-GCM authentication tag: the full 128 bits. */
export const AES_GCM_TAG_BYTES = 16;
export const AES_GCM_TAG_BITS = AES_GCM_TAG_BYTES * 8;
/** AES-256 key length. */
export const AES_KEY_BYTES = 32;
/** SHA-256 / HMAC-SHA-256 output length. */
export const SHA256_BYTES = 32;

// ---- identities and password wrapping -----------------------------------------------------

/** Identity id: SHA-256 fingerprint over the canonical encoding of both public keys. */
export const IDENTITY_ID_BYTES = SHA256_BYTES;
/** Longest display name, in UTF-8 bytes; keeps announcements small and the UI sane. */
export const MAX_DISPLAY_NAME_BYTES = 128;
/** Longest SPKI accepted (an 8192-bit RSA SPKI is about 1,060 bytes). */
export const MAX_SPKI_BYTES = 1_100;
/** Hex characters shown in the short display form of a fingerprint (64 bits). */
export const SHORT_FINGERPRINT_HEX_CHARS = 16;
/** OWASP 2023 figure for PBKDF2-HMAC-SHA-256 (DESIGN.md §3.1). Never lower this. */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;
/** Upper bound on the iteration count read from a blob: a hostile backup cannot hang us. */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;
/** PBKDF2 salt: 128 random bits. */
export const PBKDF2_SALT_BYTES = 16;
/** The storage key that encrypts the client's data at rest (AES-256). */
export const STORAGE_KEY_BYTES = AES_KEY_BYTES;

// ---- room keys and invites ------------------------------------------------------------------

/** Room id as seen by the relay (docs/PROTOCOL.md A.1). */
export const ROOM_ID_BYTES = 32;
/** Relay admission key (HMAC-SHA-256 key, PROTOCOL.md A.3). */
export const ADMISSION_KEY_BYTES = 32;
/** Admission challenge nonce issued by the relay. */
export const ADMISSION_NONCE_BYTES = 32;
/** Room-scoped member id carried in envelope headers instead of the identity id. */
export const MEMBER_ID_BYTES = 32;
/** Longest room-name hint in an invite, in UTF-8 bytes. */
export const MAX_ROOM_NAME_BYTES = 128;
/** Longest relay URL accepted in an invite, in characters. */
export const MAX_RELAY_URL_CHARS = 2_048;

// ---- envelopes ------------------------------------------------------------------------------

/** Random message id in every envelope header (128 bits: collisions are not a concern). */
export const MESSAGE_ID_BYTES = 16;
/** File id inside a manifest and every chunk. */
export const FILE_ID_BYTES = 16;
/** Sender key id: u32. */
export const KEY_ID_BYTES = 4;
/** Size of a u64 field (file sizes). */
export const U64_BYTES = 8;
/** Sequence number: u32. */
export const SEQUENCE_BYTES = 4;
/** Largest sequence number; a key must rotate long before (see MAX_MESSAGES_PER_SENDER_KEY). */
export const MAX_SEQUENCE = 0xffff_ffff;
/** Chain key of a sender key (HMAC-SHA-256 key). */
export const CHAIN_KEY_BYTES = 32;
/** Largest plaintext accepted in one envelope (64 MiB): bounds memory on hostile input. */
export const MAX_PAYLOAD_BYTES = 64 * MIB;
/** Largest file chunk (1 MiB); 256 KiB is the suggested size (DESIGN.md §6). */
export const MAX_FILE_CHUNK_BYTES = MIB;
/** Suggested chunk size: AES-GCM in Chromium is fastest around 256 KiB per call. */
export const DEFAULT_FILE_CHUNK_BYTES = 256 * KIB;
/** Longest file name in a manifest, UTF-8 bytes. */
export const MAX_FILE_NAME_BYTES = 1_024;
/** Longest MIME type in a manifest, UTF-8 bytes. */
export const MAX_FILE_TYPE_BYTES = 255;

// ---- sender keys: receiving window and rotation --------------------------------------------

/** How far past the next expected sequence a message may jump (libsignal uses 25,000; ours is
 * lower because every step costs two HMACs in WebCrypto and a hostile sender could force it). */
export const MAX_FORWARD_JUMP = 2_000;
/** Skipped message keys kept per sender key for late, out-of-order delivery. */
export const MAX_SKIPPED_KEYS = 2_000;
/** Recent message ids remembered per sender key for de-duplication. */
export const MAX_REMEMBERED_MESSAGE_IDS = 512;
/** Sender keys kept per member so messages still in flight across a rotation open. */
export const MAX_KEYS_PER_SENDER = 4;
/** (sender, key id) pairs remembered after their key left the ring, so a replayed old
 * distribution cannot bring a dropped chain back and let its messages open again. */
export const MAX_RETIRED_SENDER_KEYS = 1_024;
/** Rotate after this many messages (Megolm: 100). See docs for the reasoning. */
export const MAX_MESSAGES_PER_SENDER_KEY = 200;
/** Rotate after this age in milliseconds: 24 hours (Megolm: one week). */
export const MAX_SENDER_KEY_AGE_MS = DAY_MS;

// ---- domain-separation labels (ASCII) -------------------------------------------------------

export const LABEL_IDENTITY_ID = 'sealroom/identity-id/v1';
/** Admission MAC label (PROTOCOL.md A.3): its 17 ASCII bytes precede room id and nonce. */
export const LABEL_ADMIT = 'sealroom/admit/v1';
export const LABEL_WRAP = 'sealroom/wrap/v1';
export const LABEL_AT_REST = 'sealroom/at-rest/v1';
export const LABEL_SAFETY_NUMBER = 'sealroom/safety-number/v1';

/** HMAC inputs of the sender-key ratchet (Signal sender keys): one byte each. */
export const RATCHET_MESSAGE_KEY_INPUT = 0x01;
export const RATCHET_CHAIN_KEY_INPUT = 0x02;

// ---- safety numbers -------------------------------------------------------------------------

/** SHA-512 iterations per identity (Signal's displayable fingerprint uses 5,200). */
export const SAFETY_NUMBER_ITERATIONS = 5_200;
/** Bytes of the iterated hash used for each identity's 30 digits (6 groups × 5 bytes). */
export const SAFETY_NUMBER_HASH_BYTES = 30;
export const SAFETY_NUMBER_GROUP_DIGITS = 5;
export const SAFETY_NUMBER_GROUPS = 12;
export const SAFETY_NUMBER_DIGITS = SAFETY_NUMBER_GROUP_DIGITS * SAFETY_NUMBER_GROUPS;
/** Bytes of each identity's iterated hash carried in the scannable form. */
export const SAFETY_SCAN_HASH_BYTES = 32;
/** Prefix of the scannable safety code (QR payload). */
export const SAFETY_SCAN_PREFIX = 'SRSN1:';

// ---- invite links ---------------------------------------------------------------------------
