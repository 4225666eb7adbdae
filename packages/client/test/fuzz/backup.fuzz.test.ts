/**
 * Fuzz targets for backup files (issue 16, PROTOCOL.md B.2.1): the outer JSON (read before
 * any password), the sealed parts (a mutation of one is refused, never read as something
 * else), and what an opened part holds (a hostile but well-sealed file: every record is
 * checked field by field). Each decoder refuses with one of its codes or a shape error naming
 * the field, and never throws anything else.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url, utf8 } from '@sealroom/protocol';
import { openPart, readOuterBackup, readPart, sealPart, type BackupErrorCode, type BackupFileV2, type BackupPart } from '../../src/backup-format.js';
import { BackupShapeError } from '../../src/backup-shapes.js';
import { newLogRecord, newRoomRecord, type StoredItem } from '../../src/records.js';

const STORAGE_KEY_BYTES = 32;
const ROOM_ID = toBase64Url(new Uint8Array(32).fill(7));
const MEMBER_ID = toBase64Url(new Uint8Array(32).fill(9));
const OUTER_CODES: readonly BackupErrorCode[] = ['TOO_LARGE', 'NOT_JSON', 'NOT_A_BACKUP', 'UNKNOWN_VERSION'];
const PART_CODES: readonly BackupErrorCode[] = ['DAMAGED', 'BAD_CONTENT'];

const roomPart = (): BackupPart => ({
  kind: 'room',
  record: { ...newRoomRecord({ id: ROOM_ID, relayUrl: 'wss://relay.example/ws', appUrl: 'https://chat.example/', name: 'Fuzz', now: 1 }), mustRotate: true },
  log: newLogRecord(),
});
const item = (n: number): StoredItem => ({
  seq: n,
  item: {
    kind: 'text',
    id: `m${n}`,
    roomId: ROOM_ID,
    sentAt: n,
    receivedAt: n,
    expiresAt: null,
    sender: MEMBER_ID,
    senderName: 'Bob',
    text: `message ${n}`,
    mentions: [],
    mentionsMe: false,
    directTo: null,
    state: 'received',
  },
});
const itemsPart = (): BackupPart => ({ kind: 'items', room: ROOM_ID, items: [item(1), item(2)] });

/** Replaces the value at a random path of a JSON tree with an arbitrary one. */
function mutateJson(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  if (entries.length === 0) return replacement;
  const [key, child] = entries[path[0]! % entries.length]!;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...(value as object) };
  (copy as Record<string, unknown>)[key] = mutateJson(child, path.slice(1), replacement);
  return copy;
}

const hostileValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom('__proto__', 'constructor', -1, 1e308, Number.MAX_SAFE_INTEGER + 2, '', 'x'.repeat(300), null, [], {}),
);

describe('backup outer file', () => {
  it('is total on arbitrary bytes and JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.jsonValue().map((v) => utf8(JSON.stringify({ format: 'sealroom-backup', v: 2, ...(v as object) }))),
        ),
        (bytes) => {
          const read = readOuterBackup(bytes);
          if (!read.ok) expect(OUTER_CODES).toContain(read.error.code);
        },
      ),
    );
  });
});

describe('backup parts', () => {
  let storageKey: CryptoKey;
  let file: BackupFileV2;

  beforeAll(async () => {
    storageKey = await crypto.subtle.importKey('raw', new Uint8Array(STORAGE_KEY_BYTES).fill(0x42), 'AES-GCM', false, ['encrypt', 'decrypt']);
    const backupId = toBase64Url(new Uint8Array(16).fill(1));
    const parts = [roomPart(), itemsPart()];
    const sealed = await Promise.all(parts.map((part, index) => sealPart(storageKey, backupId, index, parts.length, part)));
    file = { format: 'sealroom-backup', v: 2, identity: {} as BackupFileV2['identity'], backupId, history: true, createdAt: 0, parts: sealed };
  });

  it('opens what was sealed, and refuses any change to a sealed part', async () => {
    expect((await openPart(storageKey, file, 1)).ok).toBe(true);
    await fc.assert(
      fc.asyncProperty(fc.nat(1), fc.nat(), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), async (index, at, char) => {
        const original = file.parts[index]!;
        const position = at % original.length;
        const changed = `${original.slice(0, position)}${char}${original.slice(position + 1)}`;
        const opened = await openPart(storageKey, { ...file, parts: file.parts.map((p, i) => (i === index ? changed : p)) }, index);
        // Base64url's last character may carry padding bits the decoder ignores.
        if (changed === original || position === original.length - 1) return;
        expect(opened.ok).toBe(false);
        if (!opened.ok) expect(PART_CODES).toContain(opened.error.code);
      }),
    );
  });

  it('checks what a well-sealed part holds: a shape error naming the field, or a part made only of checked fields', () => {
    fc.assert(
      fc.property(fc.constantFrom(roomPart, itemsPart), fc.array(fc.nat(), { maxLength: 6 }), hostileValue, (make, path, replacement) => {
        const hostile = mutateJson(JSON.parse(JSON.stringify(make())), path, replacement);
        let part: BackupPart;
        try {
          part = readPart(hostile);
        } catch (error) {
          expect(error).toBeInstanceOf(BackupShapeError);
          return;
        }
        // Accepted: nothing outside the known shape became a prototype, and device-local state is reset.
        expect(Object.getPrototypeOf(part)).toBe(Object.prototype);
        if (part.kind === 'room') {
          expect(part.record.outboundKey).toBeNull();
          expect(part.record.commitIntents).toEqual([]);
          expect(part.log.state).toBeNull();
          expect(Object.getPrototypeOf(part.record.memberSince)).toBe(Object.prototype);
        } else {
          for (const entry of part.items) expect(entry.item.roomId).toBe(part.room);
        }
      }),
    );
  });
});
