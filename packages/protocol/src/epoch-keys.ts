/**
 * The v2 key schedule (PROTOCOL.md B.7): everything a relay or an outsider could see in an
 * epoch derives from that epoch's secret `E_n`, and everything about a lobby from the link
 * secret `L`; the group context and the membership hash bind who is in the room into every
 * envelope. HKDF-SHA-256 with an empty salt throughout; distinct ASCII labels.
 */
import { AES_KEY_BYTES, ADMISSION_KEY_BYTES, SHA256_BYTES } from './constants.js';
import {
  EPOCH_SECRET_BYTES,
  HASH_BYTES,
  LABEL_V2_CONTEXT,
  LABEL_V2_EPOCH_ADMISSION,
  LABEL_V2_EPOCH_ENVELOPE,
  LABEL_V2_EPOCH_LINK,
  LABEL_V2_EPOCH_MEMBER_ID,
  LABEL_V2_EPOCH_RELAY_ROOM,
  LABEL_V2_LINK_ADMISSION,
  LABEL_V2_LINK_LOBBY,
  LABEL_V2_LINK_RELAY_ROOM,
  LABEL_V2_MEMBERSHIP,
  LINK_SECRET_BYTES,
  MAX_ROSTER_MEMBERS,
  RELAY_ROOM_ID_BYTES,
  ROLE,
  type Role,
} from './constants-v2.js';
import { bytes, compareBytes, concat, randomBytes, toBase64Url, u16, u32, u8, utf8, type Bytes } from './bytes.js';
import { importAesKey, importHmacKey, sha256, subtle } from './webcrypto.js';

/** Largest epoch number: epochs are u32 on the wire. */
export const MAX_EPOCH = 0xffff_ffff;

/** Keys and ids of one epoch of a room. Holds secrets: keep it in memory only (persist the
 * 32-byte epoch secret, sealed at rest, and derive this again). */
export interface EpochKeys {
  readonly kind: 'epoch';
  /** The room id (SHA-256 of the genesis entry). */
  readonly roomId: Uint8Array;
  readonly epoch: number;
  /** Entry hash of the entry that started this epoch (the genesis for epoch 0). */
  readonly head: Uint8Array;
  /** Membership hash that entry carries. */
  readonly membershipHash: Uint8Array;
  /** Group context `ctx_n`: bound into every envelope's AAD and signature in this epoch. */
  readonly context: Uint8Array;
  /** The relay room of this epoch (`R_n`) and its base64url form for relay JSON. */
  readonly relayRoomId: Uint8Array;
  readonly relayRoomIdB64: string;
  /** Raw HMAC key for relay admission (A.3); sent to the relay once, to register `R_n`. */
  readonly admissionKey: Uint8Array;
  /** AES-256-GCM key of the outer layer of every sealed envelope in `R_n` (non-extractable). */
  readonly envelopeKey: CryptoKey;
  /** HMAC-SHA-256 key mapping identity ids to this epoch's member ids (non-extractable). */
  readonly memberIdKey: CryptoKey;
  /** AES-256-GCM key sealing the link state inside the commit that starts this epoch. */
  readonly linkWrapKey: CryptoKey;
}

/** Keys and ids of the lobby of one link secret. Holds secrets. */
export interface LobbyKeys {
  readonly kind: 'lobby';
  /** The lobby's relay room (`R_L`), where newcomers knock, and its base64url form. */
  readonly relayRoomId: Uint8Array;
  readonly relayRoomIdB64: string;
  /** Raw HMAC key for admission to the lobby (A.3). */
  readonly admissionKey: Uint8Array;
  /** AES-256-GCM key of the outer layer of lobby envelopes (non-extractable). */
  readonly lobbyKey: CryptoKey;
}

/** A fresh random epoch secret (every commit makes one). */
export function createEpochSecret(): Uint8Array {
  return randomBytes(EPOCH_SECRET_BYTES);
}

/** A fresh random link secret (room creation, link resets). */
export function createLinkSecret(): Uint8Array {
  return randomBytes(LINK_SECRET_BYTES);
}

/** @internal HKDF-SHA-256(ikm, salt = empty, info) → `length` bytes; `info` is raw bytes. */
export async function hkdfInfo(ikm: Uint8Array, info: Uint8Array, length: number): Promise<Bytes> {
  const base = await subtle().importKey('raw', bytes(ikm), 'HKDF', false, ['deriveBits']);
  const bits = await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: bytes(info) }, base, length * 8);
  return new Uint8Array(bits);
}

function checkEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH) throw new RangeError('epoch must be a u32');
}

/** The raw key material of epoch n (the vectors print it; the client never needs it). */
export interface EpochKeyMaterial {
  relayRoomId: Bytes;
  admissionKey: Bytes;
  envelopeKey: Bytes;
  memberIdKey: Bytes;
  linkWrapKey: Bytes;
}

