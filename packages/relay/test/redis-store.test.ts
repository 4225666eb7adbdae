/**
 * The Redis store against a real redis-server: the shared contract, then what only a
 * shared backend has — several processes' stores on one Redis, key layout, outages.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_UNAVAILABLE } from '../src/redis/connections.js';
import { createRedisStore, type RedisRoomStore, type RedisStoreOptions } from '../src/redis/store.js';
import { ORIGIN_ID_BYTES } from '../src/redis/subscriptions.js';
import { CURSOR_SEQ_PER_MS, MAX_CURSOR_MS, cursorToStreamId, streamIdToCursor } from '../src/redis/cursor.js';
import { newRoom, runStoreContract, type ContractRetention } from './store-contract.js';
import { redisAvailability, startRedisServer, type RedisServerHandle } from './support/redis-server.js';

const { available } = redisAvailability();
const RETENTION: ContractRetention = { maxEnvelopes: 1_000, maxBytes: 16 * 1024 * 1024, maxAgeMs: 60 * 60 * 1000 };
/** Bounds for waiting on asynchronous fan-out; the wait ends as soon as the condition holds. */
const EVENTUALLY_MS = 10_000;
const POLL_MS = 10;

async function eventually(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + EVENTUALLY_MS;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let server: RedisServerHandle | undefined;
const opened: RedisRoomStore[] = [];

async function store(overrides: Partial<RedisStoreOptions> = {}): Promise<RedisRoomStore> {
  if (!server) throw new Error('no redis-server');
  const created = await createRedisStore({ url: server.url, retention: RETENTION, ...overrides });
  opened.push(created);
  return created;
}

describe.skipIf(!available)('RedisRoomStore', () => {
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((opened) => opened.close()));
  });

  runStoreContract('redis', async (retention) => {
    if (!server) throw new Error('no redis-server');
    return createRedisStore({ url: server.url, retention });
  });

  it('maps cursors to stream ids and back, within 2^53 − 1', () => {
    const cursor = streamIdToCursor({ ms: 1_763_900_000_000, seq: 7 });
    expect(cursorToStreamId(cursor)).toEqual({ ms: 1_763_900_000_000, seq: 7 });
    expect(Number.isSafeInteger(streamIdToCursor({ ms: MAX_CURSOR_MS, seq: CURSOR_SEQ_PER_MS - 1 }))).toBe(true);
    expect(Number.isSafeInteger(streamIdToCursor({ ms: MAX_CURSOR_MS + 1, seq: 0 }))).toBe(false);
  });

  it('stores only envelope bytes, the admission key and counters, under one hash tag per room', async () => {
    const a = await store({ keyPrefix: 'layout' });
    const room = newRoom();
    const key = randomBytes(32);
    await a.claimAdmissionKey(room, key);
    const bytes = randomBytes(40);
    const cursor = await a.append(room, bytes, Date.now());
    const raw = new Redis(server!.url);
    try {
      const keys = (await raw.keys('layout:*')).sort();
      expect(keys).toEqual([`layout:{${room}}:key`, `layout:{${room}}:log`, `layout:{${room}}:meta`]);
      expect(await raw.getBuffer(`layout:{${room}}:key`)).toEqual(key);
      const entries = await raw.xrangeBuffer(`layout:{${room}}:log`, '-', '+');
      expect(entries).toHaveLength(1);
      const [id, fields] = entries[0]!;
      const { ms, seq } = cursorToStreamId(cursor);
      expect(id.toString()).toBe(`${ms}-${seq}`);
      expect(fields).toEqual([Buffer.from('e'), bytes]);
      expect(Object.keys(await raw.hgetall(`layout:{${room}}:meta`)).sort()).toEqual(['bytes', 'head']);
      // Every key expires: nothing stays in Redis forever once a room goes idle.
      for (const name of keys) expect(await raw.pttl(name)).toBeGreaterThan(0);
    } finally {
      raw.disconnect();
    }
  });

  it('fans out between processes exactly once, in order, only to subscribed processes', async () => {
    const [a, b, c] = [await store(), await store(), await store()];
    const room = newRoom();
    const received = new Map<RedisRoomStore, string[]>([
      [a, []],
      [b, []],
      [c, []],
    ]);
    for (const [target, list] of received) {
      target.onRemoteEnvelope((r, _cursor, bytes) => {
        if (r === room) list.push(new TextDecoder().decode(bytes));
      });
    }
    await a.subscribe(room);
    await b.subscribe(room);
    // c has no members in the room: it must not hear it.
    const sent: string[] = [];
    for (let index = 0; index < 30; index += 1) {
      const from = index % 2 === 0 ? a : b;
      const text = `${from === a ? 'a' : 'b'}${index}`;
      sent.push(text);
      await from.append(room, new TextEncoder().encode(text), Date.now());
    }
    await eventually(() => received.get(a)!.length === 15 && received.get(b)!.length === 15, 'fan-out');
    expect(received.get(a)).toEqual(sent.filter((text) => text.startsWith('b')));
    expect(received.get(b)).toEqual(sent.filter((text) => text.startsWith('a')));
    expect(received.get(c)).toEqual([]);
    // Two joins in one process need two leaves.
    await b.subscribe(room);
    await b.unsubscribe(room);
    await a.append(room, new TextEncoder().encode('still b'), Date.now());
    await eventually(() => received.get(b)!.length === 16, 'delivery after one of two leaves');
    await b.unsubscribe(room);
    await a.append(room, new TextEncoder().encode('b left'), Date.now());
    await a.unsubscribe(room);
    await c.subscribe(room);
    await a.append(room, new TextEncoder().encode('to c'), Date.now());
    await eventually(() => received.get(c)!.length === 1, 'delivery to c');
    expect(received.get(b)).toHaveLength(16);
  });

  it('shares cursors and catch-up between processes', async () => {
    const [a, b] = [await store(), await store()];
    const room = newRoom();
    const first = await a.append(room, new TextEncoder().encode('one'), Date.now());
    const second = await b.append(room, new TextEncoder().encode('two'), Date.now());
    expect(second).toBeGreaterThan(first);
    const fromA = await a.readAfter(room, 0, 10, Date.now());
    const fromB = await b.readAfter(room, 0, 10, Date.now());
    expect(fromA).toEqual(fromB);
    expect(fromA.entries.map((entry) => entry.cursor)).toEqual([first, second]);
  });

  it('replays, once and in order, what was published while only its subscriber was cut off', async () => {
    // a's subscriber waits a full second before reconnecting, so b's appends below
    // certainly fall into the window where a hears nothing live.
    const a = await store({ redisOptions: { retryStrategy: () => 1_000 } });
    const b = await store();
    const room = newRoom();
    const heard: { cursor: number; text: string }[] = [];
    a.onRemoteEnvelope((_room, cursor, bytes) => heard.push({ cursor, text: new TextDecoder().decode(bytes) }));
    await a.subscribe(room);
    await b.subscribe(room);
    const acked = [await b.append(room, new TextEncoder().encode('live'), Date.now())];
    await eventually(() => heard.length === 1, 'live delivery');
    const raw = new Redis(server!.url);
    try {
      // Drops every pub/sub connection (both stores' subscribers), nothing else.
      expect(Number(await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub'))).toBeGreaterThanOrEqual(2);
    } finally {
      raw.disconnect();
    }
    await eventually(() => !a.stats().backendUp, 'a reports its subscriber down');
    const mine = await a.append(room, new TextEncoder().encode('own, while cut off'), Date.now());
    for (const text of ['missed-1', 'missed-2', 'missed-3']) acked.push(await b.append(room, new TextEncoder().encode(text), Date.now()));
    await eventually(() => heard.length === 4, 'replayed deliveries');
    acked.push(await b.append(room, new TextEncoder().encode('live again'), Date.now()));
    await eventually(() => heard.length === 5, 'live delivery after the replay');
    expect(heard.map((entry) => entry.text)).toEqual(['live', 'missed-1', 'missed-2', 'missed-3', 'live again']);
    expect(heard.map((entry) => entry.cursor)).toEqual(acked);
    expect(heard.some((entry) => entry.cursor === mine)).toBe(false);
  });

  it('never delivers a cursor twice: a late pub/sub copy of what a replay already read is dropped', async () => {
    // After an outage the replay reads the stream; an envelope appended just before that
    // read can still be on its way over pub/sub when the replay ends. Simulated here by
    // publishing a second copy of an envelope a has already delivered.
    const [a, b] = [await store({ keyPrefix: 'late' }), await store({ keyPrefix: 'late' })];
    const room = newRoom();
    const heard: number[] = [];
    a.onRemoteEnvelope((_room, cursor) => heard.push(cursor));
    await a.subscribe(room);
    const first = await b.append(room, new TextEncoder().encode('one'), Date.now());
    await eventually(() => heard.length === 1, 'first delivery');
    const raw = new Redis(server!.url);
    try {
      const { ms, seq } = cursorToStreamId(first);
      const late = Buffer.concat([randomBytes(ORIGIN_ID_BYTES), Buffer.from(`${ms}-${seq}\n`), Buffer.from('one')]);
      await raw.call('SPUBLISH', `late:{${room}}:fanout`, late);
    } finally {
      raw.disconnect();
    }
    const second = await b.append(room, new TextEncoder().encode('two'), Date.now());
    await eventually(() => heard.includes(second), 'second delivery');
    expect(heard).toEqual([first, second]);
  });

  it('fails to start with a clear error when Redis is unreachable', async () => {
    await expect(
      createRedisStore({
        url: 'redis://127.0.0.1:1',
        retention: RETENTION,
        redisOptions: { retryStrategy: () => null },
      }),
    ).rejects.toMatchObject({ code: BACKEND_UNAVAILABLE });
  });
});

