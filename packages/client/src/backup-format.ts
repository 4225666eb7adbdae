/**
 * The backup file (PROTOCOL.md B.2.1). Version 1 is the password-wrapped identity alone;
 * version 2 adds the rooms — room records, membership logs with their epoch and link secrets,
 * and optionally the history — in parts sealed with the at-rest scheme (B.3) under the
 * storage key the wrapped identity carries. Nothing new is invented: the backup password
 * unwraps the storage key (PBKDF2, AES-GCM, B.2) and the storage key opens the parts
 * (AES-GCM, B.3). Each part's label names the backup, its position and the part count, so
 * parts cannot be reordered, dropped, or spliced in from another backup of the same identity.
 *
 * Decoding is total: a hostile or truncated file is a {@link BackupError} naming what is
 * wrong, never an exception, and nothing is written before every part has been read.
 */
import { MIB } from '@sealroom/units';
import { fromBase64Url, fromUtf8, openAtRest, randomBytes, readWrappedIdentity, sealAtRest, toBase64Url, utf8, type WrappedIdentity } from '@sealroom/protocol';
import { BackupShapeError, b64, int, list, obj, readLogRecord, readRoomRecord, readStoredItem } from './backup-shapes.js';
import type { LogRecord, RoomRecord, StoredItem } from './records.js';

export const BACKUP_FORMAT = 'sealroom-backup';
/** The identity only (what every earlier version wrote); still imported. */
export const BACKUP_VERSION_KEYS = 1;
/** The identity with its rooms, their secrets and (optionally) history. */
export const BACKUP_VERSION_ROOMS = 2;
/** Largest backup file read, bytes: far above 10,000 messages (about 5 MiB), below what a tab can hold twice. */
export const MAX_BACKUP_BYTES = 256 * MIB;
/** Largest sealed part, base64url characters. A part holds one room's records or {@link ITEMS_PER_PART} items. */
export const MAX_PART_CHARS = 32 * MIB;
/** Most parts in one file. */
export const MAX_BACKUP_PARTS = 200_000;
/** Timeline items per part: a unit of progress, and a bound on what one part may hold. */
export const ITEMS_PER_PART = 500;
/** Random id of one backup, bound into every part's label. */
const BACKUP_ID_BYTES = 16;
const BACKUP_ID_CHARS = 22;

/** The outer JSON of a version 2 file. */
export interface BackupFileV2 {
  format: typeof BACKUP_FORMAT;
  v: typeof BACKUP_VERSION_ROOMS;
  identity: WrappedIdentity;
  /** 16 random bytes, base64url. */
  backupId: string;
  /** Whether the timeline items were included. */
  history: boolean;
  /** Epoch ms when made (display only). */
  createdAt: number;
  /** Sealed parts, base64url, in order. */
  parts: string[];
}

/** What one part holds once opened: a room (its records), or a slice of a room's timeline. */
export type BackupPart = { kind: 'room'; record: RoomRecord; log: LogRecord } | { kind: 'items'; room: string; items: StoredItem[] };

export type BackupErrorCode =
  | 'TOO_LARGE'
  | 'NOT_JSON'
  | 'NOT_A_BACKUP'
  | 'UNKNOWN_VERSION'
  /** A part fails to open under the key the password gave: altered, truncated, reordered. */
  | 'DAMAGED'
  /** A part opens but holds something that is not a room or timeline. */
  | 'BAD_CONTENT';

export interface BackupError {
  code: BackupErrorCode;
  /** For people: what is wrong and where, never secret material. */
  detail: string;
}

type Decoded<T> = { ok: true; value: T } | { ok: false; error: BackupError };
const refuse = (code: BackupErrorCode, detail: string) => ({ ok: false, error: { code, detail } }) as const;

/** The outer file, read and checked without the password. */
export type OuterBackup = { v: typeof BACKUP_VERSION_KEYS; text: string } | { v: typeof BACKUP_VERSION_ROOMS; file: BackupFileV2 };

