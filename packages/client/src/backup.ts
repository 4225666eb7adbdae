/**
 * Moving everything (issue 16): a version 2 backup holds the identity with every room this
 * device belongs to — room record, membership log and its secrets — and optionally the
 * history; restoring it writes those records into another browser's storage (or merges them
 * into this one's) so the rooms come back, reconnect and catch up from their cursors.
 *
 * The restored device is the same member (same identity), not a new one:
 * - it never reuses the exporting device's sender-key chain: the restored record carries no
 *   outbound key, so a fresh one is made and distributed before its first message;
 * - commit intents stay with the device that asked for them;
 * - disappearing messages are never written into a backup (the file outlives their timer).
 * Limits (docs/SECURITY.md): what one device sends, the other does not show (a member's own
 * envelopes are skipped in catch-up), and a device restored from an old backup is behind by
 * whatever the relay no longer retains.
 */
import { fromBase64Url, verifyLog, type WrappedIdentity } from '@sealroom/protocol';
import {
  BACKUP_FORMAT,
  BACKUP_VERSION_ROOMS,
  ITEMS_PER_PART,
  newBackupId,
  openPart,
  sealPart,
  type BackupError,
  type BackupFileV2,
  type BackupPart,
} from './backup-format.js';
import { MAX_SEEN_IDS } from './seen-ids.js';
import { KEY_ROOM_INDEX, ROOM_RECORD_VERSION, logKey, roomKey, seqKey, timelinePrefix, type LogRecord, type RoomRecord, type StoredItem } from './records.js';
import type { Vault } from './vault.js';
import type { BackupProgress } from './api.js';

export type OnBackupProgress = (progress: BackupProgress) => void;

/** One room as a backup holds it, once opened and checked. */
export interface BackupRoom {
  record: RoomRecord;
  log: LogRecord;
  items: StoredItem[];
}

/** What a restore did. */
export interface RestoreSummary {
  /** Rooms this device did not have. */
  added: number;
  /** Rooms it had, brought up to date. */
  merged: number;
  /** Timeline items written (items it already had are not written again). */
  items: number;
}

const isDisappearing = (entry: StoredItem) => entry.item.expiresAt !== null;

// ---- export -----------------------------------------------------------------------------------

/** Reads this device's rooms (current format only) from the vault, as the parts of a backup. */
export async function collectParts(vault: Vault, options: { history: boolean; onProgress?: OnBackupProgress }): Promise<BackupPart[]> {
  // Every write issued so far lands first: a stored cursor never runs ahead of stored items.
  await vault.flush();
  const index = (await vault.get<string[]>(KEY_ROOM_INDEX)) ?? [];
  const parts: BackupPart[] = [];
  for (const [done, roomId] of index.entries()) {
    options.onProgress?.({ step: 'collecting', done, total: index.length });
    const record = await vault.get<RoomRecord>(roomKey(roomId));
    const log = await vault.get<LogRecord>(logKey(roomId));
    if (record?.v !== ROOM_RECORD_VERSION || log === undefined) continue;
    // My sender-key chain and my pending commits stay on this device (see above).
    parts.push({ kind: 'room', record: { ...record, outboundKey: null, distributedTo: [], mustRotate: true, commitIntents: [] }, log });
    if (!options.history) continue;
    const keys = (await vault.keys(timelinePrefix(roomId))).sort();
    const stored = await Promise.all(keys.map((key) => vault.get<StoredItem>(key)));
    const items = stored.filter((entry): entry is StoredItem => entry !== undefined && !isDisappearing(entry)).sort((a, b) => a.seq - b.seq);
    for (let at = 0; at < items.length; at += ITEMS_PER_PART) parts.push({ kind: 'items', room: roomId, items: items.slice(at, at + ITEMS_PER_PART) });
  }
  options.onProgress?.({ step: 'collecting', done: index.length, total: index.length });
  return parts;
}

