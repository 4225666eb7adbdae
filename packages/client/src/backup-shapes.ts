/**
 * Shape checks for what a backup file carries once opened (backup-format.ts): room records,
 * log records and timeline items. A backup is sealed under a key only its password opens,
 * but whoever made the file chose every byte of it, so each record is checked field by field
 * and rebuilt from the checked fields (never copied wholesale) before it reaches storage. A
 * failure names the path of the first bad field.
 */
import type { PublicIdentityJson, SenderKeyRing } from '@sealroom/protocol';
import type { LogRecord, RoomRecord, StoredItem } from './records.js';
import { ROOM_RECORD_VERSION } from './records.js';

/** A field that failed its check; `path` says which (`rooms[2].record.epochRoom.cursor`). */
export class BackupShapeError extends Error {
  constructor(readonly path: string) {
    super(`unexpected value at ${path}`);
  }
}

/** Longest string field taken from a backup, in characters (a message body is far below). */
const MAX_STRING_CHARS = 1 << 20;
/** Longest URL, characters (as invites accept). */
const MAX_URL_CHARS = 2_048;
/** Longest display or room name, characters (128 UTF-8 bytes is at most 128 characters). */
const MAX_NAME_CHARS = 256;
/** Longest list in a record (seen ids, members, keys), entries. */
const MAX_LIST_ENTRIES = 100_000;
/** Base64url of 32 bytes: room ids, identity ids, chain keys. */
const B64_OF_32_BYTES_CHARS = 43;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

type Obj = Record<string, unknown>;

export function obj(value: unknown, path: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BackupShapeError(path);
  return value as Obj;
}

export function str(value: unknown, path: string, max = MAX_STRING_CHARS): string {
  if (typeof value !== 'string' || value.length > max) throw new BackupShapeError(path);
  return value;
}

export function b64(value: unknown, path: string, exactChars?: number): string {
  const text = str(value, path);
  if (!BASE64URL.test(text) || (exactChars !== undefined && text.length !== exactChars)) throw new BackupShapeError(path);
  return text;
}

export function int(value: unknown, path: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new BackupShapeError(path);
  return value;
}

function time(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new BackupShapeError(path);
  return value;
}

function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new BackupShapeError(path);
  return value;
}

function nullable<T>(value: unknown, path: string, read: (v: unknown, p: string) => T): T | null {
  return value === null ? null : read(value, path);
}

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new BackupShapeError(path);
  return value as T;
}

export function list<T>(value: unknown, path: string, read: (v: unknown, p: string) => T, max = MAX_LIST_ENTRIES): T[] {
  if (!Array.isArray(value) || value.length > max) throw new BackupShapeError(path);
  return value.map((entry, i) => read(entry, `${path}[${i}]`));
}

const strings = (value: unknown, path: string) => list(value, path, (v, p) => str(v, p));

function url(value: unknown, path: string, schemes: readonly string[]): string {
  const text = str(value, path, MAX_URL_CHARS);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new BackupShapeError(path);
  }
  if (!schemes.includes(parsed.protocol)) throw new BackupShapeError(path);
  return text;
}

function relayCursor(value: unknown, path: string) {
  const o = obj(value, path);
  const cursor = { room: b64(o.room, `${path}.room`), cursor: int(o.cursor, `${path}.cursor`) };
  return o.relayEpoch === undefined ? cursor : { ...cursor, relayEpoch: str(o.relayEpoch, `${path}.relayEpoch`, MAX_NAME_CHARS) };
}

function epochCursor(value: unknown, path: string) {
  const o = obj(value, path);
  return { ...relayCursor(value, path), epoch: int(o.epoch, `${path}.epoch`), joinCursor: int(o.joinCursor, `${path}.joinCursor`) };
}

function pair<A, B>(value: unknown, path: string, first: (v: unknown, p: string) => A, second: (v: unknown, p: string) => B): [A, B] {
  const [a, b, ...rest] = list(value, path, (v) => v, 2);
  if (rest.length > 0) throw new BackupShapeError(path);
  return [first(a, `${path}[0]`), second(b, `${path}[1]`)];
}

