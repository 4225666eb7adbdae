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
import { cursorOfStreamId, parseCursor, streamStartAfter } from '../src/redis/cursor.js';
import type { RoomStore } from '../src/store.js';
import { newRoom, runStoreContract, type ContractRetention } from './store-contract.js';
import { redisAvailability, startRedisServer, type RedisServerHandle } from './support/redis-server.js';

const { available } = redisAvailability();
const RETENTION: ContractRetention = { maxEnvelopes: 1_000, maxBytes: 16 * 1024 * 1024, maxAgeMs: 60 * 60 * 1000, maxPinned: 8 };
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

  const contractStore = (retention: ContractRetention): Promise<RedisRoomStore> => {
    if (!server) throw new Error('no redis-server');
    return createRedisStore({ url: server.url, retention });
  };
  runStoreContract('redis', contractStore, {
    // What the keys' idle TTLs do to a room nobody used for 30 days.
    forget: async (_store: RoomStore, room: string) => {
      const raw = new Redis(server!.url);
      try {
        await raw.del(...['key', 'meta', 'log', 'pins'].map((part) => `sealroom:{${room}}:${part}`));
      } finally {
        raw.disconnect();
      }
    },
    // Another relay process (or the same one restarted) over the same Redis.
    restart: {
      history: 'kept',
      reopen: async (store, retention) => {
        await store.close();
        return contractStore(retention);
      },
    },
  });

  it('writes cursors as decimal text: stream ids `<cursor>-0`, nothing else accepted', () => {
    expect(streamStartAfter(0)).toBe('-');
    expect(streamStartAfter(41)).toBe('(41-0');
    expect(cursorOfStreamId('41-0')).toBe(41);
    expect(cursorOfStreamId(`${Number.MAX_SAFE_INTEGER}-0`)).toBe(Number.MAX_SAFE_INTEGER);
    for (const bad of ['41-1', '41', '-0', '1e3-0', `${Number.MAX_SAFE_INTEGER + 1}-0`, '12345678901234567-0']) expect(cursorOfStreamId(bad)).toBeUndefined();
    expect(parseCursor('007')).toBe(7);
    for (const bad of ['', '-1', '1.5', ' 1', '99999999999999999']) expect(parseCursor(bad)).toBeUndefined();
  });

  it('stores only envelope bytes, the admission key, the epoch and counters, under one hash tag per room', async () => {
    const a = await store({ keyPrefix: 'layout' });
    const room = newRoom();
    const key = randomBytes(32);
    await a.claimAdmissionKey(room, key, 60_000);
    const bytes = randomBytes(40);
    const pinnedBytes = randomBytes(30);
    const now = Date.now();
    expect(await a.append(room, bytes, now)).toBe(1);
    expect(await a.appendPinned(room, pinnedBytes, now)).toEqual({ ok: true, cursor: 2 });
    const raw = new Redis(server!.url);
    try {
      const keys = (await raw.keys('layout:*')).sort();
      expect(keys).toEqual([`layout:{${room}}:key`, `layout:{${room}}:log`, `layout:{${room}}:meta`, `layout:{${room}}:pins`]);
      expect(await raw.getBuffer(`layout:{${room}}:key`)).toEqual(key);
      const entries = await raw.xrangeBuffer(`layout:{${room}}:log`, '-', '+');
      expect(entries).toHaveLength(1);
      const [id, fields] = entries[0]!;
      expect(id.toString()).toBe('1-0');
      expect(fields).toEqual([Buffer.from('t'), Buffer.from(String(now)), Buffer.from('e'), bytes]);
      expect(await raw.hgetallBuffer(`layout:{${room}}:pins`)).toEqual({ 2: pinnedBytes });
      const meta = await raw.hgetall(`layout:{${room}}:meta`);
      expect(Object.keys(meta).sort()).toEqual(['bytes', 'epoch', 'head', 'lastT', 'logged', 'maxAge', 'pinnedBytes', 'trimmed']);
      expect(meta).toMatchObject({ head: '2', logged: '1', trimmed: '0', bytes: '40', pinnedBytes: '30', maxAge: '60000' });
      // Every key expires: nothing stays in Redis forever once a room goes idle.
      for (const name of keys) expect(await raw.pttl(name)).toBeGreaterThan(0);
    } finally {
      raw.disconnect();
    }
  });

  it('starts a new incarnation when a registered room’s metadata is gone, never reusing a cursor under the old epoch', async () => {
    const a = await store({ keyPrefix: 'lost' });
    const room = newRoom();
    await a.claimAdmissionKey(room, randomBytes(32), 60_000);
    for (let i = 0; i < 3; i += 1) await a.append(room, randomBytes(8), Date.now());
    const before = await a.readAfter(room, 0, 10, Date.now());
    const raw = new Redis(server!.url);
    try {
      // What a Redis that lost part of its data leaves: the key, nothing else.
      await raw.del(`lost:{${room}}:meta`, `lost:{${room}}:log`);
    } finally {
      raw.disconnect();
    }
    const after = await a.readAfter(room, 0, 10, Date.now());
    expect(after).toMatchObject({ entries: [], head: 0 });
    expect(after.epoch).toBeDefined();
    expect(after.epoch).not.toBe(before.epoch);
    expect(await a.append(room, randomBytes(8), Date.now())).toBe(1);
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
      const late = Buffer.concat([randomBytes(ORIGIN_ID_BYTES), Buffer.from(`${first}\n`), Buffer.from('one')]);
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
    await b.claimAdmissionKey(room, randomBytes(32), RETENTION.maxAgeMs);
    acked.push(await b.append(room, new TextEncoder().encode('before'), Date.now()));
    await eventually(() => heardByA.length === 1, 'first delivery');
    const epochBefore = (await a.readAfter(room, 0, 1, Date.now())).epoch;
    expect(epochBefore).toBeDefined();

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
    // With AOF nothing acknowledged was lost: the same incarnation, cursors still contiguous.
    expect(acked).toEqual([1, 2, 3, 4]);
    expect(page.epoch).toBe(epochBefore);
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
