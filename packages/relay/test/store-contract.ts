/**
 * The behaviour every `RoomStore` owes the relay, run against any implementation
 * (memory, Redis). Assertions never depend on cursor values, only on what PROTOCOL.md
 * A.1 promises: positive safe integers, strictly increasing per room, not necessarily
 * contiguous.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoomStore } from '../src/store.js';

export interface ContractRetention {
  readonly maxEnvelopes: number;
  readonly maxBytes: number;
  readonly maxAgeMs: number;
}

export type StoreFactory = (retention: ContractRetention) => Promise<RoomStore>;

/** Room ids are base64url of 32 bytes (43 characters), as the relay passes them. */
const ROOM_ID_BYTES = 32;
const ADMISSION_KEY_BYTES = 32;
/** Roomy limits for tests that are not about retention. */
const GENEROUS: ContractRetention = { maxEnvelopes: 10_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: 24 * 60 * 60 * 1000 };
const PAGE_ALL = 1_000;

export function newRoom(): string {
  return randomBytes(ROOM_ID_BYTES).toString('base64url');
}

function envelope(label: string, size = 0): Uint8Array {
  const text = new TextEncoder().encode(label);
  const bytes = new Uint8Array(Math.max(size, text.length));
  bytes.set(text);
  return bytes;
}

