/**
 * Issue 14's Redis fault tests, with the client's own transport: relay processes (real
 * children, `--redis`) behind a round-robin balancer, one real redis-server, and a room
 * binding per member that records exactly what the transport hands it. Every test counts,
 * for every member, what others had acknowledged and it never got (lost), cursors handed
 * over twice (duplicated) and cursors handed over below an earlier one (reordered).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { randomBytes } from '@sealroom/protocol';
import { systemClock } from '../src/clock.js';
import type { WebSocketConstructor } from '../src/index.js';
import { RelayConnection } from '../src/transport.js';
import { TransportError } from '../src/transport-errors.js';
import { redisAvailability, startRedisServer, type RedisServerHandle } from '../../relay/test/support/redis-server.js';
import { startRelayChild, stopAllRelayChildren, stopRelayChild, type RelayChild } from '../../relay/test/support/relay-cluster.js';
import { Balancer } from './balancer.js';
import { RecordingBinding } from './recording-binding.js';

const { available } = redisAvailability();
/** Upper bound for any awaited condition; each wait ends as soon as it holds. */
const EVENTUALLY_MS = 60_000;
const POLL_MS = 20;
/** Pause before sending again after the connection dropped under a publish. */
const RESEND_PAUSE_MS = 20;

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + EVENTUALLY_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

class Member {
  /** Cursor → text of what the relay acknowledged to me. */
  readonly acked = new Map<number, string>();
  private sent = 0;

  constructor(
    readonly name: string,
    readonly binding: RecordingBinding,
    readonly connection: RelayConnection,
  ) {}

  ready(): boolean {
    return this.connection.isReady(this.binding.roomId);
  }

  /**
   * Sends one message until the relay acknowledges it, as the outbox does: a publish the
   * connection lost before its ACK is sent again (it may then be stored twice).
   */
  async say(): Promise<void> {
    const text = `${this.name}#${this.sent++}`;
    for (;;) {
      await until(`${this.name} ready`, () => this.ready());
      try {
        this.acked.set(await this.connection.publish(this.binding.roomId, new TextEncoder().encode(text)), text);
        return;
      } catch (error) {
        if (!(error instanceof TransportError) || (error.code !== 'DISCONNECTED' && error.code !== 'NOT_CONNECTED')) throw error;
        await new Promise((resolve) => setTimeout(resolve, RESEND_PAUSE_MS));
      }
    }
  }

  async sayMany(count: number): Promise<void> {
    for (let index = 0; index < count; index += 1) await this.say();
  }

  /** Cursors handed over since the last reset (the current relay incarnation). */
  handedSinceReset(): { cursor: number; text: string }[] {
    const handed = this.binding.handed;
    let start = 0;
    handed.forEach((item, index) => {
      if (item.kind === 'reset') start = index + 1;
    });
    return handed.slice(start).flatMap((item) => (item.kind === 'envelope' ? [{ cursor: item.cursor, text: item.text }] : []));
  }
}

interface Audit {
  lost: number;
  duplicated: number;
  reordered: number;
  gaps: number;
  resets: number;
}

/** What each member got of what the others had acknowledged (in the current incarnation). */
function audit(members: readonly Member[], acked: (member: Member) => Map<number, string> = (member) => member.acked): Audit {
  const totals: Audit = { lost: 0, duplicated: 0, reordered: 0, gaps: 0, resets: 0 };
  for (const member of members) {
    const handed = member.handedSinceReset();
    const got = new Map<number, string>();
    let highest = 0;
    for (const { cursor, text } of handed) {
      if (got.has(cursor)) totals.duplicated += 1;
      if (cursor < highest) totals.reordered += 1;
      highest = Math.max(highest, cursor);
      got.set(cursor, text);
    }
    for (const other of members) {
      if (other === member || other.binding.roomId !== member.binding.roomId) continue;
      for (const [cursor, text] of acked(other)) if (got.get(cursor) !== text) totals.lost += 1;
    }
    totals.gaps += member.binding.handed.filter((item) => item.kind === 'gap').length;
    totals.resets += member.binding.handed.filter((item) => item.kind === 'reset').length;
  }
  return totals;
}

function allDelivered(members: readonly Member[]): boolean {
  return audit(members).lost === 0;
}

/** A member of one room on its own connection through `url`, its connection kept in `connections` for the cleanup. */
function seatMember(url: string, roomBytes: Uint8Array, key: Uint8Array, name: string, connections: RelayConnection[]): Member {
  const connection = new RelayConnection({
    url,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    clock: systemClock,
    baseDelayMs: 50,
    maxDelayMs: 500,
    onState() {},
    onRelayError() {},
  });
  connections.push(connection);
  const binding = new RecordingBinding(roomBytes, key);
  connection.addRoom(binding);
  return new Member(name, binding, connection);
}

