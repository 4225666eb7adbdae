import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectJoined, newRoom, TestClient } from './helpers/client.js';
import { useRelays } from './helpers/relay.js';

describe('fan-out (PROTOCOL.md A.4)', () => {
  const { start, track } = useRelays();

  it('delivers byte-exact to everyone else in the room, not the sender, not other rooms; cursors increase', async () => {
    const relay = await start();
    const room = newRoom();
    const elsewhere = newRoom();
    const members = await Promise.all([0, 1, 2].map(async () => track(await TestClient.connect(relay.wsUrl))));
    for (const member of members) expectJoined(await member.join(room));
    const outsider = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await outsider.join(elsewhere));

    const cursors: number[] = [];
    const sent: { from: number; envelope: Buffer; cursor: number }[] = [];
    for (let i = 0; i < 30; i++) {
      const from = i % members.length;
      // Sizes from 1 byte to past 64 KiB, including every byte value.
      const envelope = i === 0 ? Buffer.from([0]) : randomBytes(i === 29 ? 70_000 : 1 + i * 37);
      const cursor = await members[from]!.publish(room, envelope);
      cursors.push(cursor);
      sent.push({ from, envelope, cursor });
    }
    for (let i = 1; i < cursors.length; i++) expect(cursors[i]!).toBeGreaterThan(cursors[i - 1]!);
    for (const c of cursors) expect(Number.isSafeInteger(c) && c > 0).toBe(true);

    for (const [index, member] of members.entries()) {
      const expected = sent.filter((s) => s.from !== index);
      for (const item of expected) {
        const got = await member.frame('deliver', room.key);
        expect(got.cursor).toBe(item.cursor);
        expect(got.room).toBe(room.key);
        expect(got.envelope.equals(item.envelope)).toBe(true);
      }
      // Every DELIVER the relay sent before this round trip has arrived: none were echoes.
      await member.sync();
      expect(member.frames()).toEqual([]);
    }
    await outsider.sync();
    expect(outsider.frames()).toEqual([]);
    expect(relay.health().rooms).toBe(2);
  });

  it('stops delivering after leave and after close, and forgets empty rooms', async () => {
    const relay = await start();
    const room = newRoom();
    const a = track(await TestClient.connect(relay.wsUrl));
    const b = track(await TestClient.connect(relay.wsUrl));
    const c = track(await TestClient.connect(relay.wsUrl));
    for (const client of [a, b, c]) expectJoined(await client.join(room));

    b.send({ v: 2, t: 'leave', room: room.key });
    await b.json('left');
    c.ws.close();
    await c.closed;
    const envelope = randomBytes(50);
    await a.publish(room, envelope);
    await b.sync();
    expect(b.frames()).toEqual([]);
    expect(relay.health().connections).toBe(2);

    a.ws.close();
    await a.closed;
    b.ws.close();
    await b.closed;
    // Close handling runs on the relay's side of the socket; poll its counts.
    await expect.poll(() => relay.health()).toMatchObject({ connections: 0, rooms: 0 });
  });

  it('one connection in several rooms gets each room tagged correctly', async () => {
    const relay = await start();
    const rooms = [newRoom(), newRoom(), newRoom()];
    const hub = track(await TestClient.connect(relay.wsUrl));
    const peer = track(await TestClient.connect(relay.wsUrl));
    for (const room of rooms) {
      expectJoined(await hub.join(room));
      expectJoined(await peer.join(room));
    }
    for (const room of rooms) {
      const envelope = Buffer.from(room.key);
      await peer.publish(room, envelope);
      const got = await hub.frame('deliver', room.key);
      expect(got.envelope.toString()).toBe(room.key);
    }
  });
});
