import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DAY_MS } from '@sealroom/units';
import { COPY_BELOW_BYTES } from '../src/memory-room.js';
import { MemoryRoomStore } from '../src/memory-store.js';
import { newRoom } from './store-contract.js';

// The shared RoomStore contract runs against this store in store-contract.test.ts.

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

describe('MemoryRoomStore specifics', () => {
  it('bounds retention over all rooms by bytes, dropping the oldest first', async () => {
    const store = new MemoryRoomStore({ maxTotalBytes: 1000 });
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

  it('keeps the global accounting exact through many trims', async () => {
    const store = new MemoryRoomStore({ maxEnvelopesPerRoom: 3, maxTotalBytes: 50_000 });
    const rooms = Array.from({ length: 7 }, newRoom);
    const t = Date.now();
    for (let i = 0; i < 5000; i++) await store.append(rooms[i % rooms.length]!, bytes(10 + (i % 13)), t);
    let envelopes = 0;
    let total = 0;
    for (const room of rooms) {
      const page = await store.readAfter(room, 0, 1000, t);
      envelopes += page.entries.length;
      total += page.entries.reduce((sum, e) => sum + e.envelope.byteLength, 0);
    }
    expect(store.stats()).toMatchObject({ retainedEnvelopes: envelopes, retainedBytes: total });
    expect(envelopes).toBe(21);
  });

  it('forgets idle rooms without subscribers, and a room that comes back is a new incarnation', async () => {
    const store = new MemoryRoomStore({ idleRoomMs: 1000 });
    const room = newRoom();
    const busy = newRoom();
    const t = Date.now();
    await store.claimAdmissionKey(room, bytes(32), DAY_MS);
    const old = await store.append(room, bytes(5), t);
    const oldEpoch = (await store.readAfter(room, 0, 1, t)).epoch;
    await store.subscribe(busy);
    await store.append(busy, bytes(5), t);
    await store.sweep(t + 500);
    expect(store.stats().rooms).toBe(2);
    await store.sweep(t + 1000);
    expect(store.stats().rooms).toBe(1);
    expect(await store.admissionKey(room)).toBeUndefined();
    expect(old).toBe(1);
    await store.claimAdmissionKey(room, bytes(32), DAY_MS);
    expect(await store.append(room, bytes(5), t + 2000)).toBe(1);
    expect((await store.readAfter(room, 0, 1, t)).epoch).not.toBe(oldEpoch);
  });

  it('remembers at most maxRooms rooms: a new room past it forgets the oldest room nobody is in', async () => {
    // Every registration costs the relay memory for idleRoomMs (a week by default); a
    // client looping join/prove/leave over fresh room ids must not grow it without bound.
    const store = new MemoryRoomStore({ maxRooms: 3 });
    const [live, quiet, busy, extra] = [newRoom(), newRoom(), newRoom(), newRoom()];
    const t = Date.now();
    await store.subscribe(live);
    await store.claimAdmissionKey(quiet, bytes(32), DAY_MS);
    await store.append(busy, bytes(5), t);
    await store.claimAdmissionKey(extra, bytes(32), DAY_MS);
    expect(store.stats().rooms).toBe(3);
    expect(await store.admissionKey(quiet)).toBeUndefined();
    // A room with a connection here is never forgotten for space.
    for (let i = 0; i < 5; i += 1) await store.claimAdmissionKey(newRoom(), bytes(32), DAY_MS);
    expect(store.stats().rooms).toBe(3);
    expect((await store.readAfter(live, 0, 10, t)).head).toBe(0);
    await store.append(live, bytes(5), t);
    expect(store.stats().rooms).toBe(3);
  });

  it('refuses a registration past maxRooms with STORE_FULL rather than forget a room with envelopes, pinned ones included', async () => {
    const store = new MemoryRoomStore({ maxRooms: 2 });
    const [busy, pinned, extra] = [newRoom(), newRoom(), newRoom()];
    const t = Date.now();
    await store.append(busy, bytes(5), t);
    await store.appendPinned(pinned, bytes(5), t);
    expect(await store.claimAdmissionKey(extra, bytes(32), DAY_MS)).toEqual({ ok: false, code: 'STORE_FULL' });
    expect(store.stats().rooms).toBe(2);
    expect((await store.readAfter(busy, 0, 10, t)).entries).toHaveLength(1);
    expect((await store.readAfter(pinned, 0, 10, t)).entries).toHaveLength(1);
  });

  it('remembers at most maxForgottenRooms forgotten ids, for forgottenRoomMemoryMs', async () => {
    const store = new MemoryRoomStore({ idleRoomMs: 1_000, maxForgottenRooms: 2, forgottenRoomMemoryMs: 10_000 });
    const rooms = [newRoom(), newRoom(), newRoom()];
    const t = Date.now();
    for (const [index, room] of rooms.entries()) await store.claimAdmissionKey(room, bytes(32, index + 1), DAY_MS);
    await store.sweep(t + 2_000);
    // The oldest memory went: that id is open to any key again; the other two are not.
    expect(await store.claimAdmissionKey(rooms[1]!, bytes(32, 9), DAY_MS)).toEqual({ ok: false, code: 'NOT_ORIGINAL_KEY' });
    expect(await store.claimAdmissionKey(rooms[2]!, bytes(32, 9), DAY_MS)).toEqual({ ok: false, code: 'NOT_ORIGINAL_KEY' });
    expect(await store.claimAdmissionKey(rooms[0]!, bytes(32, 9), DAY_MS)).toEqual(bytes(32, 9));
    // Past forgottenRoomMemoryMs nothing is reserved.
    await store.sweep(t + 20_000);
    expect(await store.claimAdmissionKey(rooms[1]!, bytes(32, 9), DAY_MS)).toEqual(bytes(32, 9));
  });

  it('reports head 0 for a room that never had an envelope', async () => {
    const store = new MemoryRoomStore();
    const room = newRoom();
    await store.claimAdmissionKey(room, bytes(32), DAY_MS);
    expect(await store.readAfter(room, 0, 10, Date.now())).toEqual({ entries: [], trimmedUpTo: 0, head: 0, more: false, epoch: expect.any(String) });
  });

  it('copies small envelopes into its slabs and keeps large ones as they are', async () => {
    const store = new MemoryRoomStore();
    const room = newRoom();
    const t = Date.now();
    const small = bytes(100, 7);
    const large = bytes(COPY_BELOW_BYTES, 8);
    await store.append(room, small, t);
    await store.append(room, large, t);
    small.fill(0); // the caller reuses its buffer: the retained copy must not change
    const [first, second] = (await store.readAfter(room, 0, 10, t)).entries;
    expect(first!.envelope).toEqual(bytes(100, 7));
    expect(second!.envelope.buffer).toBe(large.buffer);
  });

  it('replays exactly what a simple model keeps, over slab boundaries, trims and rooms', async () => {
    const limits = { maxEnvelopesPerRoom: 40, maxBytesPerRoom: 200_000, maxTotalBytes: 400_000 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            room: fc.nat(3),
            size: fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: COPY_BELOW_BYTES - 10, max: COPY_BELOW_BYTES + 10 })),
          }),
          { maxLength: 300 },
        ),
        async (appends) => {
          const store = new MemoryRoomStore(limits);
          const rooms = Array.from({ length: 4 }, newRoom);
          const t = Date.now();
          // The model: per room, every envelope with its cursor; then the same trims, by hand.
          const model: { room: number; cursor: number; bytes: Uint8Array }[] = [];
          for (const [n, { room, size }] of appends.entries()) {
            const envelope = bytes(size, n % 251);
            model.push({ room, cursor: await store.append(rooms[room]!, envelope, t), bytes: envelope.slice() });
            for (let r = 0; r < 4; r += 1) {
              let mine = model.filter((e) => e.room === r);
              while (mine.length > limits.maxEnvelopesPerRoom || mine.reduce((sum, e) => sum + e.bytes.length, 0) > limits.maxBytesPerRoom) {
                model.splice(model.indexOf(mine[0]!), 1);
                mine = mine.slice(1);
              }
            }
            while (model.reduce((sum, e) => sum + e.bytes.length, 0) > limits.maxTotalBytes) model.shift();
          }
          for (let r = 0; r < 4; r += 1) {
            const page = await store.readAfter(rooms[r]!, 0, 1000, t);
            const expected = model.filter((e) => e.room === r);
            expect(page.entries.map((e) => e.cursor)).toEqual(expected.map((e) => e.cursor));
            page.entries.forEach((e, i) => expect(e.envelope).toEqual(expected[i]!.bytes));
          }
          const kept = model.reduce((sum, e) => sum + e.bytes.length, 0);
          expect(store.stats()).toMatchObject({ retainedEnvelopes: model.length, retainedBytes: kept });
          // What the slabs hold stays proportional to what is kept (a slab per room of slack).
          expect(store.heldBytes()).toBeLessThanOrEqual(3 * kept + rooms.length * COPY_BELOW_BYTES);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('holds memory in proportion to what it keeps, however much went through its rooms', async () => {
    // 200 rooms that keep 10 envelopes each, after 300 each went through: slabs mostly made of
    // trimmed envelopes must be let go, not kept for the one envelope still in them.
    const store = new MemoryRoomStore({ maxEnvelopesPerRoom: 10 });
    const rooms = Array.from({ length: 200 }, newRoom);
    const t = Date.now();
    for (let i = 0; i < 300; i += 1) for (const room of rooms) await store.append(room, bytes(1000, i % 251), t);
    const { retainedBytes } = store.stats();
    expect(retainedBytes).toBe(200 * 10 * 1000);
    expect(store.heldBytes()).toBeLessThanOrEqual(3 * retainedBytes + rooms.length * 1024);
    // Over all rooms too: a total far below what went through.
    const bounded = new MemoryRoomStore({ maxTotalBytes: 1_000_000 });
    for (let i = 0; i < 100; i += 1) for (const room of rooms) await bounded.append(room, bytes(1000), t);
    expect(bounded.stats().retainedBytes).toBeLessThanOrEqual(1_000_000);
    expect(bounded.heldBytes()).toBeLessThanOrEqual(3 * 1_000_000 + rooms.length * 1024);
    // A busy room (megabyte slabs) that its age limit then trims to its last five envelopes.
    const aging = new MemoryRoomStore();
    const busy = newRoom();
    await aging.claimAdmissionKey(busy, bytes(32), 5_000);
    for (let i = 0; i < 3000; i += 1) await aging.append(busy, bytes(1000), t);
    for (let i = 0; i < 5; i += 1) await aging.append(busy, bytes(1000), t + 10_000);
    expect((await aging.readAfter(busy, 0, 100, t + 12_000)).entries).toHaveLength(5);
    expect(aging.heldBytes()).toBeLessThanOrEqual(3 * 5 * 1000 + 1024);
  });

  it('lets go of every slab of a room that keeps nothing any more', async () => {
    const store = new MemoryRoomStore();
    const room = newRoom();
    const t = Date.now();
    await store.claimAdmissionKey(room, bytes(32), 1000);
    for (let i = 0; i < 50; i += 1) await store.append(room, bytes(700), t);
    await store.append(room, bytes(COPY_BELOW_BYTES + 1), t);
    expect(store.heldBytes()).toBeGreaterThanOrEqual(50 * 700 + COPY_BELOW_BYTES + 1);
    await store.sweep(t + 5000);
    expect(store.stats().retainedEnvelopes).toBe(0);
    expect(store.heldBytes()).toBe(0);
  });
});