describe.skipIf(!available)('RedisRoomStore across a Redis restart', () => {
  let durable: RedisServerHandle | undefined;
  beforeAll(async () => {
    // AOF with fsync on every write: what the deployment guide recommends when
    // acknowledged envelopes must survive a Redis crash.
    durable = await startRedisServer({ appendOnly: true });
  });
  afterAll(async () => {
    await durable?.dispose();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((opened) => opened.close()));
  });

  it('relies on ioredis autoResubscribe to restore SSUBSCRIBE after Redis restarts', async () => {
    const subscriber = new Redis(durable!.url, { retryStrategy: () => 50 });
    const publisher = new Redis(durable!.url, { retryStrategy: () => 50 });
    try {
      const heard: string[] = [];
      subscriber.on('smessage', (_channel: string, message: string) => heard.push(message));
      await subscriber.ssubscribe('probe:{x}:fanout');
      await publisher.spublish('probe:{x}:fanout', 'one');
      await eventually(() => heard.length === 1, 'first message');
      await durable!.restart();
      // No SSUBSCRIBE from us after the restart: only the library can have restored it.
      await eventually(async () => {
        if (publisher.status !== 'ready') return false;
        return (await publisher.spublish('probe:{x}:fanout', 'two')) === 1;
      }, 'the subscription to come back');
      await eventually(() => heard.includes('two'), 'message after restart');
    } finally {
      subscriber.disconnect();
      publisher.disconnect();
    }
  });

  it('reports the outage, refuses appends with a code, then resubscribes and replays what it missed', async () => {
    const changes: boolean[] = [];
    const options = { url: durable!.url, retention: RETENTION };
    const a = await createRedisStore({ ...options, onBackendChange: (up) => changes.push(up) });
    const b = await createRedisStore(options);
    opened.push(a, b);
    const room = newRoom();
    const heardByA: string[] = [];
    a.onRemoteEnvelope((_room, _cursor, bytes) => heardByA.push(new TextDecoder().decode(bytes)));
    await a.subscribe(room);
    await b.subscribe(room);
    const acked: number[] = [];
    acked.push(await b.append(room, new TextEncoder().encode('before'), Date.now()));
    await eventually(() => heardByA.length === 1, 'first delivery');

    await durable!.stop(true);
    await eventually(() => !a.stats().backendUp && !b.stats().backendUp, 'backendUp = false');
    expect(changes).toContain(false);
    await expect(b.append(room, new TextEncoder().encode('lost?'), Date.now())).rejects.toMatchObject({
      code: BACKEND_UNAVAILABLE,
    });

    await durable!.restart();
    await eventually(() => b.stats().backendUp, 'b reconnects');
    // b may be back before a's subscriber: whatever b appends now reaches a either live
    // or through a's replay from the stream, once, in order.
    for (const text of ['after-1', 'after-2', 'after-3']) {
      acked.push(await b.append(room, new TextEncoder().encode(text), Date.now()));
    }
    await eventually(() => heardByA.length === 4, 'delivery after restart');
    expect(heardByA).toEqual(['before', 'after-1', 'after-2', 'after-3']);
    expect(changes.at(-1)).toBe(true);
    await eventually(() => a.stats().backendUp, 'a reconnects');
    const page = await a.readAfter(room, 0, 100, Date.now());
    expect(page.entries.map((entry) => entry.cursor)).toEqual(acked);
    expect(page.trimmedUpTo).toBe(0);

    // And live fan-out works again in both directions.
    const heardByB: string[] = [];
    b.onRemoteEnvelope((_room, _cursor, bytes) => heardByB.push(new TextDecoder().decode(bytes)));
    await a.append(room, new TextEncoder().encode('from a'), Date.now());
    await eventually(() => heardByB.length === 1, 'delivery a → b');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heardByA).toHaveLength(4);
  });
});