export function runStoreContract(name: string, factory: StoreFactory, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip === true)(`RoomStore contract: ${name}`, () => {
    const open: RoomStore[] = [];
    const make = async (retention: ContractRetention = GENEROUS): Promise<RoomStore> => {
      const store = await factory(retention);
      open.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((store) => store.close()));
    });
    // A realistic clock: age limits are real durations from here.
    const t0 = Date.now();

    it('registers an admission key on first use only', async () => {
      const store = await make();
      const room = newRoom();
      expect(await store.admissionKey(room)).toBeUndefined();
      const first = randomBytes(ADMISSION_KEY_BYTES);
      const second = randomBytes(ADMISSION_KEY_BYTES);
      expect(Buffer.from(await store.claimAdmissionKey(room, first))).toEqual(first);
      expect(Buffer.from(await store.claimAdmissionKey(room, second))).toEqual(first);
      expect(Buffer.from((await store.admissionKey(room)) ?? [])).toEqual(first);
      expect(await store.admissionKey(newRoom())).toBeUndefined();
    });

    it('lets exactly one of several concurrent claims win', async () => {
      const store = await make();
      const room = newRoom();
      const keys = Array.from({ length: 8 }, () => randomBytes(ADMISSION_KEY_BYTES));
      const results = await Promise.all(keys.map((key) => store.claimAdmissionKey(room, key)));
      const winners = new Set(results.map((key) => Buffer.from(key).toString('hex')));
      expect(winners.size).toBe(1);
      expect(keys.map((key) => key.toString('hex'))).toContain([...winners][0]);
    });

    it('reports an empty room as head 0 with nothing trimmed', async () => {
      const store = await make();
      expect(await store.readAfter(newRoom(), 0, PAGE_ALL, t0)).toEqual({ entries: [], trimmedUpTo: 0, head: 0, more: false });
    });

    it('assigns strictly increasing safe cursors and replays byte-exact, in order', async () => {
      const store = await make();
      const room = newRoom();
      const sent = Array.from({ length: 20 }, (_, index) => randomBytes(1 + index * 7));
      const cursors: number[] = [];
      for (const [index, bytes] of sent.entries()) cursors.push(await store.append(room, bytes, t0 + index));
      for (const [index, cursor] of cursors.entries()) {
        expect(Number.isSafeInteger(cursor) && cursor > 0).toBe(true);
        if (index > 0) expect(cursor).toBeGreaterThan(cursors[index - 1]!);
      }
      const page = await store.readAfter(room, 0, PAGE_ALL, t0 + sent.length);
      expect(page.head).toBe(cursors.at(-1));
      expect(page.trimmedUpTo).toBe(0);
      expect(page.more).toBe(false);
      expect(page.entries.map((entry) => entry.cursor)).toEqual(cursors);
      expect(page.entries.map((entry) => Buffer.from(entry.envelope))).toEqual(sent);
    });

    it('keeps cursors increasing within one millisecond and when the clock steps back', async () => {
      const store = await make();
      const room = newRoom();
      const times = [t0, t0, t0, t0 - 5_000, t0 + 1, t0 + 1];
      const cursors: number[] = [];
      for (const time of times) cursors.push(await store.append(room, envelope('x'), time));
      for (let index = 1; index < cursors.length; index += 1) expect(cursors[index]).toBeGreaterThan(cursors[index - 1]!);
    });

    it('resolves appends from one caller in call order', async () => {
      const store = await make();
      const room = newRoom();
      const cursors = await Promise.all(Array.from({ length: 50 }, (_, index) => store.append(room, envelope(`m${index}`), t0)));
      for (let index = 1; index < cursors.length; index += 1) expect(cursors[index]).toBeGreaterThan(cursors[index - 1]!);
      const page = await store.readAfter(room, 0, PAGE_ALL, t0);
      expect(page.entries.map((entry) => new TextDecoder().decode(entry.envelope))).toEqual(Array.from({ length: 50 }, (_, index) => `m${index}`));
    });

    it('pages after a cursor with `more` until the head', async () => {
      const store = await make();
      const room = newRoom();
      const cursors: number[] = [];
      for (let index = 0; index < 7; index += 1) cursors.push(await store.append(room, envelope(`p${index}`), t0));
      const first = await store.readAfter(room, 0, 3, t0);
      expect(first.entries.map((entry) => entry.cursor)).toEqual(cursors.slice(0, 3));
      expect(first.more).toBe(true);
      const second = await store.readAfter(room, cursors[2]!, 3, t0);
      expect(second.entries.map((entry) => entry.cursor)).toEqual(cursors.slice(3, 6));
      expect(second.more).toBe(true);
      const last = await store.readAfter(room, cursors[5]!, 3, t0);
      expect(last.entries.map((entry) => entry.cursor)).toEqual(cursors.slice(6));
      expect(last.more).toBe(false);
      expect((await store.readAfter(room, cursors[6]!, 3, t0)).entries).toEqual([]);
    });

    it('keeps rooms apart', async () => {
      const store = await make();
      const [a, b] = [newRoom(), newRoom()];
      await store.append(a, envelope('in a'), t0);
      expect((await store.readAfter(b, 0, PAGE_ALL, t0)).entries).toEqual([]);
      expect((await store.readAfter(b, 0, PAGE_ALL, t0)).head).toBe(0);
    });

    it('bounds retention by count and reports exactly what was dropped', async () => {
      const maxEnvelopes = 5;
      const store = await make({ ...GENEROUS, maxEnvelopes });
      const room = newRoom();
      const cursors: number[] = [];
      for (let index = 0; index < 12; index += 1) cursors.push(await store.append(room, envelope(`c${index}`), t0 + index));
      const page = await store.readAfter(room, 0, PAGE_ALL, t0 + 12);
      expect(page.entries.map((entry) => entry.cursor)).toEqual(cursors.slice(-maxEnvelopes));
      // (0, trimmedUpTo] is gone: it covers every dropped cursor and no retained one.
      expect(page.trimmedUpTo).toBeGreaterThanOrEqual(cursors[6]!);
      expect(page.trimmedUpTo).toBeLessThan(cursors[7]!);
      const fromRetained = await store.readAfter(room, cursors[8]!, PAGE_ALL, t0 + 12);
      expect(fromRetained.trimmedUpTo).toBeLessThan(cursors[8]!);
    });

    it('bounds retention by bytes', async () => {
      const maxBytes = 1_000;
      const size = 300;
      const store = await make({ ...GENEROUS, maxBytes });
      const room = newRoom();
      const cursors: number[] = [];
      for (let index = 0; index < 10; index += 1) cursors.push(await store.append(room, envelope(`b${index}`, size), t0 + index));
      const page = await store.readAfter(room, 0, PAGE_ALL, t0 + 10);
      const kept = page.entries.reduce((sum, entry) => sum + entry.envelope.byteLength, 0);
      expect(kept).toBeLessThanOrEqual(maxBytes);
      expect(page.entries.map((entry) => entry.cursor)).toEqual(cursors.slice(-Math.floor(maxBytes / size)));
      expect(page.trimmedUpTo).toBeGreaterThanOrEqual(cursors.at(-Math.floor(maxBytes / size) - 1)!);
    });

    it('bounds retention by age, and a cursor older than retention learns of the gap', async () => {
      const maxAgeMs = 60_000;
      const store = await make({ ...GENEROUS, maxAgeMs });
      const room = newRoom();
      const old = await store.append(room, envelope('old'), t0);
      const fresh = await store.append(room, envelope('fresh'), t0 + maxAgeMs / 2);
      const later = await store.readAfter(room, 0, PAGE_ALL, t0 + maxAgeMs + 1);
      expect(later.entries.map((entry) => entry.cursor)).toEqual([fresh]);
      expect(later.trimmedUpTo).toBeGreaterThanOrEqual(old);
      expect(later.trimmedUpTo).toBeLessThan(fresh);
      const all = await store.readAfter(room, 0, PAGE_ALL, t0 + 2 * maxAgeMs);
      expect(all.entries).toEqual([]);
      expect(all.trimmedUpTo).toBe(all.head);
      expect(all.head).toBe(fresh);
    });

    it('tightens a room’s age limit and never loosens it', async () => {
      const store = await make();
      const room = newRoom();
      const other = newRoom();
      const now = Date.now();
      await store.append(room, envelope('short-lived'), now);
      await store.append(other, envelope('kept'), now);
      await store.setMaxAge(room, 1_000);
      await store.setMaxAge(room, 1_000_000);
      expect((await store.readAfter(room, 0, PAGE_ALL, now + 500)).entries).toHaveLength(1);
      expect((await store.readAfter(room, 0, PAGE_ALL, now + 1_500)).entries).toEqual([]);
      expect((await store.readAfter(other, 0, PAGE_ALL, now + 1_500)).entries).toHaveLength(1);
    });

    it('drops expired envelopes on sweep and keeps serving', async () => {
      const maxAgeMs = 60_000;
      const store = await make({ ...GENEROUS, maxAgeMs });
      const room = newRoom();
      await store.subscribe(room);
      const cursor = await store.append(room, envelope('s'), t0);
      await store.sweep(t0 + 1);
      expect(store.stats().backendUp).toBe(true);
      expect(store.stats().retainedEnvelopes).toBeGreaterThanOrEqual(1);
      await store.sweep(t0 + maxAgeMs + 1);
      const page = await store.readAfter(room, 0, PAGE_ALL, t0 + maxAgeMs + 1);
      expect(page.entries).toEqual([]);
      expect(page.trimmedUpTo).toBe(cursor);
      const next = await store.append(room, envelope('after sweep'), t0 + maxAgeMs + 2);
      expect(next).toBeGreaterThan(cursor);
      await store.unsubscribe(room);
    });

    it('does not hand a process its own appends as remote envelopes', async () => {
      const store = await make();
      const room = newRoom();
      const remote: number[] = [];
      store.onRemoteEnvelope((_room, cursor) => remote.push(cursor));
      await store.subscribe(room);
      await store.append(room, envelope('mine'), t0);
      // Give a shared backend time to echo the publish back.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(remote).toEqual([]);
      await store.unsubscribe(room);
    });
  });
}
