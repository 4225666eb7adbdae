/**
 * Checks on fields of untrusted JSON control messages. Each accepts exactly one
 * spelling of a value (canonical base64url), so one room or key never has two names.
 */
import type { RoomKey } from './store.js';
import { MAX_CURSOR, ROOM_ID_BASE64URL_CHARS } from './wire.js';

/** A parsed JSON control message (docs/PROTOCOL.md A.4). */
export type Json = Record<string, unknown>;

const BASE64URL_PATTERN = /^[A-Za-z0-9_-]+$/;

/** A canonical base64url room id of exactly 32 bytes (one string per room). */
export function isRoomKey(value: unknown): value is RoomKey {
  return (
    typeof value === 'string' &&
    value.length === ROOM_ID_BASE64URL_CHARS &&
    BASE64URL_PATTERN.test(value) &&
    Buffer.from(value, 'base64url').toString('base64url') === value
  );
}

/** The message's `room` when it is a valid room id. */
export function roomField(msg: Json): RoomKey | undefined {
  return isRoomKey(msg.room) ? msg.room : undefined;
}

/** Decodes canonical base64url of exactly `length` bytes; undefined if absent, null if bad. */
export function decodeFixed(value: unknown, length: number): Buffer | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !BASE64URL_PATTERN.test(value)) return null;
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length !== length || bytes.toString('base64url') !== value) return null;
  return bytes;
}

export function isCursor(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_CURSOR;
}