/** The sender keys I received: the chains that open what members send (PROTOCOL C.5). */
function readRing(value: unknown, path: string): SenderKeyRing {
  const o = obj(value, path);
  if (o.v !== 1) throw new BackupShapeError(`${path}.v`);
  const keys = list(o.keys, `${path}.keys`, (v, p) => {
    const k = obj(v, p);
    return {
      sender: b64(k.sender, `${p}.sender`, B64_OF_32_BYTES_CHARS),
      keyId: int(k.keyId, `${p}.keyId`),
      chainKey: b64(k.chainKey, `${p}.chainKey`, B64_OF_32_BYTES_CHARS),
      next: int(k.next, `${p}.next`),
      first: int(k.first, `${p}.first`),
      skipped: list(k.skipped, `${p}.skipped`, (s, q) => pair(s, q, int, (x, r) => b64(x, r))),
      seen: strings(k.seen, `${p}.seen`),
    };
  });
  if (o.retired === undefined) return { v: 1, keys };
  return { v: 1, keys, retired: list(o.retired, `${path}.retired`, (r, q) => pair(r, q, (x, t) => str(x, t, MAX_NAME_CHARS), int)) };
}

/**
 * A room record as restored: the fields I act on are checked, and the device-local parts are
 * reset — no sender key (a fresh one is made and distributed before the next message, so two
 * devices never advance one chain), no commit intents (the exporting device commits its own).
 */
export function readRoomRecord(value: unknown, path: string): RoomRecord {
  const o = obj(value, path);
  if (o.v !== ROOM_RECORD_VERSION) throw new BackupShapeError(`${path}.v`);
  const previous = o.previousRoom === null ? null : obj(o.previousRoom, `${path}.previousRoom`);
  const knock = o.knock === null ? null : obj(o.knock, `${path}.knock`);
  const memberSince: Record<string, number> = {};
  for (const [id, at] of Object.entries(obj(o.memberSince, `${path}.memberSince`)).slice(0, MAX_LIST_ENTRIES)) {
    if (b64(id, `${path}.memberSince`, B64_OF_32_BYTES_CHARS) === id) memberSince[id] = time(at, `${path}.memberSince.${id}`);
  }
  return {
    v: ROOM_RECORD_VERSION,
    id: b64(o.id, `${path}.id`, B64_OF_32_BYTES_CHARS),
    relayUrl: url(o.relayUrl, `${path}.relayUrl`, ['ws:', 'wss:']),
    appUrl: url(o.appUrl, `${path}.appUrl`, ['http:', 'https:']),
    name: str(o.name, `${path}.name`, MAX_NAME_CHARS),
    status: oneOf(o.status, `${path}.status`, ['knocking', 'member', 'left', 'removed'] as const),
    removedBy: nullable(o.removedBy, `${path}.removedBy`, (v, p) => b64(v, p, B64_OF_32_BYTES_CHARS)),
    joinedAt: time(o.joinedAt, `${path}.joinedAt`),
    lastActivityAt: time(o.lastActivityAt, `${path}.lastActivityAt`),
    disappearingMs: nullable(o.disappearingMs, `${path}.disappearingMs`, (v, p) => int(v, p, 1)),
    epochRoom: nullable(o.epochRoom, `${path}.epochRoom`, epochCursor),
    previousRoom:
      previous === null
        ? null
        : { ...epochCursor(previous, `${path}.previousRoom`), commitCursor: int(previous.commitCursor, `${path}.previousRoom.commitCursor`) },
    lobbies: list(o.lobbies, `${path}.lobbies`, relayCursor),
    knock:
      knock === null
        ? null
        : {
            knockIds: strings(knock.knockIds, `${path}.knock.knockIds`),
            lobby: relayCursor(knock.lobby, `${path}.knock.lobby`),
            declined: nullable(knock.declined, `${path}.knock.declined`, (v, p) => oneOf(v, p, ['declined', 'link-expired', 'link-used'] as const)),
          },
    handledKnocks: strings(o.handledKnocks, `${path}.handledKnocks`),
    pendingKnocks: list(o.pendingKnocks, `${path}.pendingKnocks`, (v, p) => {
      const k = obj(v, p);
      return {
        knockId: str(k.knockId, `${p}.knockId`, MAX_NAME_CHARS),
        lobby: b64(k.lobby, `${p}.lobby`),
        identityId: b64(k.identityId, `${p}.identityId`, B64_OF_32_BYTES_CHARS),
        identity: obj(k.identity, `${p}.identity`) as unknown as PublicIdentityJson,
        at: time(k.at, `${p}.at`),
      };
    }),
    pendingLeaves: list(o.pendingLeaves, `${path}.pendingLeaves`, (v, p) => {
      const l = obj(v, p);
      return { member: b64(l.member, `${p}.member`, B64_OF_32_BYTES_CHARS), proposal: b64(l.proposal, `${p}.proposal`) };
    }),
    commitIntents: [],
    outboundKey: null,
    mustRotate: true,
    distributedTo: [],
    ring: readRing(o.ring, `${path}.ring`),
    verified: list(o.verified, `${path}.verified`, (v, p) => b64(v, p, B64_OF_32_BYTES_CHARS)),
    formerlyVerified: list(o.formerlyVerified, `${path}.formerlyVerified`, (v, p) => {
      const f = obj(v, p);
      return { id: b64(f.id, `${p}.id`, B64_OF_32_BYTES_CHARS), name: str(f.name, `${p}.name`, MAX_NAME_CHARS) };
    }),
    seen: strings(o.seen, `${path}.seen`),
    seenControl: strings(o.seenControl, `${path}.seenControl`),
    staleNoted: strings(o.staleNoted, `${path}.staleNoted`),
    formerLinks: strings(o.formerLinks, `${path}.formerLinks`),
    memberSince,
    nextItemSeq: int(o.nextItemSeq, `${path}.nextItemSeq`, 1),
    nextOutboxSeq: int(o.nextOutboxSeq, `${path}.nextOutboxSeq`, 1),
    nextSentSeq: int(o.nextSentSeq, `${path}.nextSentSeq`, 1),
  };
}