describe.skipIf(!available)('the client over relay processes sharing Redis: faults', () => {
  let redis: RedisServerHandle;
  const relays: RelayChild[] = [];
  let balancer: Balancer;
  const connections: RelayConnection[] = [];

  const join = (rooms: number, size: number): Member[] => {
    const members: Member[] = [];
    for (let room = 0; room < rooms; room += 1) {
      const roomBytes = randomBytes(32);
      const key = randomBytes(32);
      for (let seat = 0; seat < size; seat += 1) {
        members.push(seatMember(balancer.wsUrl, roomBytes, key, `r${room}m${seat}`, connections));
      }
    }
    return members;
  };

  beforeAll(async () => {
    // AOF with fsync on every write: what makes an acknowledged envelope survive a crash.
    redis = await startRedisServer({ appendOnly: true });
    relays.push(...(await Promise.all([startRelayChild(redis.url), startRelayChild(redis.url)])));
    balancer = await Balancer.start(() => relays.map((relay) => relay.port));
  });

  afterEach(() => {
    for (const connection of connections.splice(0)) connection.close();
  });

  afterAll(async () => {
    await balancer?.close();
    await stopAllRelayChildren();
    await redis?.dispose();
  });

  it('100 members over two processes: 0 lost, 0 duplicated, 0 out of cursor order', async () => {
    const members = join(10, 10);
    await until('everyone ready', () => members.every((member) => member.ready()));
    await Promise.all(members.map((member) => member.sayMany(10)));
    await until('everything delivered', () => allDelivered(members));
    const result = audit(members);
    console.log(`[redis-faults] 2 processes, 100 members, 1000 messages: ${JSON.stringify(result)}`);
    expect(result).toEqual({ lost: 0, duplicated: 0, reordered: 0, gaps: 0, resets: 0 });
  });

  it('redis-server killed (SIGKILL) and restarted with AOF mid-conversation: 0 acknowledged lost', async () => {
    const members = join(4, 6);
    await until('everyone ready', () => members.every((member) => member.ready()));
    const talking = Promise.all(members.map((member) => member.sayMany(15)));
    await until('the conversation under way', () => members.reduce((sum, member) => sum + member.acked.size, 0) >= 60);
    await redis.stop(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await redis.restart();
    await talking;
    await until('everything delivered', () => allDelivered(members));
    const result = audit(members);
    console.log(`[redis-faults] Redis SIGKILLed and restarted with AOF: ${JSON.stringify(result)}`);
    expect(result).toEqual({ lost: 0, duplicated: 0, reordered: 0, gaps: 0, resets: 0 });
  });

  it('joins made while Redis is down are retried and recover when it returns', async () => {
    await redis.stop();
    const members = join(2, 4);
    // Refused with UNAVAILABLE meanwhile; the connections stay open and keep retrying.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(members.some((member) => member.ready())).toBe(false);
    await redis.restart();
    await until('everyone ready', () => members.every((member) => member.ready()));
    await Promise.all(members.map((member) => member.sayMany(5)));
    await until('everything delivered', () => allDelivered(members));
    expect(audit(members)).toEqual({ lost: 0, duplicated: 0, reordered: 0, gaps: 0, resets: 0 });
  });

  it('one of two relay processes SIGKILLed mid-conversation: its members reconnect to the other, catch up, 0 acknowledged lost', async () => {
    const members = join(5, 6);
    await until('everyone ready', () => members.every((member) => member.ready()));
    const talking = Promise.all(members.map((member) => member.sayMany(15)));
    await until('the conversation under way', () => members.reduce((sum, member) => sum + member.acked.size, 0) >= 100);
    const victim = relays.shift()!;
    await stopRelayChild(victim, 'SIGKILL');
    await talking;
    await until('everything delivered', () => allDelivered(members));
    const result = audit(members);
    console.log(`[redis-faults] 1 of 2 processes SIGKILLed: ${JSON.stringify(result)}`);
    expect(result).toEqual({ lost: 0, duplicated: 0, reordered: 0, gaps: 0, resets: 0 });
  });
});

describe.skipIf(!available)('the client over relay processes sharing Redis: Redis loses its data', () => {
  let redis: RedisServerHandle;
  let balancer: Balancer;
  const connections: RelayConnection[] = [];

  beforeAll(async () => {
    // No persistence: a restart comes back empty.
    redis = await startRedisServer();
    const relays = await Promise.all([startRelayChild(redis.url), startRelayChild(redis.url)]);
    balancer = await Balancer.start(() => relays.map((relay) => relay.port));
  });

  afterAll(async () => {
    for (const connection of connections.splice(0)) connection.close();
    await balancer?.close();
    await stopAllRelayChildren();
    await redis?.dispose();
  });

  it(
    'members who stay connected are told (a reset from their cursor) and carry on in the new incarnation, nothing lost silently',
    async () => {
      const members: Member[] = [];
      const roomBytes = randomBytes(32);
      const key = randomBytes(32);
      for (let seat = 0; seat < 6; seat += 1) {
        members.push(seatMember(balancer.wsUrl, roomBytes, key, `m${seat}`, connections));
      }
      await until('everyone ready', () => members.every((member) => member.ready()));
      await Promise.all(members.map((member) => member.sayMany(5)));
      await until('the first incarnation delivered', () => allDelivered(members));
      const firstEpoch = members[0]!.binding.epoch;

      await redis.stop(true);
      await redis.restart();
      for (const member of members) member.acked.clear();
      await Promise.all(members.map((member) => member.sayMany(5)));
      await until('every member reset', () => members.every((member) => member.binding.handed.some((item) => item.kind === 'reset')));
      await until('the new incarnation delivered', () => allDelivered(members));

      for (const member of members) {
        const resets = member.binding.handed.flatMap((item) => (item.kind === 'reset' ? [item.reset] : []));
        expect(resets).toHaveLength(1);
        // The reset names where the member was: everything after it may be gone, and is shown as such.
        const resetAt = member.binding.handed.findIndex((item) => item.kind === 'reset');
        const handedBefore = member.binding.handed.slice(0, resetAt).flatMap((item) => (item.kind === 'envelope' ? [item.cursor] : []));
        expect(resets[0]!.lastCursor).toBe(Math.max(...handedBefore));
        expect(resets[0]!.previousEpoch).toBe(firstEpoch);
        expect(member.binding.epoch).not.toBe(firstEpoch);
      }
      const result = audit(members);
      console.log(`[redis-faults] Redis lost its data under connected members: ${JSON.stringify(result)}`);
      expect(result).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, resets: members.length });
    },
    3 * EVENTUALLY_MS,
  );
});