export function readOuterBackup(bytes: Uint8Array): Decoded<OuterBackup> {
  if (bytes.length > MAX_BACKUP_BYTES) return refuse('TOO_LARGE', `the file is larger than ${MAX_BACKUP_BYTES / MIB} MiB`);
  const text = fromUtf8(bytes);
  if (text === undefined) return refuse('NOT_JSON', 'the file is not text (UTF-8)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return refuse('NOT_JSON', 'the file is not complete JSON (truncated or not a backup)');
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { format?: unknown }).format !== BACKUP_FORMAT) {
    return refuse('NOT_A_BACKUP', 'the file is not a Sealroom backup');
  }
  const file = parsed as Record<string, unknown>;
  if (file.v === BACKUP_VERSION_KEYS) return { ok: true, value: { v: BACKUP_VERSION_KEYS, text } };
  if (file.v !== BACKUP_VERSION_ROOMS) return refuse('UNKNOWN_VERSION', `backup version ${String(file.v)} is not known to this version of Sealroom`);
  const identity = readWrappedIdentity(file.identity);
  if (!identity.ok) return refuse('NOT_A_BACKUP', `the identity in the backup is unreadable (${identity.code})`);
  try {
    const value: BackupFileV2 = {
      format: BACKUP_FORMAT,
      v: BACKUP_VERSION_ROOMS,
      identity: identity.wrapped,
      backupId: b64(file.backupId, 'backupId', BACKUP_ID_CHARS),
      history: typeof file.history === 'boolean' ? file.history : fieldError('history'),
      createdAt: int(file.createdAt, 'createdAt'),
      parts: list(file.parts, 'parts', (v, p) => (typeof v === 'string' && v.length <= MAX_PART_CHARS ? b64(v, p) : fieldError(p)), MAX_BACKUP_PARTS),
    };
    return { ok: true, value: { v: BACKUP_VERSION_ROOMS, file: value } };
  } catch (error) {
    if (error instanceof BackupShapeError) return refuse('NOT_A_BACKUP', `the backup's ${error.path} is malformed`);
    throw error;
  }
}

function fieldError(path: string): never {
  throw new BackupShapeError(path);
}

const partLabel = (backupId: string, index: number, count: number) => `sealroom-backup/v2/${backupId}/${index}/${count}`;

export function newBackupId(): string {
  return toBase64Url(randomBytes(BACKUP_ID_BYTES));
}

/** Seals one part (as JSON) under the storage key, bound to its place in the file. */
export async function sealPart(storageKey: CryptoKey, backupId: string, index: number, count: number, part: BackupPart): Promise<string> {
  return toBase64Url(await sealAtRest(storageKey, partLabel(backupId, index, count), utf8(JSON.stringify(part))));
}

/** Opens and checks part `index`. `DAMAGED` when it does not authenticate, `BAD_CONTENT` when its content is not what a part holds. */
export async function openPart(storageKey: CryptoKey, file: BackupFileV2, index: number): Promise<Decoded<BackupPart>> {
  const where = `part ${index + 1} of ${file.parts.length}`;
  const sealed = fromBase64Url(file.parts[index]!);
  const opened = sealed === undefined ? undefined : await openAtRest(storageKey, partLabel(file.backupId, index, file.parts.length), sealed);
  if (opened === undefined || !opened.ok) return refuse('DAMAGED', `${where} is damaged or was altered`);
  const text = fromUtf8(opened.plaintext);
  let json: unknown;
  try {
    json = JSON.parse(text ?? '');
  } catch {
    return refuse('BAD_CONTENT', `${where} is not JSON`);
  }
  try {
    return { ok: true, value: readPart(json) };
  } catch (error) {
    if (error instanceof BackupShapeError) return refuse('BAD_CONTENT', `${where}: ${error.message}`);
    throw error;
  }
}

/** Checks an opened part's content. Throws {@link BackupShapeError}. */
export function readPart(json: unknown): BackupPart {
  const part = obj(json, 'part');
  if (part.kind === 'room') {
    const record = readRoomRecord(part.record, 'record');
    return { kind: 'room', record, log: readLogRecord(part.log, 'log') };
  }
  if (part.kind === 'items') {
    const room = b64(part.room, 'room');
    return { kind: 'items', room, items: list(part.items, 'items', (v, p) => readStoredItem(v, p, room), ITEMS_PER_PART) };
  }
  throw new BackupShapeError('kind');
}
