import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/index.js';
import { expectJoined, newRoom, publishFrame, TestClient, type Json } from './helpers/client.js';
import { useRelays } from './helpers/relay.js';

/** One history answer, in arrival order: gaps as JSON, envelopes as text. */
async function historyOrder(client: TestClient, room: string, after: number, limit?: number): Promise<{ order: unknown[]; end: Json }> {
  client.send({ v: 2, t: 'history', room, after, ...(limit === undefined ? {} : { limit }) });
  const end = await client.json('history-end', (m) => m.room === room);
  const order = client.inbox.splice(0).flatMap((item): unknown[] => {
    if ('json' in item) return item.json.t === 'gap' ? [item.json] : [];
    if ('frame' in item && item.frame.kind === 'history') return [`${item.frame.cursor}:${item.frame.envelope.toString()}`];
    return [];
  });
  return { order, end };
}

describe('acks and pinned envelopes (PROTOCOL.md A.4)', () => {
  const { start, track } = useRelays();

  it('acknowledges with a 14-byte binary ACK, in the order of the PUBLISH frames', async () => {
    const relay = await start();
    const room = newRoom();
    const client = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await client.join(room));
    const raw: Buffer[] = [];
    client.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) raw.push(Buffer.from(data));
    });
    const ids = [7, 0xffff_fffe, 3, 3, 1];
    for (const [index, id] of ids.entries()) client.sendBinary(publishFrame(room.id, id, Buffer.from(`e${index}`), { pinned: index === 2 }));
    await expect.poll(() => raw.length).toBe(ids.length);
    // version 2, kind 4, u32 request id, u64 cursor: cursors 1.. in publish order.
    expect(raw.map((frame) => frame.toString('hex'))).toEqual(
      ids.map((id, index) => `0204${id.toString(16).padStart(8, '0')}${(index + 1).toString(16).padStart(16, '0')}`),
    );
  });

  it('keeps a pinned envelope through count and age trimming, and replays it inside the gap', async () => {
    const relay = await start({ retention: { maxEnvelopesPerRoom: 2, minAgeMs: 1 } });
    const room = newRoom();
    const writer = track(await TestClient.connect(relay.wsUrl));
    const reader = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await writer.join(room));
    expectJoined(await reader.join(room));
    expect(await writer.publish(room, Buffer.from('a'))).toBe(1);
    expect(await writer.publish(room, Buffer.from('commit'), { pinned: true })).toBe(2);
    // Delivered live like any other envelope.
    expect((await reader.frame('deliver')).envelope.toString()).toBe('a');
    const live = await reader.frame('deliver');
    expect(live).toMatchObject({ cursor: 2 });
    expect(live.envelope.toString()).toBe('commit');
    for (const text of ['b', 'c', 'd', 'e']) await writer.publish(room, Buffer.from(text));
    await reader.sync();
    reader.inbox.splice(0);

    // Count trimming kept d and e; cursors 1, 3, 4 are gone, the pinned 2 is not.
    const all = await historyOrder(reader, room.key, 0);
    expect(all.order).toEqual([{ v: 2, t: 'gap', room: room.key, after: 0, upTo: 4 }, '2:commit', '5:d', '6:e']);
    expect(all.end).toMatchObject({ head: 6, more: false });
    // After it, only what follows; pages stay in cursor order.
    expect((await historyOrder(reader, room.key, 2)).order).toEqual([{ v: 2, t: 'gap', room: room.key, after: 2, upTo: 4 }, '5:d', '6:e']);
    const firstPage = await historyOrder(reader, room.key, 0, 2);
    expect(firstPage.order).toEqual([{ v: 2, t: 'gap', room: room.key, after: 0, upTo: 4 }, '2:commit', '5:d']);
    expect(firstPage.end.more).toBe(true);

    // Age: a room registered to keep envelopes 1 ms keeps its pinned one.
    const brief = newRoom();
    expectJoined(await writer.join(brief, { maxAgeMs: 1 }));
    expectJoined(await reader.join(brief));
    await writer.publish(brief, Buffer.from('commit'), { pinned: true });
    await writer.publish(brief, Buffer.from('gone'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await reader.sync();
    reader.inbox.splice(0);
    expect((await historyOrder(reader, brief.key, 0)).order).toEqual([{ v: 2, t: 'gap', room: brief.key, after: 0, upTo: 2 }, '1:commit']);
  });

  it('refuses a pinned publish past maxPinnedPerRoom with PIN_LIMIT and stores nothing', async () => {
    const relay = await start({ retention: { maxPinnedPerRoom: 2 } });
    const room = newRoom();
    const other = newRoom();
    const client = track(await TestClient.connect(relay.wsUrl));
    const reader = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await client.join(room));
    expectJoined(await client.join(other));
    expectJoined(await reader.join(room));
    expect(await client.publishAnswer(room, Buffer.from('p1'), { pinned: true })).toEqual({ id: 1, cursor: 1 });
    expect(await client.publishAnswer(room, Buffer.from('p2'), { pinned: true })).toEqual({ id: 2, cursor: 2 });
    const refused = await client.publishAnswer(room, Buffer.from('p3'), { pinned: true });
    expect(refused).toMatchObject({ t: 'error', code: ErrorCode.PIN_LIMIT, room: room.key, id: 3 });
    // Unpinned publishes go on, with no hole where the refused one would have been.
    expect(await client.publishAnswer(room, randomBytes(8))).toEqual({ id: 4, cursor: 3 });
    // The limit is per room.
    expect(await client.publishAnswer(other, Buffer.from('q1'), { pinned: true })).toEqual({ id: 5, cursor: 1 });
    await reader.sync();
    expect(reader.frames().map((f) => f.cursor)).toEqual([1, 2, 3]);
    reader.inbox.splice(0);
    expect((await historyOrder(reader, room.key, 0)).order).toEqual(['1:p1', '2:p2', expect.stringMatching(/^3:/)]);
  });
});
