/** The durable store against the shared contract, then what only a store on disk has. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DAY_MS, KIB, MIB } from '@sealroom/units';
import type { RetentionLimits } from '../src/options.js';
import { SqliteRoomStore } from '../src/sqlite/store.js';
import { newRoom, runStoreContract, type ContractRetention } from './store-contract.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sealroom-sqlite-'));
  dirs.push(dir);
  return dir;
}

const sqliteStore = (dataDir: string, retention: ContractRetention): SqliteRoomStore =>
  new SqliteRoomStore({
    dataDir,
    retention: {
      maxEnvelopesPerRoom: retention.maxEnvelopes,
      maxBytesPerRoom: retention.maxBytes,
      maxAgeMs: retention.maxAgeMs,
      maxPinnedPerRoom: retention.maxPinned,
    },
  });

runStoreContract('sqlite', async (retention) => sqliteStore(freshDir(), retention), {
  // A room nobody is in is forgotten once idle past idleRoomMs (7 days by default).
  forget: (store) => store.sweep(Date.now() + 8 * DAY_MS),
  forgottenRooms: 'remembered',
  // The same data directory opened again: everything is still there.
  restart: {
    history: 'kept',
    reopen: async (store, retention) => {
      const { path } = store as SqliteRoomStore;
      await store.close();
      return sqliteStore(join(path, '..'), retention);
    },
  },
});

/** MAX_BATCH_WRITES and MAX_BATCH_BYTES in sqlite/store.ts. */
const SQLITE_FULL_BATCH = 512;
const SQLITE_FULL_BATCH_BYTES = 4 * MIB;

const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);
const KEY_BYTES = 32;

/** The database and its write-ahead log, as the file system holds them now. */
function onDisk(dir: string): Buffer {
  const parts = [join(dir, 'relay.db'), join(dir, 'relay.db-wal')].filter((path) => existsSync(path));
  return Buffer.concat(parts.map((path) => readFileSync(path)));
}

function sizeOnDisk(dir: string): number {
  return [join(dir, 'relay.db'), join(dir, 'relay.db-wal')].filter((path) => existsSync(path)).reduce((sum, path) => sum + statSync(path).size, 0);
}

/** An envelope whose bytes can be found in a file: a marker, then filler. */
function marked(label: string, size: number): Uint8Array {
  const envelope = bytes(size, 0x2e);
  envelope.set(new TextEncoder().encode(label));
  return envelope;
}

