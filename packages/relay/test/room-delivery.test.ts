/**
 * The relay's side of cursor order across processes (PROTOCOL.md A.4, room-delivery.ts),
 * against a store that plays another process: it appends envelopes "elsewhere" and hands
 * them to the relay's feed whenever the test says, late, or never.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryRoomStore, type RemoteEnvelopeListener, type RoomKey } from '../src/index.js';
import type { RoomStateListener } from '../src/store.js';
import { expectJoined, newRoom, publishFrame, TestClient, type Json } from './helpers/client.js';
import { useRelays } from './helpers/relay.js';

class OtherProcessStore extends MemoryRoomStore {
  feed: RemoteEnvelopeListener | undefined;
  state: RoomStateListener | undefined;
  reads = 0;

  override onRemoteEnvelope(listener: RemoteEnvelopeListener): void {
    this.feed = listener;
  }

  onRoomState(listener: RoomStateListener): void {
    this.state = listener;
  }

  override readAfter(...args: Parameters<MemoryRoomStore['readAfter']>): ReturnType<MemoryRoomStore['readAfter']> {
    this.reads += 1;
    return super.readAfter(...args);
  }

  /** Another process appends: the cursor is taken now, the feed delivers it when told. */
  async elsewhere(room: RoomKey, text: string): Promise<{ cursor: number; bytes: Buffer }> {
    const bytes = Buffer.from(text);
    return { cursor: await super.append(room, bytes, Date.now()), bytes };
  }
}

const deliveries = (client: TestClient): { cursor: number; text: string }[] =>
  client
    .frames()
    .filter((frame) => frame.kind === 'deliver')
    .map((frame) => ({ cursor: frame.cursor, text: frame.envelope.toString() }));

/** Waits, without taking them, until `count` DELIVER frames have arrived. */
async function delivered(client: TestClient, count: number): Promise<void> {
  await expect.poll(() => deliveries(client).length).toBeGreaterThanOrEqual(count);
  await client.sync();
}

/** What the client received, in order: DELIVER cursors and ACKs (`ack:<cursor>`). */
const arrivals = (client: TestClient): string[] =>
  client.inbox.flatMap((item) => ('frame' in item ? [`deliver:${item.frame.cursor}`] : 'ack' in item ? [`ack:${item.ack.cursor}`] : []));

describe('live delivery in cursor order across processes (room-delivery.ts)', () => {
  const { start, track } = useRelays();

  async function setup() {
    const store = new OtherProcessStore();
    const relay = await start({ store });
    const room = newRoom();
    const a = track(await TestClient.connect(relay.wsUrl));
    const b = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await a.join(room));
    expectJoined(await b.join(room));
    return { store, relay, room, a, b };
  }

  it('holds an own publish acknowledged past a cursor still in the feed: nothing read from the store, all in order', async () => {
    const { store, room, a, b } = await setup();
    const first = await store.elsewhere(room.key, 'from elsewhere');
    a.sendBinary(publishFrame(room.id, 1, Buffer.from('mine')));
    await a.sync();
    await b.sync();
    // Stored at cursor 2, but cursor 1 has not reached this process: neither ACK nor DELIVER yet.
    expect(arrivals(a)).toEqual([]);
    expect(arrivals(b)).toEqual([]);
    const readsBefore = store.reads;
    store.feed!(room.key, first.cursor, first.bytes);
    await delivered(b, 2);
    expect(arrivals(a)).toEqual(['deliver:1', 'ack:2']);
    expect(deliveries(b)).toEqual([
      { cursor: 1, text: 'from elsewhere' },
      { cursor: 2, text: 'mine' },
    ]);
    expect(deliveries(a)).toEqual([{ cursor: 1, text: 'from elsewhere' }]);
    expect(store.reads).toBe(readsBefore);
  });

  it('reads a cursor the feed skipped from the store and delivers it before what followed', async () => {
    const { store, room, a, b } = await setup();
    const one = await store.elsewhere(room.key, 'one');
    const two = await store.elsewhere(room.key, 'two');
    void one;
    store.feed!(room.key, two.cursor, two.bytes);
    for (const member of [a, b]) {
      await delivered(member, 2);
      expect(deliveries(member)).toEqual([
        { cursor: 1, text: 'one' },
        { cursor: 2, text: 'two' },
      ]);
    }
    // The late feed copy of 1, if it ever came, changes nothing.
    store.feed!(room.key, one.cursor, one.bytes);
    await a.sync();
    expect(deliveries(a)).toHaveLength(2);
  });

  it('after the store reports an interrupted feed, reads up to the head it names', async () => {
    const { store, room, a, b } = await setup();
    for (const text of ['x', 'y', 'z']) await store.elsewhere(room.key, text);
    const { epoch } = await store.readAfter(room.key, 0, 0, Date.now());
    store.state!(room.key, { epoch, head: 3 });
    for (const member of [a, b]) {
      await delivered(member, 3);
      expect(deliveries(member).map((entry) => entry.text)).toEqual(['x', 'y', 'z']);
    }
  });

  it('tells members of a new incarnation with `joined`, and refuses a publish held in the old one', async () => {
    const { store, room, a, b } = await setup();
    await store.elsewhere(room.key, 'never fed');
    a.sendBinary(publishFrame(room.id, 7, Buffer.from('held')));
    await a.sync();
    store.state!(room.key, { epoch: 'Incarnation2', head: 0 });
    const refused = await a.error('UNAVAILABLE');
    expect(refused).toMatchObject({ room: room.key, id: 7 });
    for (const member of [a, b]) {
      const joined: Json = await member.json('joined');
      expect(joined).toEqual({ v: 2, t: 'joined', room: room.key, head: 0, epoch: 'Incarnation2' });
    }
    expect(a.acks()).toEqual([]);
    expect(deliveries(b)).toEqual([]);
  });

  it('ends every membership with ADMISSION_DENIED when the room is registered again under another key', async () => {
    const { store, relay, room, a, b } = await setup();
    store.state!(room.key, { epoch: undefined, head: 0 });
    for (const member of [a, b]) expect(await member.error('ADMISSION_DENIED')).toMatchObject({ room: room.key });
    a.sendBinary(publishFrame(room.id, 9, randomBytes(10)));
    expect(await a.error('NOT_JOINED')).toMatchObject({ id: 9 });
    expect(relay.health().rooms).toBe(0);
  });
});
