/**
 * Several real relay processes (the CLI, `--redis`) sharing one real redis-server, driven
 * by raw WebSocket clients speaking PROTOCOL.md Part A. Issue 7's "Tests" list, one
 * test each.
 *
 * The relays run from the TypeScript sources through tsx (the same `main` the bin
 * calls), so the suite needs no build and never tests a stale dist/.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, expectJoined, newRoom, publishFrame, type AckFrame, type EnvelopeFrame, type Json, type Room } from './helpers/client.js';
import { redisAvailability, startRedisServer, type RedisServerHandle } from './support/redis-server.js';
import { startRelayChild, stopAllRelayChildren, stopRelayChild, type RelayChild } from './support/relay-cluster.js';

const { available } = redisAvailability();
/** Upper bound for any awaited condition; each wait ends as soon as it holds. */
const EVENTUALLY_MS = 20_000;
const POLL_MS = 20;
/** Request ids this file picks itself, far from the helper client's own counter. */
let nextRequestId = 1_000_000;

async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + EVENTUALLY_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** A client that remembers every envelope frame it received, in arrival order. */
class Member {
  readonly acked: { cursor: number; text: string }[] = [];
  lastCursor = 0;
  constructor(
    public client: TestClient,
    readonly name: string,
  ) {}

  static async join(relay: RelayChild, room: Room, name: string): Promise<Member> {
    const client = await TestClient.connect(relay.wsUrl);
    expectJoined(await client.join(room));
    return new Member(client, name);
  }

  /** Publishes; resolves with the ack's cursor, or the error code it was refused with. */
  async publish(room: Room, text: string): Promise<{ cursor: number } | { code: string }> {
    const id = nextRequestId++;
    this.client.sendBinary(publishFrame(room.id, id, new TextEncoder().encode(text)));
    const answer = await this.client.take(
      (item): item is { json: Json } | { ack: AckFrame } =>
        ('ack' in item && item.ack.id === id) || ('json' in item && item.json.t === 'error' && item.json.id === id),
      `answer to ${text}`,
    );
    if ('json' in answer) return { code: answer.json.code as string };
    const cursor = answer.ack.cursor;
    this.acked.push({ cursor, text });
    this.lastCursor = Math.max(this.lastCursor, cursor);
    return { cursor };
  }

  received(kind?: EnvelopeFrame['kind']): { cursor: number; text: string }[] {
    return this.client
      .frames()
      .filter((frame) => kind === undefined || frame.kind === kind)
      .map((frame) => ({ cursor: frame.cursor, text: frame.envelope.toString('utf8') }));
  }
}

function senderOf(text: string): string {
  return text.split('#')[0]!;
}

/** Every text appears once, and each sender's texts in the order that sender sent them. */
function expectExactlyOnceInSenderOrder(received: string[], expected: string[]): void {
  expect([...received].sort()).toEqual([...expected].sort());
  const senders = new Set(expected.map(senderOf));
  for (const sender of senders) {
    expect(received.filter((text) => senderOf(text) === sender)).toEqual(expected.filter((text) => senderOf(text) === sender));
  }
}

async function healthOf(relay: RelayChild): Promise<{ status: string }> {
  const response = await fetch(`${relay.url}/healthz`);
  return (await response.json()) as { status: string };
}

async function storeUpMetric(relay: RelayChild): Promise<string | undefined> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  return /^sealroom_store_up (\d)/m.exec(text)?.[1];
}