/** The backup file: `identity` already wrapped under the backup password, parts sealed under its storage key. */
export async function sealBackup(options: {
  identity: WrappedIdentity;
  storageKey: CryptoKey;
  parts: BackupPart[];
  history: boolean;
  now: number;
  onProgress?: OnBackupProgress;
}): Promise<string> {
  const backupId = newBackupId();
  const sealed: string[] = [];
  const total = options.parts.length;
  for (const [index, part] of options.parts.entries()) {
    options.onProgress?.({ step: 'sealing', done: index, total });
    sealed.push(await sealPart(options.storageKey, backupId, index, total, part));
  }
  options.onProgress?.({ step: 'sealing', done: total, total });
  const file: BackupFileV2 = {
    format: BACKUP_FORMAT,
    v: BACKUP_VERSION_ROOMS,
    identity: options.identity,
    backupId,
    history: options.history,
    createdAt: Math.floor(options.now),
    parts: sealed,
  };
  return JSON.stringify(file);
}

// ---- import -----------------------------------------------------------------------------------

type Opened = { ok: true; rooms: BackupRoom[] } | { ok: false; error: BackupError };

/**
 * Opens every part and checks it, and verifies each room's membership log from its genesis
 * (the state is recomputed, never taken from the file). Nothing is written.
 */
export async function openBackup(storageKey: CryptoKey, file: BackupFileV2, onProgress?: OnBackupProgress): Promise<Opened> {
  const rooms = new Map<string, BackupRoom>();
  const total = file.parts.length;
  for (let index = 0; index < total; index++) {
    onProgress?.({ step: 'opening', done: index, total });
    const opened = await openPart(storageKey, file, index);
    if (!opened.ok) return opened;
    const part = opened.value;
    if (part.kind === 'room') {
      if (rooms.has(part.record.id)) return bad(`room ${part.record.id} appears twice`);
      const verified = await verifiedLog(part.record.id, part.log);
      if (typeof verified === 'string') return bad(`room ${part.record.name}: ${verified}`);
      rooms.set(part.record.id, { record: part.record, log: verified, items: [] });
    } else {
      const room = rooms.get(part.room);
      if (room === undefined) return bad(`part ${index + 1} holds messages of a room the backup does not hold`);
      room.items.push(...part.items);
    }
  }
  onProgress?.({ step: 'opening', done: total, total });
  return { ok: true, rooms: [...rooms.values()] };
}

const bad = (detail: string): Opened => ({ ok: false, error: { code: 'BAD_CONTENT', detail } });

/** The log with its states recomputed from the entries, or why they do not verify. */
async function verifiedLog(roomId: string, log: LogRecord): Promise<LogRecord | string> {
  if (log.entries.length === 0) return log;
  const id = fromBase64Url(roomId)!;
  const entries = log.entries.map((entry) => fromBase64Url(entry)!);
  const last = await verifyLog(entries, id);
  if (!last.ok) return `its membership log does not verify (${last.code}${last.detail === undefined ? '' : `, ${last.detail}`})`;
  let previousState = null;
  if (entries.length > 1) {
    const before = await verifyLog(entries.slice(0, -1), id);
    if (!before.ok) return `its membership log does not verify (${before.code})`;
    previousState = before.state;
  }
  return { ...log, state: last.state, previousState };
}

/** Which of two copies of a room knows more: the later epoch, then the further cursor. */
function isAhead(candidate: BackupRoom, local: { record: RoomRecord; log: LogRecord | undefined }): boolean {
  const epochs = candidate.log.entries.length - (local.log?.entries.length ?? 0);
  if (epochs !== 0) return epochs > 0;
  return (candidate.record.epochRoom?.cursor ?? 0) > (local.record.epochRoom?.cursor ?? 0);
}

function mergedList(first: string[], second: string[], max: number): string[] {
  return [...new Set([...first, ...second])].slice(-max);
}