/**
 * A log record as restored. `state` and `previousState` are not taken from the file: the
 * restore recomputes them by verifying the entries from the genesis (backup.ts).
 */
export function readLogRecord(value: unknown, path: string): LogRecord {
  const o = obj(value, path);
  if (o.v !== ROOM_RECORD_VERSION) throw new BackupShapeError(`${path}.v`);
  const secret = (v: unknown, p: string) => nullable(v, p, (s, q) => b64(s, q));
  return {
    v: ROOM_RECORD_VERSION,
    entries: list(o.entries, `${path}.entries`, (v, p) => b64(v, p)),
    state: null,
    previousState: null,
    secrets: secret(o.secrets, `${path}.secrets`),
    epochSecret: secret(o.epochSecret, `${path}.epochSecret`),
    previousEpochSecret: secret(o.previousEpochSecret, `${path}.previousEpochSecret`),
    linkSecret: secret(o.linkSecret, `${path}.linkSecret`),
    oldLinks: list(o.oldLinks, `${path}.oldLinks`, (v, p) => {
      const l = obj(v, p);
      return { lobby: b64(l.lobby, `${p}.lobby`), linkSecret: b64(l.linkSecret, `${p}.linkSecret`) };
    }),
  };
}

const DELIVERY = ['pending', 'sent', 'received'] as const;
const TRANSFER = ['offered', 'accepted', 'declined', 'transferring', 'complete', 'failed'] as const;

/** Most distinct emoji on one message a backup may carry (each member has at most 16; C.11). */
const MAX_REACTION_EMOJI = 1_024;
/** Longest emoji key, in characters (the payload allows 64 bytes; C.11). */
const MAX_EMOJI_CHARS = 64;

const identity = (v: unknown, q: string) => b64(v, q, B64_OF_32_BYTES_CHARS);
const identities = (v: unknown, q: string) => list(v, q, identity);