describe.skipIf(!available)('relay processes sharing one Redis', () => {
  let redis: RedisServerHandle;
  let relays: RelayChild[];

  beforeAll(async () => {
    // AOF with fsync always, so the restart test can kill Redis without losing what
    // was acknowledged (docs/DEPLOYMENT.md §4).
    redis = await startRedisServer({ appendOnly: true });
    relays = await Promise.all([0, 1, 2].map(() => startRelayChild(redis.url)));
  });

  afterAll(async () => {
    await stopAllRelayChildren();
    await redis?.dispose();
  });

  it('lets clients on three processes converse: every message exactly once, in each sender’s order', async () => {
    const room = newRoom();
    const members: Member[] = [];
    for (const [index, relay] of relays.entries()) {
      members.push(await Member.join(relay, room, `r${index}a`), await Member.join(relay, room, `r${index}b`));
    }
    const perMember = 15;
    await Promise.all(
      members.map(async (member) => {
        for (let seq = 0; seq < perMember; seq += 1) {
          const result = await member.publish(room, `${member.name}#${seq}#${randomBytes(6).toString('hex')}`);
          expect(result).toHaveProperty('cursor');
        }
      }),
    );
    const all = members.flatMap((member) => member.acked);
    const cursorOf = new Map(all.map((entry) => [entry.text, entry.cursor]));
    expect(new Set(cursorOf.values()).size).toBe(all.length);
    // One counter for the room across processes: cursors 1, 2, 3, … with no hole.
    expect([...cursorOf.values()].sort((x, y) => x - y)).toEqual(all.map((_, index) => index + 1));
    for (const member of members) {
      const expected = all.filter((entry) => senderOf(entry.text) !== member.name).map((entry) => entry.text);
      await eventually(() => member.received('deliver').length >= expected.length || undefined, `${member.name}'s deliveries`);
      await member.client.sync();
      const received = member.received('deliver');
      expectExactlyOnceInSenderOrder(
        received.map((entry) => entry.text),
        expected,
      );
      // The cursor a receiver sees is the one the sender was acknowledged with.
      for (const entry of received) expect(entry.cursor).toBe(cursorOf.get(entry.text));
      // Each sender's acks strictly increase.
      for (let index = 1; index < member.acked.length; index += 1) {
        expect(member.acked[index]!.cursor).toBeGreaterThan(member.acked[index - 1]!.cursor);
      }
    }
    console.log(
      `[redis-relay] 3 processes, ${members.length} clients, ${all.length} messages, ${all.length * (members.length - 1)} deliveries, each exactly once`,
    );

    // A process is sent a room's envelopes only while it has members there.
    const raw = new Redis(redis.url);
    const listeners = async () => raw.hlen(`sealroom:{${room.key}}:procs`);
    try {
      expect(await listeners()).toBe(3);
      for (const member of members.slice(4)) member.client.close();
      await eventually(async () => (await listeners()) === 2 || undefined, 'the third process to unsubscribe');
      for (const member of members.slice(0, 4)) member.client.close();
      await eventually(async () => (await listeners()) === 0 || undefined, 'every process to unsubscribe');
    } finally {
      raw.disconnect();
    }
  });

  it('enforces retention by count and by age across processes and reports the gap', async () => {
    const retentionArgs = ['--retention-count', '5', '--retention-age', '1500ms'];
    const [writer, reader] = await Promise.all([startRelayChild(redis.url, retentionArgs), startRelayChild(redis.url, retentionArgs)]);
    const countRoom = newRoom();
    const sender = await Member.join(writer, countRoom, 'w');
    for (let index = 0; index < 12; index += 1) await sender.publish(countRoom, `w#${index}`);
    const late = await TestClient.connect(reader.wsUrl);
    expectJoined(await late.join(countRoom));
    late.send({ v: 2, t: 'history', room: countRoom.key, after: 0 });
    const gap = await late.json('gap');
    const end = await late.json('history-end');
    const history = late.frames().filter((frame) => frame.kind === 'history');
    expect(history.map((frame) => frame.envelope.toString())).toEqual(['w#7', 'w#8', 'w#9', 'w#10', 'w#11']);
    expect(history.map((frame) => frame.cursor)).toEqual(sender.acked.slice(7).map((entry) => entry.cursor));
    expect(gap).toMatchObject({ after: 0, upTo: sender.acked[6]!.cursor });
    expect(end).toMatchObject({ head: sender.acked[11]!.cursor, more: false });

    const ageRoom = newRoom();
    const aged = await Member.join(writer, ageRoom, 'a');
    await aged.publish(ageRoom, 'a#0');
    await aged.publish(ageRoom, 'a#1');
    // Past the 1.5 s age limit (a wait for retention to apply, not a speed assertion).
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    const reading = await TestClient.connect(reader.wsUrl);
    expectJoined(await reading.join(ageRoom));
    reading.send({ v: 2, t: 'history', room: ageRoom.key, after: aged.acked[0]!.cursor - 1 });
    expect(await reading.json('gap')).toMatchObject({ upTo: aged.acked[1]!.cursor });
    await reading.json('history-end');
    expect(reading.frames()).toEqual([]);
    for (const client of [sender.client, late, aged.client, reading]) client.close();
    await Promise.all([writer, reader].map((relay) => stopRelayChild(relay, 'SIGTERM')));
  });

  it('survives hostile input in Redis mode: random frames leave both processes relaying', async () => {
    const room = newRoom();
    const alice = await Member.join(relays[0]!, room, 'alice');
    const bob = await Member.join(relays[1]!, room, 'bob');
    const attacker = await TestClient.connect(relays[0]!.wsUrl);
    const hostile = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 200 }).map((bytes) => ({ binary: true as const, data: bytes })),
      fc.string({ maxLength: 200 }).map((text) => ({ binary: false as const, data: text })),
      fc.jsonValue().map((value) => ({ binary: false as const, data: JSON.stringify(value) })),
      fc
        .record(
          {
            v: fc.oneof(fc.constant(1), fc.integer()),
            t: fc.constantFrom('join', 'prove', 'history', 'leave', 'retention', 'ping', 'nope'),
            room: fc.oneof(fc.constant(room.key), fc.string()),
            after: fc.oneof(fc.integer(), fc.double(), fc.string()),
            mac: fc.string(),
          },
          { requiredKeys: ['v', 't'] },
        )
        .map((value) => ({ binary: false as const, data: JSON.stringify(value) })),
      // PUBLISH headers to the real room id from a connection that never joined it.
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((tail) => ({ binary: true as const, data: publishFrame(room.id, 7, tail) })),
    );
    const frames = fc.sample(hostile, { numRuns: 300, seed: 7 });
    for (const frame of frames) {
      if (attacker.ws.readyState !== attacker.ws.OPEN) break;
      if (frame.binary) attacker.sendBinary(frame.data);
      else attacker.send(frame.data);
    }
    await attacker.sync().catch(() => undefined);
    attacker.close();
    // The room is untouched by the attacker: alice and bob still converse, across processes.
    for (let index = 0; index < 5; index += 1) {
      await alice.publish(room, `alice#${index}`);
      await bob.publish(room, `bob#${index}`);
    }
    await eventually(() => (alice.received().length === 5 && bob.received().length === 5) || undefined, 'clean deliveries');
    expect(alice.received().map((entry) => entry.text)).toEqual(['bob#0', 'bob#1', 'bob#2', 'bob#3', 'bob#4']);
    expect(bob.received().map((entry) => entry.text)).toEqual(['alice#0', 'alice#1', 'alice#2', 'alice#3', 'alice#4']);
    for (const relay of relays) expect((await healthOf(relay)).status).toBe('ok');
    alice.client.close();
    bob.client.close();
  });

  it('kills one process mid-conversation: its clients reconnect elsewhere and catch up with nothing lost', async () => {
    const room = newRoom();
    const a = await Member.join(relays[0]!, room, 'a');
    const b = await Member.join(relays[1]!, room, 'b');
    const c = await Member.join(relays[2]!, room, 'c');
    const say = async (member: Member, count: number, from: number) => {
      for (let seq = from; seq < from + count; seq += 1) expect(await member.publish(room, `${member.name}#${seq}`)).toHaveProperty('cursor');
    };
    await Promise.all([say(a, 5, 0), say(b, 5, 0), say(c, 5, 0)]);
    await eventually(() => c.received().length >= 10 || undefined, 'c before the kill');
    const cSeenBefore = c.received();

    // a and b keep talking while c's process dies under it.
    const talking = Promise.all([say(a, 10, 5), say(b, 10, 5)]);
    await stopRelayChild(relays[2]!, 'SIGKILL');
    const closed = await c.client.closed;
    expect(closed.code).toBe(1006);
    await talking;

    // c reconnects through "the load balancer" to another process and catches up after
    // the last cursor it had, as a client does after any reconnect.
    const after = Math.max(c.lastCursor, ...cSeenBefore.map((entry) => entry.cursor));
    c.client = await TestClient.connect(relays[0]!.wsUrl);
    expectJoined(await c.client.join(room));
    const caughtUp: { cursor: number; text: string }[] = [];
    for (let from = after, more = true; more;) {
      c.client.send({ v: 2, t: 'history', room: room.key, after: from });
      const end = await c.client.json('history-end');
      const page = c.client.frames().filter((frame) => frame.kind === 'history' && frame.cursor > from);
      for (const frame of page) caughtUp.push({ cursor: frame.cursor, text: frame.envelope.toString() });
      from = page.at(-1)?.cursor ?? from;
      more = end.more === true;
    }
    expect(c.client.inbox.some((item) => 'json' in item && item.json.t === 'gap')).toBe(false);
    await say(c, 3, 5);
    await say(a, 2, 15);

    const everything = [...a.acked, ...b.acked, ...c.acked];
    // c: before the kill + catch-up + live afterwards = everything by others, once each.
    const lastByA = a.acked.at(-1)!.cursor;
    await eventually(() => c.received('deliver').some((entry) => entry.cursor === lastByA) || undefined, "c's live deliveries");
    await c.client.sync();
    const cLive = c.received('deliver').filter((entry) => entry.cursor > after);
    const cCursors = [...cSeenBefore, ...caughtUp, ...cLive].map((entry) => entry.cursor);
    const cUnique = new Map([...cSeenBefore, ...caughtUp, ...cLive].map((entry) => [entry.cursor, entry.text]));
    const othersForC = everything.filter((entry) => senderOf(entry.text) !== 'c');
    expect([...cUnique.values()].sort()).toEqual(othersForC.map((entry) => entry.text).sort());
    // Catch-up and live may overlap only on envelopes accepted between join and the
    // history request (the relay says so in PROTOCOL.md); nothing else repeats.
    const repeats = cCursors.length - cUnique.size;
    expect(repeats).toBeLessThanOrEqual(cLive.length);
    // a and b, who never lost their process, got everyone else's messages exactly once.
    for (const member of [a, b]) {
      const expected = everything.filter((entry) => senderOf(entry.text) !== member.name).map((entry) => entry.text);
      await eventually(() => member.received().length >= expected.length || undefined, `${member.name} deliveries`);
      await member.client.sync();
      expectExactlyOnceInSenderOrder(
        member.received().map((entry) => entry.text),
        expected,
      );
    }
    console.log(`[redis-relay] killed 1 of 3 processes mid-conversation; c caught up ${caughtUp.length} envelopes from another process, 0 lost`);
    for (const member of [a, b, c]) member.client.close();
  });

  it('restarts Redis mid-conversation: health shows it, delivery resumes, nothing acknowledged is lost', async () => {
    const room = newRoom();
    const a = await Member.join(relays[0]!, room, 'a');
    const b = await Member.join(relays[1]!, room, 'b');
    for (let seq = 0; seq < 3; seq += 1) {
      await a.publish(room, `a#${seq}`);
      await b.publish(room, `b#${seq}`);
    }
    await redis.stop(true);
    for (const relay of relays.slice(0, 2)) {
      await eventually(async () => (await healthOf(relay)).status === 'degraded' || undefined, '/healthz degraded');
      expect(await storeUpMetric(relay)).toBe('0');
    }
    // Refused with a code while Redis is away; never acknowledged, never delivered.
    expect(await a.publish(room, 'a#refused')).toEqual({ code: 'UNAVAILABLE' });

    await redis.restart();
    // Clients retry what was refused, as their outbox would, until Redis is back.
    const retry = async (member: Member, text: string) =>
      eventually(async () => ('cursor' in (await member.publish(room, text)) ? true : undefined), `${text} accepted`);
    await retry(a, 'a#3');
    await retry(b, 'b#3');
    for (let seq = 4; seq < 8; seq += 1) {
      await a.publish(room, `a#${seq}`);
      await b.publish(room, `b#${seq}`);
    }
    for (const relay of relays.slice(0, 2)) {
      await eventually(async () => (await healthOf(relay)).status === 'ok' || undefined, '/healthz ok');
      expect(await storeUpMetric(relay)).toBe('1');
    }
    for (const [member, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const expected = other.acked.map((entry) => entry.text);
      await eventually(() => member.received().length >= expected.length || undefined, `${member.name} deliveries`);
      await member.client.sync();
      expectExactlyOnceInSenderOrder(
        member.received().map((entry) => entry.text),
        expected,
      );
    }
    // Catch-up from scratch on either process holds every acknowledged envelope.
    const acked = [...a.acked, ...b.acked].sort((x, y) => x.cursor - y.cursor);
    for (const relay of relays.slice(0, 2)) {
      const fresh = await TestClient.connect(relay.wsUrl);
      expectJoined(await fresh.join(room));
      fresh.send({ v: 2, t: 'history', room: room.key, after: 0 });
      await fresh.json('history-end');
      expect(fresh.frames().map((frame) => ({ cursor: frame.cursor, text: frame.envelope.toString() }))).toEqual(acked);
      fresh.close();
    }
    console.log(`[redis-relay] Redis killed and restarted mid-conversation; ${acked.length} acknowledged envelopes all retained and delivered once`);
    a.client.close();
    b.client.close();
  });
});
