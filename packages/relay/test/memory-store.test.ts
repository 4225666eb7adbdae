import { describe, expect, it } from 'vitest';
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

  it('forgets idle rooms without subscribers, and a room that comes back never reuses cursors', async () => {
    const store = new MemoryRoomStore({ idleRoomMs: 1000 });
    const room = newRoom();
    const busy = newRoom();
    const t = Date.now();
    await store.claimAdmissionKey(room, bytes(32));
    const old = await store.append(room, bytes(5), t);
    await store.subscribe(busy);
    await store.append(busy, bytes(5), t);
    await store.sweep(t + 500);
    expect(store.stats().rooms).toBe(2);
    await store.sweep(t + 1000);
    expect(store.stats().rooms).toBe(1);
    expect(await store.admissionKey(room)).toBeUndefined();
    const again = await store.append(room, bytes(5), t + 2000);
    expect(again).toBeGreaterThan(old);
  });

  it('remembers at most maxRooms rooms: a new room past it forgets the oldest room nobody is in', async () => {
    // Every registration costs the relay memory for idleRoomMs (a week by default); a
    // client looping join/prove/leave over fresh room ids must not grow it without bound.
    const store = new MemoryRoomStore({ maxRooms: 3 });
    const [live, quiet, busy, extra] = [newRoom(), newRoom(), newRoom(), newRoom()];
    const t = Date.now();
    await store.subscribe(live);
    await store.claimAdmissionKey(quiet, bytes(32));
    await store.append(busy, bytes(5), t);
    await store.claimAdmissionKey(extra, bytes(32));
    expect(store.stats().rooms).toBe(3);
    expect(await store.admissionKey(quiet)).toBeUndefined();
    // A room with a connection here is never forgotten for space.
    for (let i = 0; i < 5; i += 1) await store.claimAdmissionKey(newRoom(), bytes(32));
    expect(store.stats().rooms).toBe(3);
    expect((await store.readAfter(live, 0, 10, t)).head).toBe(0);
    await store.append(live, bytes(5), t);
    expect(store.stats().rooms).toBe(3);
  });

  it('reports head 0 for a room that never had an envelope', async () => {
    const store = new MemoryRoomStore();
    const room = newRoom();
    await store.claimAdmissionKey(room, bytes(32));
    expect(await store.readAfter(room, 0, 10, Date.now())).toEqual({ entries: [], trimmedUpTo: 0, head: 0, more: false });
  });
});