/** @internal `info(label) = label ‖ roomId ‖ u32(n)`; each value is `HKDF(E_n, info(label), 32)`. */
export async function epochKeyMaterial(roomId: Uint8Array, epoch: number, epochSecret: Uint8Array): Promise<EpochKeyMaterial> {
  if (epochSecret.length !== EPOCH_SECRET_BYTES) throw new RangeError(`epoch secret must be ${EPOCH_SECRET_BYTES} bytes`);
  if (roomId.length !== HASH_BYTES) throw new RangeError(`room id must be ${HASH_BYTES} bytes`);
  checkEpoch(epoch);
  const info = (label: string): Bytes => concat(utf8(label), roomId, u32(epoch));
  const [relayRoomId, admissionKey, envelopeKey, memberIdKey, linkWrapKey] = await Promise.all([
    hkdfInfo(epochSecret, info(LABEL_V2_EPOCH_RELAY_ROOM), RELAY_ROOM_ID_BYTES),
    hkdfInfo(epochSecret, info(LABEL_V2_EPOCH_ADMISSION), ADMISSION_KEY_BYTES),
    hkdfInfo(epochSecret, info(LABEL_V2_EPOCH_ENVELOPE), AES_KEY_BYTES),
    hkdfInfo(epochSecret, info(LABEL_V2_EPOCH_MEMBER_ID), SHA256_BYTES),
    hkdfInfo(epochSecret, info(LABEL_V2_EPOCH_LINK), AES_KEY_BYTES),
  ]);
  return { relayRoomId, admissionKey, envelopeKey, memberIdKey, linkWrapKey };
}

/** `ctx_n = SHA256("sealroom/v2/context" ‖ roomId ‖ u32(n) ‖ head_n ‖ membershipHash_n)`. */
export function groupContext(roomId: Uint8Array, epoch: number, head: Uint8Array, membershipHash: Uint8Array): Promise<Bytes> {
  checkEpoch(epoch);
  if (roomId.length !== HASH_BYTES || head.length !== HASH_BYTES || membershipHash.length !== HASH_BYTES)
    throw new RangeError('room id, head and membership hash must be 32 bytes');
  return sha256(concat(utf8(LABEL_V2_CONTEXT), roomId, u32(epoch), head, membershipHash));
}

/**
 * Derives the keys of epoch `epoch` of a room from its epoch secret, the hash of the entry
 * that started it and the membership hash that entry carries. Throws `RangeError` on
 * lengths that are not 32 bytes or an epoch outside u32.
 */
export async function deriveEpochKeys(
  roomId: Uint8Array,
  epoch: number,
  epochSecret: Uint8Array,
  head: Uint8Array,
  membershipHash: Uint8Array,
): Promise<EpochKeys> {
  const material = await epochKeyMaterial(roomId, epoch, epochSecret);
  const context = await groupContext(roomId, epoch, head, membershipHash);
  return {
    kind: 'epoch',
    roomId: bytes(roomId).slice(),
    epoch,
    head: bytes(head).slice(),
    membershipHash: bytes(membershipHash).slice(),
    context,
    relayRoomId: material.relayRoomId,
    relayRoomIdB64: toBase64Url(material.relayRoomId),
    admissionKey: material.admissionKey,
    envelopeKey: await importAesKey(material.envelopeKey),
    memberIdKey: await importHmacKey(material.memberIdKey, ['sign']),
    linkWrapKey: await importAesKey(material.linkWrapKey),
  };
}

/** The raw key material of a lobby (for vectors). */
export interface LobbyKeyMaterial {
  relayRoomId: Bytes;
  admissionKey: Bytes;
  lobbyKey: Bytes;
}

/** @internal `HKDF(L, label, 32)` for each lobby value. */
export async function lobbyKeyMaterial(linkSecret: Uint8Array): Promise<LobbyKeyMaterial> {
  if (linkSecret.length !== LINK_SECRET_BYTES) throw new RangeError(`link secret must be ${LINK_SECRET_BYTES} bytes`);
  const [relayRoomId, admissionKey, lobbyKey] = await Promise.all([
    hkdfInfo(linkSecret, utf8(LABEL_V2_LINK_RELAY_ROOM), RELAY_ROOM_ID_BYTES),
    hkdfInfo(linkSecret, utf8(LABEL_V2_LINK_ADMISSION), ADMISSION_KEY_BYTES),
    hkdfInfo(linkSecret, utf8(LABEL_V2_LINK_LOBBY), AES_KEY_BYTES),
  ]);
  return { relayRoomId, admissionKey, lobbyKey };
}

/** Derives the lobby keys of a link secret. Throws `RangeError` unless it is 32 bytes. */
export async function deriveLobbyKeys(linkSecret: Uint8Array): Promise<LobbyKeys> {
  const material = await lobbyKeyMaterial(linkSecret);
  return {
    kind: 'lobby',
    relayRoomId: material.relayRoomId,
    relayRoomIdB64: toBase64Url(material.relayRoomId),
    admissionKey: material.admissionKey,
    lobbyKey: await importAesKey(material.lobbyKey),
  };
}

/** One member as the membership hash sees it. */
export interface MembershipEntry {
  /** 32-byte identity id. */
  id: Uint8Array;
  role: Role;
}

/**
 * `SHA256("sealroom/v2/membership" ‖ u16(count) ‖ for each member, sorted by identity id
 * bytewise: I(x) ‖ u8(role))`. The order of `members` does not matter.
 */
export function membershipHash(members: readonly MembershipEntry[]): Promise<Bytes> {
  if (members.length > MAX_ROSTER_MEMBERS) throw new RangeError('too many members');
  const sorted = [...members].sort((a, b) => compareBytes(a.id, b.id));
  const parts: Uint8Array[] = [utf8(LABEL_V2_MEMBERSHIP), u16(sorted.length)];
  for (const member of sorted) {
    if (member.id.length !== HASH_BYTES) throw new RangeError('identity ids are 32 bytes');
    parts.push(member.id, u8(ROLE[member.role]));
  }
  return sha256(concat(...parts));
}