describe('SqliteRoomStore specifics', () => {
  const open: SqliteRoomStore[] = [];
  const make = (dir: string, retention: Partial<RetentionLimits> = {}): SqliteRoomStore => {
    const store = new SqliteRoomStore({ dataDir: dir, retention });
    open.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((store) => store.close()));
  });

  it('zeroes what retention drops: the bytes of trimmed envelopes are in neither the database nor its log after a sweep', async () => {
    const dir = freshDir();
    const store = make(dir, { maxEnvelopesPerRoom: 5 });
    const room = newRoom();
    const t = Date.now();
    const labels = Array.from({ length: 40 }, (_, index) => `SEALROOM-MARKER-${index.toString().padStart(4, '0')}-${randomBytes(8).toString('hex')}`);
    for (const label of labels) await store.append(room, marked(label, 3000), t);
    await store.sweep(t);
    const file = onDisk(dir).toString('latin1');
    const found = labels.filter((label) => file.includes(label));
    // Exactly the five kept are anywhere on disk (so the search can see them).
    expect(found).toEqual(labels.slice(-5));
  });

  it('does not grow without bound: steady trimming stays small, and forgetting a large room gives the space back', async () => {
    const t = Date.now();
    const steadyDir = freshDir();
    const steady = make(steadyDir, { maxEnvelopesPerRoom: 20 });
    const busy = newRoom();
    // 2,000 × 4 KiB go through a room that keeps 20 of them.
    for (let index = 0; index < 2_000; index += 1) await steady.append(busy, bytes(4 * KIB, index), t);
    await steady.sweep(t);
    expect(sizeOnDisk(steadyDir)).toBeLessThan(512 * KIB);

    const dir = freshDir();
    const store = make(dir, { idleRoomMs: DAY_MS });
    const large = newRoom();
    await store.claimAdmissionKey(large, bytes(KEY_BYTES), DAY_MS);
    for (let index = 0; index < 2_000; index += 1) await store.append(large, bytes(4 * KIB, index), t);
    await store.sweep(t);
    expect(sizeOnDisk(dir)).toBeGreaterThan(8 * MIB);
    // Idle for longer than idleRoomMs: forgotten, its pages freed and handed back.
    await store.sweep(t + 2 * DAY_MS);
    expect(store.stats()).toMatchObject({ rooms: 0, retainedEnvelopes: 0, retainedBytes: 0 });
    expect(sizeOnDisk(dir)).toBeLessThan(512 * KIB);
  });

  it('keeps the overall byte bound, dropping the oldest envelopes of any room first', async () => {
    const store = make(freshDir(), { maxTotalBytes: 1_000 });
    const [a, b] = [newRoom(), newRoom()];
    const t = Date.now();
    const first = await store.append(a, bytes(400), t);
    await store.append(b, bytes(400), t);
    await store.append(b, bytes(400), t);
    expect(store.stats()).toMatchObject({ retainedEnvelopes: 2, retainedBytes: 800 });
    const pageA = await store.readAfter(a, 0, 10, t);
    expect(pageA.entries).toEqual([]);
    expect(pageA.trimmedUpTo).toBe(first);
    expect((await store.readAfter(b, 0, 10, t)).entries).toHaveLength(2);
  });

  it('refuses a registration past maxRooms with STORE_FULL rather than forget a room that holds envelopes or has a connection', async () => {
    const store = make(freshDir(), { maxRooms: 3 });
    const [live, quiet, busy, pinned, extra] = [newRoom(), newRoom(), newRoom(), newRoom(), newRoom()];
    const t = Date.now();
    await store.claimAdmissionKey(live, bytes(KEY_BYTES, 1), DAY_MS);
    await store.subscribe(live);
    await store.claimAdmissionKey(quiet, bytes(KEY_BYTES, 2), DAY_MS);
    await store.append(busy, bytes(5), t);
    // Full: the empty room nobody is in goes (and is remembered for its key).
    expect(Buffer.from((await store.claimAdmissionKey(pinned, bytes(KEY_BYTES, 4), DAY_MS)) as Uint8Array)).toEqual(Buffer.from(bytes(KEY_BYTES, 4)));
    expect(await store.admissionKey(quiet)).toBeUndefined();
    expect(await store.appendPinned(pinned, bytes(5), t)).toEqual({ ok: true, cursor: 1 });
    // Now every room has a connection or an envelope: nothing is given up.
    expect(await store.claimAdmissionKey(extra, bytes(KEY_BYTES, 5), DAY_MS)).toEqual({ ok: false, code: 'STORE_FULL' });
    expect(store.stats().rooms).toBe(3);
    expect((await store.readAfter(busy, 0, 10, t)).head).toBe(1);
    // The room that went is reserved for its key.
    expect(await store.claimAdmissionKey(quiet, bytes(KEY_BYTES, 9), DAY_MS)).toEqual({ ok: false, code: 'NOT_ORIGINAL_KEY' });
  });

  it('keeps admission keys, epochs, cursors, pinned envelopes and each room’s registered age across a restart', async () => {
    const dir = freshDir();
    const store = make(dir, { maxAgeMs: DAY_MS });
    const [room, brief] = [newRoom(), newRoom()];
    const t = Date.now();
    await store.claimAdmissionKey(room, bytes(KEY_BYTES, 7), DAY_MS);
    await store.claimAdmissionKey(brief, bytes(KEY_BYTES, 8), 60_000);
    await store.append(room, bytes(10, 1), t);
    await store.appendPinned(room, bytes(10, 2), t);
    await store.append(brief, bytes(10, 3), t);
    const before = await store.readAfter(room, 0, 10, t);
    await store.close();
    const reopened = make(dir, { maxAgeMs: DAY_MS });
    expect(Buffer.from((await reopened.admissionKey(room))!)).toEqual(Buffer.from(bytes(KEY_BYTES, 7)));
    expect(await reopened.readAfter(room, 0, 10, t)).toEqual(before);
    expect((await reopened.readAfter(brief, 0, 10, t + 30_000)).entries).toHaveLength(1);
    expect((await reopened.readAfter(brief, 0, 10, t + 61_000)).entries).toEqual([]);
    expect(reopened.stats()).toMatchObject({ rooms: 2, retainedEnvelopes: 3, retainedBytes: 30 });
  });

  it('commits a full batch at once instead of holding it for the delay: a backlog read in one turn does not become one giant transaction', async () => {
    // The relay reads up to 2 MiB per socket per event-loop turn; under overload that was
    // hundreds of thousands of envelopes in one commit, turns of 13 s and a relay at 1 GiB.
    const store = new SqliteRoomStore({ dataDir: freshDir(), storage: { batchDelayMs: 60_000 } });
    open.push(store);
    const room = newRoom();
    const t = Date.now();
    const settled: number[] = [];
    const appends = Array.from({ length: SQLITE_FULL_BATCH + 1 }, () => store.append(room, bytes(100), t).then((cursor) => settled.push(cursor)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toEqual(Array.from({ length: SQLITE_FULL_BATCH }, (_, index) => index + 1));
    // The one past the full batch waits for the delay (or the next full batch, or close()).
    await store.close();
    await Promise.all(appends);
    expect(settled).toHaveLength(SQLITE_FULL_BATCH + 1);
  });

  it('commits at once once a batch holds its most bytes, whatever the count', async () => {
    const store = new SqliteRoomStore({ dataDir: freshDir(), storage: { batchDelayMs: 60_000 } });
    open.push(store);
    const room = newRoom();
    const t = Date.now();
    let settled = 0;
    for (let i = 0; i < SQLITE_FULL_BATCH_BYTES / MIB; i += 1) void store.append(room, bytes(MIB), t).then(() => (settled += 1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(SQLITE_FULL_BATCH_BYTES / MIB);
  });

  it('never hands out an epoch twice across restarts, with batches that made rooms and batches that only appended', async () => {
    const dir = freshDir();
    const epochs: string[] = [];
    const t = Date.now();
    for (let run = 0; run < 3; run += 1) {
      const store = make(dir);
      for (let i = 0; i < 2; i += 1) {
        const room = newRoom();
        await store.claimAdmissionKey(room, bytes(KEY_BYTES, i), DAY_MS);
        // Batches of appends only: they do not write the incarnation counter.
        await store.append(room, bytes(10, 1), t);
        await store.append(room, bytes(10, 2), t);
        epochs.push((await store.readAfter(room, 0, 10, t)).epoch!);
      }
      await store.close();
    }
    expect(new Set(epochs).size).toBe(6);
  });

  it('gives every room a new epoch when its database was restored from a backup (the lineage file does not match)', async () => {
    const dir = freshDir();
    const store = make(dir);
    const room = newRoom();
    const t = Date.now();
    await store.claimAdmissionKey(room, bytes(KEY_BYTES, 7), DAY_MS);
    await store.append(room, bytes(10, 1), t);
    const { epoch } = await store.readAfter(room, 0, 10, t);
    await store.close();
    // A plain restart keeps the epoch.
    const again = make(dir);
    expect((await again.readAfter(room, 0, 10, t)).epoch).toBe(epoch);
    expect(again.restored).toBe(false);
    await again.close();
    // The backup restored as the runbook says: database in place, lineage file gone.
    rmSync(join(dir, 'relay.lineage'));
    const restored = make(dir);
    expect(restored.restored).toBe(true);
    const page = await restored.readAfter(room, 0, 10, t);
    expect(page.epoch).not.toBe(epoch);
    expect(page.head).toBe(1);
    expect(page.entries).toHaveLength(1);
  });

  it('creates its directory and files for its own user only', async () => {
    const dir = join(freshDir(), 'nested', 'data');
    make(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'relay.db')).mode & 0o777).toBe(0o600);
  });
});