/**
 * Writes the rooms into the vault: a room this device lacks is stored as it was; a room it
 * has takes whichever records know more, and gains the items it lacks (merged by item id, so
 * importing a newer backup over older state never shows a message twice). Items whose
 * disappearing timer has run out are dropped. Sessions must be stopped.
 */
export async function restoreRooms(vault: Vault, rooms: BackupRoom[], now: number, onProgress?: OnBackupProgress): Promise<RestoreSummary> {
  const summary: RestoreSummary = { added: 0, merged: 0, items: 0 };
  const index = (await vault.get<string[]>(KEY_ROOM_INDEX)) ?? [];
  const total = rooms.reduce((sum, room) => sum + room.items.length + 1, 0);
  let done = 0;
  const step = (count: number) => onProgress?.({ step: 'restoring', done: (done += count), total });
  onProgress?.({ step: 'restoring', done, total });
  for (const room of rooms) {
    const { id } = room.record;
    const live = room.items.filter((entry) => entry.item.expiresAt === null || entry.item.expiresAt > now);
    const localRecord = await vault.get<RoomRecord | { v: number }>(roomKey(id));
    if (localRecord !== undefined && localRecord.v !== ROOM_RECORD_VERSION) {
      step(room.items.length + 1); // a room of an older format with the same id: left as it is
      continue;
    }
    let record: RoomRecord;
    if (localRecord === undefined) {
      record = room.record;
      const highest = live.reduce((max, entry) => Math.max(max, entry.seq), 0);
      record.nextItemSeq = Math.max(record.nextItemSeq, highest + 1);
      await vault.set(logKey(id), room.log);
      for (let at = 0; at < live.length; at += ITEMS_PER_PART) {
        const batch = live.slice(at, at + ITEMS_PER_PART);
        await Promise.all(batch.map((entry) => vault.set(seqKey(timelinePrefix(id), entry.seq), entry)));
        step(batch.length);
      }
      summary.added++;
      summary.items += live.length;
    } else {
      const local = localRecord as RoomRecord;
      const localLog = await vault.get<LogRecord>(logKey(id));
      const keys = await vault.keys(timelinePrefix(id));
      const held = await Promise.all(keys.map((key) => vault.get<StoredItem>(key)));
      const ids = new Set(held.flatMap((entry) => (entry === undefined ? [] : [entry.item.id])));
      const highest = held.reduce((max, entry) => Math.max(max, entry?.seq ?? 0), 0);
      const ahead = isAhead(room, { record: local, log: localLog });
      record = ahead ? room.record : local;
      record.nextItemSeq = Math.max(local.nextItemSeq, highest + 1);
      record.nextOutboxSeq = Math.max(local.nextOutboxSeq, room.record.nextOutboxSeq);
      record.nextSentSeq = Math.max(local.nextSentSeq, room.record.nextSentSeq);
      record.lastActivityAt = Math.max(local.lastActivityAt, room.record.lastActivityAt);
      record.verified = mergedList(local.verified, room.record.verified, Number.MAX_SAFE_INTEGER);
      record.seen = mergedList(ahead ? local.seen : room.record.seen, record.seen, MAX_SEEN_IDS);
      record.seenControl = mergedList(ahead ? local.seenControl : room.record.seenControl, record.seenControl, MAX_SEEN_IDS);
      if (ahead) await vault.set(logKey(id), room.log);
      for (const entry of live) {
        if (ids.has(entry.item.id)) continue;
        ids.add(entry.item.id);
        const seq = record.nextItemSeq++;
        await vault.set(seqKey(timelinePrefix(id), seq), { seq, item: entry.item });
        summary.items++;
      }
      step(live.length);
      summary.merged++;
    }
    // The log record first: a room record is never ahead of the log it belongs to (records.ts).
    await vault.flush();
    await vault.set(roomKey(id), record);
    if (!index.includes(id)) index.push(id);
    step(room.items.length - live.length + 1);
  }
  await vault.set(KEY_ROOM_INDEX, index);
  await vault.flush();
  return summary;
}