/** Present only when set: an optional field of an item, checked by `read`. */
function optional<T>(value: unknown, path: string, read: (v: unknown, p: string) => T): T | undefined {
  return value === undefined ? undefined : read(value, path);
}

function reactions(value: unknown, path: string): Record<string, string[]> {
  const entries = Object.entries(obj(value, path));
  if (entries.length > MAX_REACTION_EMOJI) throw new BackupShapeError(path);
  return Object.fromEntries(entries.map(([emoji, who]) => [str(emoji, path, MAX_EMOJI_CHARS), identities(who, `${path}.${emoji}`)]));
}

function receipts(value: unknown, path: string): { audience: string[]; delivered: string[]; read: string[] } {
  const o = obj(value, path);
  return {
    audience: identities(o.audience, `${path}.audience`),
    delivered: identities(o.delivered, `${path}.delivered`),
    read: identities(o.read, `${path}.read`),
  };
}

/** What replies, edits, deletes, reactions and receipts leave on a message (C.11, C.12), each checked; absent ones stay absent. */
function actionFields(item: Obj, p: string): Obj {
  const fields: Obj = {
    replyTo: optional(item.replyTo, `${p}.replyTo`, (v, q) => str(v, q, MAX_NAME_CHARS)),
    editedAt: optional(item.editedAt, `${p}.editedAt`, time),
    deleted: optional(item.deleted, `${p}.deleted`, bool),
    reactions: optional(item.reactions, `${p}.reactions`, reactions),
    receipts: optional(item.receipts, `${p}.receipts`, receipts),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/**
 * A timeline item of room `roomId`. The fields every item has and those the app renders are
 * checked (replies, edits, deletes, reactions and receipts too); fields added by later
 * versions pass through as data, still bounded by the part size, and are only ever rendered
 * as text.
 */
export function readStoredItem(value: unknown, path: string, roomId: string): StoredItem {
  const o = obj(value, path);
  const item = obj(o.item, `${path}.item`);
  const p = `${path}.item`;
  const base = {
    ...item,
    id: str(item.id, `${p}.id`, MAX_NAME_CHARS),
    roomId,
    sentAt: time(item.sentAt, `${p}.sentAt`),
    receivedAt: time(item.receivedAt, `${p}.receivedAt`),
    expiresAt: nullable(item.expiresAt, `${p}.expiresAt`, time),
  };
  const kind = oneOf(item.kind, `${p}.kind`, ['text', 'file', 'system'] as const);
  const seq = int(o.seq, `${path}.seq`, 1);
  if (kind === 'system') {
    const event = obj(item.event, `${p}.event`);
    str(event.type, `${p}.event.type`, MAX_NAME_CHARS);
    return { seq, item: { ...base, kind, event: event as never } };
  }
  const author = {
    ...actionFields(item, p),
    sender: identity(item.sender, `${p}.sender`),
    senderName: str(item.senderName, `${p}.senderName`, MAX_NAME_CHARS),
    state: oneOf(item.state, `${p}.state`, DELIVERY),
  };
  if (kind === 'text') {
    return {
      seq,
      item: {
        ...base,
        ...author,
        kind,
        text: str(item.text, `${p}.text`),
        mentions: identities(item.mentions, `${p}.mentions`),
        mentionsMe: bool(item.mentionsMe, `${p}.mentionsMe`),
        directTo: nullable(item.directTo, `${p}.directTo`, identity),
      },
    };
  }
  const file = obj(item.file, `${p}.file`);
  return {
    seq,
    item: {
      ...base,
      ...author,
      kind,
      file: {
        fileId: str(file.fileId, `${p}.file.fileId`, MAX_NAME_CHARS),
        name: str(file.name, `${p}.file.name`, MAX_URL_CHARS),
        size: int(file.size, `${p}.file.size`),
        mimeType: str(file.mimeType, `${p}.file.mimeType`, MAX_NAME_CHARS),
        sha256: nullable(file.sha256, `${p}.file.sha256`, (v, q) => str(v, q, MAX_NAME_CHARS)),
      },
      transfer: oneOf(item.transfer, `${p}.transfer`, TRANSFER),
    },
  };
}
