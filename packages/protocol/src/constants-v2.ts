/**
 * Wire constants of protocol version 2 (docs/PROTOCOL.md Part B, v2): room epochs, the
 * membership log, sealed envelopes, lobbies and files v2. Lengths are in bytes unless the
 * name says otherwise. Labels are ASCII and part of the wire contract: changing one breaks
 * interoperability. Formats that v2 keeps from v1 (identities, password wrapping, at-rest
 * records, safety numbers) keep their v1 constants and version bytes (constants.ts).
 */
import { SHA256_BYTES } from './constants.js';

/** First byte of every v2 envelope, log entry, invite and file manifest. */
export const PROTOCOL_VERSION = 2;

// ---- secrets and ids ------------------------------------------------------------------------

/** Epoch secret `E_n`: 256 random bits, fresh for every commit. */
export const EPOCH_SECRET_BYTES = 32;
/** Link secret `L`: 256 random bits, the whole power of an invite link. */
export const LINK_SECRET_BYTES = 32;
/** Relay room id of an epoch or a lobby (what the relay sees, Part A). */
export const RELAY_ROOM_ID_BYTES = 32;
/** Room id: SHA-256 of the genesis entry. Client-side only. */
export const ROOM_ID_V2_BYTES = SHA256_BYTES;
/** Entry hash, membership hash, group context, secrets hash: SHA-256 outputs. */
export const HASH_BYTES = SHA256_BYTES;
/** Knock id: 128 random bits naming one knock and its answer. */
export const KNOCK_ID_BYTES = 16;
/** Random nonce in the genesis body, so two rooms with the same creator and name differ. */
export const GENESIS_NONCE_BYTES = 16;

// ---- envelope framing -----------------------------------------------------------------------

/** Outer kinds: the second byte of every v2 envelope, the only thing the relay could parse. */
export const ENVELOPE_KIND = { sealed: 0x01, chunk: 0x02 } as const;
/** Version and kind: the two bytes in front of every v2 envelope. */
export const SEALED_HEADER_BYTES = 2;

/** Inner types of a sealed envelope (its first plaintext byte). 0x01–0x05 travel in epoch
 * rooms, 0x10–0x12 in lobbies; a type found in the other kind of room is `BAD_TYPE`. */
export const INNER_TYPE = {
  commit: 0x01,
  'sender-key': 0x02,
  group: 0x03,
  direct: 0x04,
  leave: 0x05,
  knock: 0x10,
  welcome: 0x11,
  decline: 0x12,
} as const;
export type InnerType = keyof typeof INNER_TYPE;

/** Content kinds of group and direct messages. */
export const CONTENT_KIND = { message: 0x01, 'file-manifest': 0x02, 'file-digest': 0x03 } as const;
export type ContentKind = keyof typeof CONTENT_KIND;

/** Reasons of a decline (an unauthenticated hint to a knocker). */
export const DECLINE_REASON = { declined: 0x01, 'link-expired': 0x02, 'link-used': 0x03 } as const;
export type DeclineReason = keyof typeof DECLINE_REASON;

// ---- membership log -------------------------------------------------------------------------

/** Action bytes of log entries (PROTOCOL.md B.8). */
export const LOG_ACTION = { genesis: 0x00, add: 0x01, remove: 0x02, role: 0x03, settings: 0x04, link: 0x05 } as const;
export type LogActionKind = keyof typeof LOG_ACTION;

/** Role bytes in the roster and in the membership hash. */
export const ROLE = { member: 0x01, admin: 0x02 } as const;
export type Role = keyof typeof ROLE;

/** How an add came about (`via` byte of an add body). */
export const ADD_VIA = { member: 0x00, link: 0x01, knock: 0x02 } as const;
export type AddVia = keyof typeof ADD_VIA;

/** Link policy flag bits. Other bits must be zero. */
export const LINK_FLAG_APPROVAL = 0x01;
export const LINK_FLAG_SINGLE_USE = 0x02;
export const LINK_FLAGS_KNOWN = LINK_FLAG_APPROVAL | LINK_FLAG_SINGLE_USE;

/** Longest disappearing-message timer: one year in seconds (0 = off). */
export const MAX_TIMER_SECONDS = 365 * 24 * 60 * 60;

/** Largest roster: the membership hash and the secrets part count members in a u16. */
export const MAX_ROSTER_MEMBERS = 0xffff;
/** Largest action body accepted: an add (identity ≤ 2,335 bytes) or a removal with a leave
 * proposal (≤ 1,079 bytes) fit with room to spare; bounds memory on hostile input. */
export const MAX_ACTION_BODY_BYTES = 4_096;
/** Largest entry accepted (fixed fields, body and an 8192-bit signature). */
export const MAX_ENTRY_BYTES = 6_144;
/** Largest number of entries a welcome may carry. */
export const MAX_LOG_ENTRIES = 100_000;

// ---- labels (ASCII) -------------------------------------------------------------------------

export const LABEL_V2_ROOM_ID = 'sealroom/v2/room-id';
export const LABEL_V2_ENTRY = 'sealroom/v2/entry';
export const LABEL_V2_ENTRY_HASH = 'sealroom/v2/entry-hash';
export const LABEL_V2_MEMBERSHIP = 'sealroom/v2/membership';
export const LABEL_V2_CONTEXT = 'sealroom/v2/context';
export const LABEL_V2_EPOCH_RELAY_ROOM = 'sealroom/v2/epoch/relay-room';
export const LABEL_V2_EPOCH_ADMISSION = 'sealroom/v2/epoch/admission';
export const LABEL_V2_EPOCH_ENVELOPE = 'sealroom/v2/epoch/envelope';
export const LABEL_V2_EPOCH_MEMBER_ID = 'sealroom/v2/epoch/member-id';
export const LABEL_V2_EPOCH_LINK = 'sealroom/v2/epoch/link';
export const LABEL_V2_LINK_RELAY_ROOM = 'sealroom/v2/link/relay-room';
export const LABEL_V2_LINK_ADMISSION = 'sealroom/v2/link/admission';
export const LABEL_V2_LINK_LOBBY = 'sealroom/v2/link/lobby';
/** RSA-OAEP label of an epoch-secret share in a commit's secrets part. */
export const LABEL_V2_EPOCH_SECRET = 'sealroom/v2/epoch-secret';
/** AES-GCM associated-data prefix of the sealed link state in a commit's secrets part. */
export const LABEL_V2_LINK_STATE = 'sealroom/v2/link-state';
/** Prefix of every member signature over an epoch-room envelope. */
export const LABEL_V2_SIGNATURE = 'sealroom/v2/signature';
export const LABEL_V2_SENDER_KEY = 'sealroom/v2/sender-key';
export const LABEL_V2_DIRECT_KEY = 'sealroom/v2/direct-key';
export const LABEL_V2_KNOCK = 'sealroom/v2/knock';
/** RSA-OAEP label of the welcome key and prefix of the adder's welcome signature. */
export const LABEL_V2_WELCOME = 'sealroom/v2/welcome';

// ---- invite links ---------------------------------------------------------------------------

/** Invite fragment version marker of v2 links. */
export const INVITE_VERSION_V2 = '2';
