/**
 * Entries of the membership log (PROTOCOL.md B.8): encoding, structural decoding, the entry
 * hash that chains them, the room id that names the log by its genesis, and the author's
 * signature.
 *
 *   entry = u8(2) ‖ roomId(32) ‖ u32(k) ‖ prev(32) ‖ author(32) ‖ u8(action) ‖ vec32(body)
 *         ‖ membershipHash(32) ‖ secretsHash(32) ‖ vec16(PSS(author, "sealroom/v2/entry" ‖ every byte before))
 *   entryHash = SHA256("sealroom/v2/entry-hash" ‖ entry)
 *   roomId    = SHA256("sealroom/v2/room-id" ‖ genesis entry)
 */
import { IDENTITY_ID_BYTES, MAX_SIGNATURE_BYTES, MIN_SIGNATURE_BYTES } from './constants.js';
import {
  HASH_BYTES,
  LABEL_V2_ENTRY,
  LABEL_V2_ENTRY_HASH,
  LABEL_V2_ROOM_ID,
  LOG_ACTION,
  MAX_ACTION_BODY_BYTES,
  MAX_ENTRY_BYTES,
  PROTOCOL_VERSION,
} from './constants-v2.js';
import { Reader, concat, u16, u32, u8, utf8, type Bytes } from './bytes.js';
import { fail, type LogErrorCode, type Result } from './errors.js';
import type { LocalIdentity, PublicIdentity } from './identity.js';
import { decodeActionBody, encodeActionBody, type LogAction } from './log-actions.js';
import { pssSign, pssVerify, sha256 } from './webcrypto.js';

/** The fields of an entry before it is signed. */
export interface EntryFields {
  /** The room id; 32 zero bytes in the genesis (the room id is its hash). */
  roomId: Uint8Array;
  /** The epoch this entry starts (0 for the genesis). */
  epoch: number;
  /** Entry hash of the previous entry; zero bytes in the genesis. */
  prev: Uint8Array;
  /** Identity id of the signer. */
  author: Uint8Array;
  action: LogAction;
  /** Membership hash of the roster after this entry. */
  membershipHash: Uint8Array;
  /** SHA-256 of the secrets part delivered with the commit; zero bytes in the genesis. */
  secretsHash: Uint8Array;
}

/** A structurally valid entry; nothing in it is verified yet. */
export interface LogEntry extends EntryFields {
  /** The whole entry as received. */
  bytes: Bytes;
  /** Every byte before the signature's length prefix: what the signature covers after its label. */
  signed: Bytes;
  signature: Bytes;
}

/** 32 zero bytes: the genesis's room id, prev and secrets hash. */
export const ZERO_HASH: Uint8Array = new Uint8Array(HASH_BYTES);

/** The bytes an entry's signature covers (after the label): everything before `vec16(signature)`. */
export function encodeUnsignedEntry(fields: EntryFields): Bytes {
  const { roomId, prev, author, membershipHash, secretsHash } = fields;
  if ([roomId, prev, membershipHash, secretsHash].some((h) => h.length !== HASH_BYTES) || author.length !== IDENTITY_ID_BYTES) {
    throw new RangeError('entry hashes and ids are 32 bytes');
  }
  const body = encodeActionBody(fields.action);
  return concat(
    u8(PROTOCOL_VERSION),
    roomId,
    u32(fields.epoch),
    prev,
    author,
    u8(LOG_ACTION[fields.action.kind]),
    u32(body.length),
    body,
    membershipHash,
    secretsHash,
  );
}

/** Signs an entry with my signing key and returns its bytes. */
export async function signEntry(me: LocalIdentity, fields: EntryFields): Promise<Bytes> {
  const unsigned = encodeUnsignedEntry(fields);
  const signature = await pssSign(me.signingKey, concat(utf8(LABEL_V2_ENTRY), unsigned));
  return concat(unsigned, u16(signature.length), signature);
}

/** Whether the entry's signature verifies under `author` (its length is checked by the caller). */
export function verifyEntrySignature(author: PublicIdentity, entry: LogEntry): Promise<boolean> {
  return pssVerify(author.verifyKey, entry.signature, concat(utf8(LABEL_V2_ENTRY), entry.signed));
}

/**
 * Structural decoding: version (`BAD_VERSION`), every field present with exact lengths and
 * nothing after the signature (`BAD_LENGTH`), a known action (`BAD_ACTION`) whose body has
 * its exact layout (`BAD_LENGTH`). Never throws.
 */
export function decodeEntry(data: Uint8Array): Result<{ entry: LogEntry }, LogErrorCode> {
  if (!(data instanceof Uint8Array) || data.length === 0) return fail('BAD_LENGTH');
  if (data[0] !== PROTOCOL_VERSION) return fail('BAD_VERSION');
  if (data.length > MAX_ENTRY_BYTES) return fail('BAD_LENGTH', 'entry too long');
  const r = new Reader(data);
  r.u8();
  const roomId = r.take(HASH_BYTES);
  const epoch = r.u32();
  const prev = r.take(HASH_BYTES);
  const author = r.take(IDENTITY_ID_BYTES);
  const actionByte = r.u8();
  const body = r.vec32(MAX_ACTION_BODY_BYTES);
  const membershipHash = r.take(HASH_BYTES);
  const secretsHash = r.take(HASH_BYTES);
  const signedEnd = r.offset;
  const signature = r.vec16(MAX_SIGNATURE_BYTES);
  if (
    roomId === undefined ||
    epoch === undefined ||
    prev === undefined ||
    author === undefined ||
    actionByte === undefined ||
    body === undefined ||
    membershipHash === undefined ||
    secretsHash === undefined ||
    signature === undefined ||
    signature.length < MIN_SIGNATURE_BYTES ||
    r.remaining !== 0
  ) {
    return fail('BAD_LENGTH');
  }
  const decoded = decodeActionBody(actionByte, body);
  if (!decoded.ok) return decoded;
  const bytes = data.slice();
  return {
    ok: true,
    entry: { roomId, epoch, prev, author, action: decoded.action, membershipHash, secretsHash, bytes, signed: bytes.slice(0, signedEnd), signature },
  };
}

/** `SHA256("sealroom/v2/entry-hash" ‖ entry)`: the whole entry, signature included. */
export function entryHash(entry: Uint8Array): Promise<Bytes> {
  return sha256(concat(utf8(LABEL_V2_ENTRY_HASH), entry));
}

/** `SHA256("sealroom/v2/room-id" ‖ genesis entry)`. */
export function roomIdOf(genesis: Uint8Array): Promise<Bytes> {
  return sha256(concat(utf8(LABEL_V2_ROOM_ID), genesis));
}
