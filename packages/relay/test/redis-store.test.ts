/**
 * The Redis store against a real redis-server: the shared contract, then what only a
 * shared backend has — several processes' stores on one Redis, key layout, outages.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_UNAVAILABLE } from '../src/redis/connections.js';
import { createRedisStore, type RedisRoomStore, type RedisStoreOptions } from '../src/redis/store.js';
import { cursorOfStreamId, parseCursor, streamStartAfter } from '../src/redis/cursor.js';
import type { RoomState, RoomStore } from '../src/store.js';
import { encodeFanout } from '../src/redis/fanout.js';
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
      expect(Object.keys(meta).sort()).toEqual(['bytes', 'epoch', 'firstT', 'head', 'lastT', 'logged', 'maxAge', 'pinnedBytes', 'touched', 'trimmed']);
      expect(meta).toMatchObject({
        head: '2',
        logged: '1',
        trimmed: '0',
        bytes: '40',
        pinnedBytes: '30',
        maxAge: '60000',
        firstT: String(now),
        lastT: String(now),
      });
      // A process with members in the room is listed by its random id, nothing else.
      await a.subscribe(room);
      const processes = await raw.hgetall(`layout:{${room}}:procs`);
      expect(Object.values(processes)).toEqual(['1']);
      expect(Object.keys(processes)[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
      // Every key expires: nothing stays in Redis forever once a room goes idle.
      for (const name of [...keys, `layout:{${room}}:procs`]) expect(await raw.pttl(name)).toBeGreaterThan(0);
      await a.unsubscribe(room);
      await eventually(async () => (await raw.exists(`layout:{${room}}:procs`)) === 0, 'the process off the room');
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

  it('fans out between processes exactly once, in order, only to processes with members in the room, never back to the sender', async () => {
    const [a, b, c] = [await store(), await store(), await store()];
    const room = newRoom();
    await a.claimAdmissionKey(room, randomBytes(32), RETENTION.maxAgeMs);
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

  it('sends each process one message per batch of appends, whatever the number of rooms and envelopes in it', async () => {
    const [a, b] = [await store({ keyPrefix: 'batch' }), await store({ keyPrefix: 'batch' })];
    const rooms = [newRoom(), newRoom(), newRoom()];
    const heard: string[] = [];
    b.onRemoteEnvelope((room, cursor, bytes) => heard.push(`${rooms.indexOf(room)}:${cursor}:${new TextDecoder().decode(bytes)}`));
    for (const room of rooms) {
      await a.claimAdmissionKey(room, randomBytes(32), RETENTION.maxAgeMs);
      await a.subscribe(room);
      await b.subscribe(room);
    }
    const raw = new Redis(server!.url);
    const monitor = await raw.monitor();
    const publishes: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'publish') publishes.push(args[1]!);
    });
    try {
      // One turn: six appends over three rooms, one of them pinned.
      const cursors = await Promise.all([
        a.append(rooms[0]!, Buffer.from('x'), Date.now()),
        a.append(rooms[1]!, Buffer.from('y'), Date.now()),
        a.append(rooms[0]!, Buffer.from('z'), Date.now()),
        a.appendPinned(rooms[2]!, Buffer.from('p'), Date.now()),
        a.append(rooms[2]!, Buffer.from('q'), Date.now()),
        a.append(rooms[1]!, Buffer.from('w'), Date.now()),
      ]);
      expect(cursors).toEqual([1, 1, 2, { ok: true, cursor: 1 }, 2, 2]);
      await eventually(() => heard.length === 6, 'fan-out of the batch');
      expect(heard).toEqual(['0:1:x', '0:2:z', '1:1:y', '1:2:w', '2:1:p', '2:2:q']);
      await eventually(() => publishes.length >= 1, 'the PUBLISH seen by MONITOR');
      expect(publishes).toHaveLength(1);
      expect(publishes[0]).toMatch(/^batch:proc:[A-Za-z0-9_-]{22}$/);
    } finally {
      monitor.disconnect();
      raw.disconnect();
    }
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

  it('after its subscriber was cut off, tells the relay the head to read up to, and hears live envelopes again', async () => {
    // a's subscriber waits a full second before reconnecting, so b's appends below
    // certainly fall into the window where a hears nothing live.
    const a = await store({ redisOptions: { retryStrategy: () => 1_000 } });
    const b = await store();
    const room = newRoom();
    await b.claimAdmissionKey(room, randomBytes(32), RETENTION.maxAgeMs);
    const heard: { cursor: number; text: string }[] = [];
    const states: RoomState[] = [];
    a.onRemoteEnvelope((_room, cursor, bytes) => heard.push({ cursor, text: new TextDecoder().decode(bytes) }));
    a.onRoomState((_room, state) => states.push(state));
    await a.subscribe(room);
    await b.subscribe(room);
    const live = await b.append(room, new TextEncoder().encode('live'), Date.now());
    await eventually(() => heard.length === 1, 'live delivery');
    const { epoch } = await a.readAfter(room, 0, 0, Date.now());
    const raw = new Redis(server!.url);
    try {
      // Drops every pub/sub connection (both stores' subscribers), nothing else.
      expect(Number(await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub'))).toBeGreaterThanOrEqual(2);
    } finally {
      raw.disconnect();
    }
    await eventually(() => !a.stats().backendUp, 'a reports its subscriber down');
    const missed: number[] = [];
    for (const text of ['missed-1', 'missed-2', 'missed-3']) missed.push(await b.append(room, new TextEncoder().encode(text), Date.now()));
    await eventually(() => states.length > 0, 'the room’s state once a is back');
    // The relay reads up to this head itself (room-delivery.ts): the store never replays.
    expect(states).toEqual([{ epoch, head: missed.at(-1) }]);
    const again = await b.append(room, new TextEncoder().encode('live again'), Date.now());
    await eventually(() => heard.length === 2, 'live delivery after the outage');
    expect(heard).toEqual([
      { cursor: live, text: 'live' },
      { cursor: again, text: 'live again' },
    ]);
  });

  it('hands over a fan-out section only in the incarnation its members are in; another epoch makes it look', async () => {
    const [a, b] = [await store({ keyPrefix: 'epochs' }), await store({ keyPrefix: 'epochs' })];
    const room = newRoom();
    await a.claimAdmissionKey(room, randomBytes(32), RETENTION.maxAgeMs);
    const heard: number[] = [];
    const states: RoomState[] = [];
    a.onRemoteEnvelope((_room, cursor) => heard.push(cursor));
    a.onRoomState((_room, state) => states.push(state));
    const raw = new Redis(server!.url);
    await a.subscribe(room);
    // a's channel, named by its id in the room's processes.
    const [processA] = await raw.hkeys(`epochs:{${room}}:procs`);
    const channel = `epochs:proc:${processA}`;
    await b.subscribe(room);
    const first = await b.append(room, Buffer.from('one'), Date.now());
    await eventually(() => heard.length === 1, 'first delivery');
    const { epoch } = await a.readAfter(room, 0, 0, Date.now());
    try {
      // Nothing a's members could take: another incarnation, and malformed bytes.
      const forged = encodeFanout([{ room, epoch: 'SomeOtherEpoch', entries: [{ cursor: first + 1, envelope: Buffer.from('forged') }] }]);
      expect(await raw.publish(channel, forged)).toBe(1);
      expect(await raw.publish(channel, Buffer.from([1, 2, 3]))).toBe(1);
    } finally {
      raw.disconnect();
    }
    // Both make a look again: the room is in the incarnation it was, at the head it was.
    await eventually(() => states.length >= 1, 'a looked');
    expect(states.every((state) => state.epoch === epoch && state.head === first)).toBe(true);
    const second = await b.append(room, Buffer.from('two'), Date.now());
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

  it('relies on ioredis autoResubscribe to restore SUBSCRIBE after Redis restarts', async () => {
    const subscriber = new Redis(durable!.url, { retryStrategy: () => 50 });
    const publisher = new Redis(durable!.url, { retryStrategy: () => 50 });
    try {
      const heard: string[] = [];
      subscriber.on('message', (_channel: string, message: string) => heard.push(message));
      await subscriber.subscribe('probe:proc:x');
      await publisher.publish('probe:proc:x', 'one');
      await eventually(() => heard.length === 1, 'first message');
      await durable!.restart();
      // No SUBSCRIBE from us after the restart: only the library can have restored it.
      await eventually(async () => {
        if (publisher.status !== 'ready') return false;
        return (await publisher.publish('probe:proc:x', 'two')) === 1;
      }, 'the subscription to come back');
      await eventually(() => heard.includes('two'), 'message after restart');
    } finally {
      subscriber.disconnect();
      publisher.disconnect();
    }
  });

  it('reports the outage, refuses appends with a code, then registers again and names the head: with AOF nothing acknowledged is lost', async () => {
    const changes: boolean[] = [];
    const options = { url: durable!.url, retention: RETENTION };
    const a = await createRedisStore({ ...options, onBackendChange: (up) => changes.push(up) });
    const b = await createRedisStore(options);
    opened.push(a, b);
    const room = newRoom();
    const heardByA: { cursor: number; text: string }[] = [];
    const statesOfA: RoomState[] = [];
    a.onRemoteEnvelope((_room, cursor, bytes) => heardByA.push({ cursor, text: new TextDecoder().decode(bytes) }));
    a.onRoomState((_room, state) => statesOfA.push(state));
    await b.claimAdmissionKey(room, randomBytes(32), RETENTION.maxAgeMs);
    await a.subscribe(room);
    await b.subscribe(room);
    const acked: number[] = [];
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
    for (const text of ['after-1', 'after-2', 'after-3']) {
      acked.push(await b.append(room, new TextEncoder().encode(text), Date.now()));
    }
    await eventually(() => a.stats().backendUp && statesOfA.length > 0, 'a back, with the room’s state');
    expect(changes.at(-1)).toBe(true);
    // Every acknowledged cursor reached a live, or lies at or below the head a named to the
    // relay (which reads those from the stream): none is lost, none repeated, in order.
    const named = Math.max(...statesOfA.map((state) => state.head));
    await eventually(() => acked.every((cursor) => cursor <= named || heardByA.some((entry) => entry.cursor === cursor)), 'the rest live');
    const cursors = heardByA.map((entry) => entry.cursor);
    expect(cursors).toEqual([...new Set(cursors)].sort((x, y) => x - y));
    expect(statesOfA.every((state) => state.epoch === epochBefore)).toBe(true);
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
  });
});

describe.skipIf(!available)('RedisRoomStore when Redis loses its data', () => {
  let volatile: RedisServerHandle | undefined;
  beforeAll(async () => {
    // No persistence: a restart comes back empty.
    volatile = await startRedisServer();
  });
  afterAll(async () => {
    await volatile?.dispose();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((opened) => opened.close()));
  });

  const pair = async (): Promise<[RedisRoomStore, RedisRoomStore]> => {
    const options = { url: volatile!.url, retention: RETENTION };
    const made: [RedisRoomStore, RedisRoomStore] = [await createRedisStore(options), await createRedisStore(options)];
    opened.push(...made);
    return made;
  };

  it('registers the room again under the same key and retention, and tells each process the new incarnation', async () => {
    const [a, b] = await pair();
    const room = newRoom();
    const key = randomBytes(32);
    const maxAgeMs = 120_000;
    await a.claimAdmissionKey(room, key, maxAgeMs);
    const states = new Map<RedisRoomStore, RoomState[]>([
      [a, []],
      [b, []],
    ]);
    for (const [target, list] of states) target.onRoomState((_room, state) => list.push(state));
    await a.subscribe(room);
    await b.subscribe(room);
    await a.append(room, Buffer.from('gone with the data'), Date.now());
    const { epoch: before } = await a.readAfter(room, 0, 0, Date.now());

    await volatile!.stop(true);
    await volatile!.restart();
    await eventually(() => states.get(a)!.length > 0 && states.get(b)!.length > 0, 'both told');
    const after = states.get(a)!.at(-1)!;
    expect(after.epoch).toBeDefined();
    expect(after.epoch).not.toBe(before);
    expect(states.get(b)!.at(-1)!.epoch).toBe(after.epoch);
    expect(Buffer.from((await a.admissionKey(room))!)).toEqual(key);
    const raw = new Redis(volatile!.url);
    try {
      expect(await raw.hget(`sealroom:{${room}}:meta`, 'maxAge')).toBe(String(maxAgeMs));
    } finally {
      raw.disconnect();
    }
    // The room carries on in the new incarnation, from cursor 1, fanned out as before.
    const heard: number[] = [];
    b.onRemoteEnvelope((_room, cursor) => heard.push(cursor));
    expect(await a.append(room, Buffer.from('new'), Date.now())).toBe(after.head + 1);
    await eventually(() => heard.length === 1, 'fan-out in the new incarnation');
  });

  it('refuses an append meant for the old incarnation instead of storing it in the new one', async () => {
    const [a] = await pair();
    const room = newRoom();
    await a.claimAdmissionKey(room, randomBytes(32), RETENTION.maxAgeMs);
    await a.subscribe(room);
    const raw = new Redis(volatile!.url);
    try {
      // Another process registered the room again after losing it: a new incarnation.
      await raw.hset(`sealroom:{${room}}:meta`, 'epoch', 'Reborn');
    } finally {
      raw.disconnect();
    }
    const states: RoomState[] = [];
    a.onRoomState((_room, state) => states.push(state));
    await expect(a.append(room, Buffer.from('meant for the old one'), Date.now())).rejects.toMatchObject({ code: BACKEND_UNAVAILABLE });
    await eventually(() => states.length > 0, 'the new incarnation named');
    expect(states[0]).toMatchObject({ epoch: 'Reborn' });
    expect(await a.append(room, Buffer.from('now'), Date.now())).toBeGreaterThan(0);
  });

  it('starts a new incarnation when the room’s history went back below acknowledged cursors (AOF everysec losing its last second)', async () => {
    const [a, b] = await pair();
    const room = newRoom();
    const key = randomBytes(32);
    await a.claimAdmissionKey(room, key, 120_000);
    const statesOfA: RoomState[] = [];
    const statesOfB: RoomState[] = [];
    a.onRoomState((_room, state) => statesOfA.push(state));
    b.onRoomState((_room, state) => statesOfB.push(state));
    await a.subscribe(room);
    await b.subscribe(room);
    for (const text of ['one', 'two', 'three']) await a.append(room, Buffer.from(text), Date.now());
    const { epoch: before } = await a.readAfter(room, 0, 0, Date.now());
    const raw = new Redis(volatile!.url);
    try {
      // What a restart from an AOF written up to cursor 1 looks like: same epoch, head 1.
      await raw.xtrim(`sealroom:{${room}}:log`, 'MAXLEN', 1);
      await raw.hset(`sealroom:{${room}}:meta`, 'head', 1, 'logged', 1);
      // The restart cut every subscriber off.
      await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    } finally {
      raw.disconnect();
    }
    await eventually(() => statesOfA.length > 0 && statesOfB.length > 0, 'both told');
    const after = statesOfA.at(-1)!;
    expect(after.epoch).toBeDefined();
    expect(after.epoch).not.toBe(before);
    expect(after.head).toBe(0);
    expect(statesOfB.at(-1)).toEqual(after);
    // Cursors are never handed out twice under one epoch; key and retention age are kept.
    expect(await a.append(room, Buffer.from('new'), Date.now())).toBe(1);
    const page = await b.readAfter(room, 0, 10, Date.now());
    expect(page.epoch).toBe(after.epoch);
    expect(page.entries.map((entry) => Buffer.from(entry.envelope).toString())).toEqual(['new']);
    expect(Buffer.from((await a.admissionKey(room))!)).toEqual(key);
    const check = new Redis(volatile!.url);
    try {
      expect(await check.hget(`sealroom:{${room}}:meta`, 'maxAge')).toBe('120000');
    } finally {
      check.disconnect();
    }
  });

  it('says the room is lost when, after the data loss, another key registered it first', async () => {
    const [a, b] = await pair();
    const room = newRoom();
    await a.claimAdmissionKey(room, randomBytes(32), RETENTION.maxAgeMs);
    await a.subscribe(room);
    const states: RoomState[] = [];
    a.onRoomState((_room, state) => states.push(state));
    // Redis loses everything while both processes stay connected (FLUSHALL stands for a
    // restart faster than anyone noticed), so nothing makes a look before b's members
    // register the room first, under a key of their own.
    const raw = new Redis(volatile!.url);
    try {
      await raw.flushall();
    } finally {
      raw.disconnect();
    }
    await b.claimAdmissionKey(room, randomBytes(32), RETENTION.maxAgeMs);
    // a's next append finds another incarnation: refused, never stored in b's room.
    await expect(a.append(room, Buffer.from('meant for the old one'), Date.now())).rejects.toMatchObject({ code: BACKEND_UNAVAILABLE });
    await eventually(() => states.length > 0, 'a told');
    expect(states).toEqual([{ epoch: undefined, head: 0 }]);
    expect((await b.readAfter(room, 0, 10, Date.now())).head).toBe(0);
    // And a stays out: what its members publish is refused, not stored under b's key.
    await expect(a.append(room, Buffer.from('still refused'), Date.now())).rejects.toMatchObject({ code: BACKEND_UNAVAILABLE });
  });
});
