import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/index.js';
import { expectJoined, newRoom, proof, TestClient, type EnvelopeFrame, type Json } from './helpers/client.js';
import { useRelays } from './helpers/relay.js';

async function history(client: TestClient, room: string, after: number, limit?: number) {
  client.send({ v: 2, t: 'history', room, after, ...(limit !== undefined ? { limit } : {}) });
  const end = await client.json('history-end', (m) => m.room === room);
  // Everything before history-end has arrived; collect it in arrival order.
  const gaps: Json[] = [];
  const frames: EnvelopeFrame[] = [];
  for (const item of client.inbox.splice(0)) {
    if ('json' in item && item.json.t === 'gap') gaps.push(item.json);
    else if ('frame' in item && item.frame.kind === 'history') frames.push(item.frame);
  }
  return { end, gaps, frames };
}

describe('catch-up (PROTOCOL.md A.5)', () => {
  const { start, track } = useRelays();

  it('replays exactly the envelopes after a cursor, oldest first', async () => {
    const relay = await start();
    const room = newRoom();
    const writer = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await writer.join(room));
    const sent: { cursor: number; envelope: Buffer }[] = [];
    for (let i = 0; i < 12; i++) {
      const envelope = randomBytes(10 + i);
      sent.push({ cursor: await writer.publish(room, envelope), envelope });
    }
    // Cursors are contiguous from 1 in a new room (A.1).
    expect(sent.map((s) => s.cursor)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const reader = track(await TestClient.connect(relay.wsUrl));
    expect(await reader.join(room)).toMatchObject({ t: 'joined', head: 12 });

    const all = await history(reader, room.key, 0);
    expect(all.gaps).toEqual([]);
    expect(all.frames.map((f) => f.cursor)).toEqual(sent.map((s) => s.cursor));
    all.frames.forEach((f, i) => expect(f.envelope.equals(sent[i]!.envelope)).toBe(true));
    expect(all.end).toEqual({ v: 2, t: 'history-end', room: room.key, head: sent.at(-1)!.cursor, more: false });

    const tail = await history(reader, room.key, sent[7]!.cursor);
    expect(tail.frames.map((f) => f.cursor)).toEqual(sent.slice(8).map((s) => s.cursor));

    const paged = await history(reader, room.key, 0, 5);
    expect(paged.frames.map((f) => f.cursor)).toEqual(sent.slice(0, 5).map((s) => s.cursor));
    expect(paged.end.more).toBe(true);
    const next = await history(reader, room.key, paged.frames.at(-1)!.cursor, 1000);
    expect(next.frames.map((f) => f.cursor)).toEqual(sent.slice(5).map((s) => s.cursor));
    expect(next.end.more).toBe(false);

    const none = await history(reader, room.key, sent.at(-1)!.cursor);
    expect(none.frames).toEqual([]);
  });

  it('reports a gap before replaying when retention dropped part of the range', async () => {
    const relay = await start({ retention: { maxEnvelopesPerRoom: 4 } });
    const room = newRoom();
    const writer = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await writer.join(room));
    const cursors: number[] = [];
    for (let i = 0; i < 10; i++) cursors.push(await writer.publish(room, Buffer.from(`m${i}`)));

    const reader = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await reader.join(room));
    reader.send({ v: 2, t: 'history', room: room.key, after: cursors[1]! });
    await reader.json('history-end');
    const order = reader.inbox.splice(0).map((item) => ('json' in item ? item.json : 'frame' in item ? item.frame.envelope.toString() : item));
    // The gap comes first, then the kept envelopes oldest first.
    expect(order).toEqual([{ v: 2, t: 'gap', room: room.key, after: cursors[1], upTo: cursors[5] }, 'm6', 'm7', 'm8', 'm9']);

    // Asking from inside the kept range: no gap.
    const kept = await history(reader, room.key, cursors[6]!);
    expect(kept.gaps).toEqual([]);
    expect(kept.frames.map((f) => f.envelope.toString())).toEqual(['m7', 'm8', 'm9']);
  });

  it('reports a gap for envelopes that aged out under the age a room registered with', async () => {
    // The floor lowered to 1 ms so that a registered age can run out within the test.
    const relay = await start({ retention: { maxAgeMs: 60_000, minAgeMs: 1 } });
    const room = newRoom();
    const client = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await client.join(room, { maxAgeMs: 1 }));
    const first = await client.publish(room, Buffer.from('old'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const result = await history(client, room.key, 0);
    expect(result.gaps).toEqual([{ v: 2, t: 'gap', room: room.key, after: 0, upTo: first }]);
    expect(result.frames).toEqual([]);
  });

  it('fixes retention at registration: never below the floor, and a later proof cannot shorten it', async () => {
    const relay = await start({ retention: { maxAgeMs: 60_000 } });
    const room = newRoom();
    const client = track(await TestClient.connect(relay.wsUrl));
    expect(client.hello?.limits).toMatchObject({ maxRetentionAgeMs: 60_000, minRetentionAgeMs: 30_000, maxPinnedPerRoom: 8 });
    // A malformed age is refused and spends the nonce, like a malformed mac.
    for (const bad of [0, -5, 1.5, '1000', null]) {
      client.send({ v: 2, t: 'join', room: room.key });
      const challenge = await client.json('challenge');
      const mac = proof(room.admissionKey, room.id, Buffer.from(challenge.nonce as string, 'base64url'));
      client.send({ v: 2, t: 'prove', room: room.key, mac, key: room.admissionKey.toString('base64url'), maxAgeMs: bad });
      await client.error(ErrorCode.BAD_MESSAGE);
    }
    // 1 ms asked for: the room keeps envelopes for the 30 s floor.
    expectJoined(await client.join(room, { maxAgeMs: 1 }));
    await client.publish(room, Buffer.from('kept'));
    const other = track(await TestClient.connect(relay.wsUrl));
    // A member joining later may send an age: it is ignored, the room is registered.
    expectJoined(await other.join(room, { maxAgeMs: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const result = await history(other, room.key, 0);
    expect(result.gaps).toEqual([]);
    expect(result.frames.map((f) => f.envelope.toString())).toEqual(['kept']);
    // And nothing a member sends later shortens it: the v1 request is gone.
    other.send({ v: 2, t: 'retention', room: room.key, maxAgeMs: 1 });
    await other.error(ErrorCode.UNKNOWN_TYPE);
  });

  it('forgets a room idle past idleRoomMs; when it comes back it is a new incarnation: new epoch, cursors from 1', async () => {
    const relay = await start({ retention: { idleRoomMs: 50, sweepIntervalMs: 20 } });
    const room = newRoom();
    const first = track(await TestClient.connect(relay.wsUrl));
    const before = await first.join(room);
    expectJoined(before);
    expect(await first.publish(room, Buffer.from('before'))).toBe(1);
    expect(await first.publish(room, Buffer.from('before, again'))).toBe(2);
    first.ws.close();
    await first.closed;
    const again = track(await TestClient.connect(relay.wsUrl));
    // Poll until the sweep has forgotten the room (its key is no longer registered).
    await expect
      .poll(async () => {
        again.send({ v: 2, t: 'join', room: room.key });
        return (await again.json('challenge')).registered;
      })
      .toBe(false);
    expect(relay.health().retainedEnvelopes).toBe(0);
    const after = await again.join(room);
    expect(after).toMatchObject({ t: 'joined', head: 0 });
    // A client that kept cursor 2 of the old incarnation learns from the epoch that it is void.
    expect(after.epoch).not.toBe(before.epoch);
    expect(await again.publish(room, Buffer.from('after'))).toBe(1);
  });

  it('refuses history of a room not joined and malformed requests', async () => {
    const relay = await start();
    const room = newRoom();
    const client = track(await TestClient.connect(relay.wsUrl));
    client.send({ v: 2, t: 'history', room: room.key, after: 0 });
    await client.error(ErrorCode.NOT_JOINED);
    expectJoined(await client.join(room));
    for (const bad of [{ after: -1 }, { after: 1.5 }, { after: '3' }, { after: 0, limit: 0 }, { after: 0, limit: 1001 }, {}]) {
      client.send({ v: 2, t: 'history', room: room.key, ...bad });
      await client.error(ErrorCode.BAD_MESSAGE);
    }
  });

  it('splits a large replay into pages by bytes', async () => {
    const relay = await start({ limits: { maxHistoryPageBytes: 3000 } });
    const room = newRoom();
    const client = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await client.join(room));
    for (let i = 0; i < 5; i++) await client.publish(room, randomBytes(1000));
    const page = await history(client, room.key, 0);
    expect(page.frames).toHaveLength(3);
    expect(page.end.more).toBe(true);
  });
});
