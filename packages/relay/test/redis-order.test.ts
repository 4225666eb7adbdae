/**
 * Issue 14 point 1, relay side: with several relay processes sharing Redis, every member
 * receives a room's envelopes in cursor order whichever process they were published on
 * (PROTOCOL.md A.4). Raw clients (no hole filling of their own) record the DELIVER frames
 * exactly as the relay sent them: any frame whose cursor is below one delivered before is
 * the relay's fault, as is any cursor missing or repeated.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, expectJoined, newRoom, publishFrame, type Room } from './helpers/client.js';
import { redisAvailability, startRedisServer, type RedisServerHandle } from './support/redis-server.js';
import { startRelayChild, stopAllRelayChildren, type RelayChild } from './support/relay-cluster.js';

const { available } = redisAvailability();
const PROCESSES = 2;
const ROOMS = 10;
const ROOM_SIZE = 10;
/** Envelopes each member publishes, in bursts sent without waiting for their ACKs. */
const PER_MEMBER = 20;
const BURST = 5;
const ENVELOPE_BYTES = 200;
/** Upper bound for everything to arrive; the wait ends as soon as it has. */
const EVENTUALLY_MS = 60_000;
const POLL_MS = 50;

interface Member {
  readonly client: TestClient;
  readonly room: Room;
  /** Request id → cursor of its ACK. */
  readonly acks: Map<number, number>;
}

/** What one member saw, checked against its room's cursors 1…total. */
function audit(member: Member, total: number): { lost: number; duplicated: number; reordered: number } {
  const delivered = member.client.frames().filter((frame) => frame.kind === 'deliver' && frame.room === member.room.key);
  let reordered = 0;
  let highest = 0;
  for (const frame of delivered) {
    if (frame.cursor < highest) reordered += 1;
    highest = Math.max(highest, frame.cursor);
  }
  const seen = new Map<number, number>();
  for (const cursor of [...delivered.map((frame) => frame.cursor), ...member.acks.values()]) seen.set(cursor, (seen.get(cursor) ?? 0) + 1);
  let lost = 0;
  for (let cursor = 1; cursor <= total; cursor += 1) if (!seen.has(cursor)) lost += 1;
  const duplicated = [...seen.values()].reduce((sum, count) => sum + count - 1, 0) + [...seen.keys()].filter((cursor) => cursor > total).length;
  return { lost, duplicated, reordered };
}

describe.skipIf(!available)('cursor order across relay processes sharing Redis', () => {
  let redis: RedisServerHandle;
  let relays: RelayChild[];

  beforeAll(async () => {
    redis = await startRedisServer();
    relays = await Promise.all(Array.from({ length: PROCESSES }, () => startRelayChild(redis.url)));
  });

  afterAll(async () => {
    await stopAllRelayChildren();
    await redis?.dispose();
  });

  it('delivers every envelope once and in cursor order to 100 members spread over two processes', async () => {
    const members: Member[] = [];
    for (let index = 0; index < ROOMS; index += 1) {
      const room = newRoom();
      for (let seat = 0; seat < ROOM_SIZE; seat += 1) {
        // Members of each room alternate between the processes.
        const client = await TestClient.connect(relays[seat % PROCESSES]!.wsUrl);
        expectJoined(await client.join(room));
        members.push({ client, room, acks: new Map() });
      }
    }

    let nextId = 1;
    for (let burst = 0; burst < PER_MEMBER / BURST; burst += 1) {
      await Promise.all(
        members.map(async (member) => {
          const ids: number[] = [];
          for (let index = 0; index < BURST; index += 1) {
            const id = nextId++;
            ids.push(id);
            member.client.sendBinary(publishFrame(member.room.id, id, randomBytes(ENVELOPE_BYTES)));
          }
          for (const id of ids) member.acks.set(id, (await member.client.ack(id)).cursor);
        }),
      );
    }

    const total = ROOM_SIZE * PER_MEMBER;
    const expected = total - PER_MEMBER;
    const deadline = Date.now() + EVENTUALLY_MS;
    const deliveredTo = (member: Member): number => member.client.frames().filter((frame) => frame.kind === 'deliver').length;
    while (members.some((member) => deliveredTo(member) < expected) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    await Promise.all(members.map((member) => member.client.sync()));

    const totals = { lost: 0, duplicated: 0, reordered: 0, deliveries: 0 };
    for (const member of members) {
      const { lost, duplicated, reordered } = audit(member, total);
      totals.lost += lost;
      totals.duplicated += duplicated;
      totals.reordered += reordered;
      totals.deliveries += deliveredTo(member);
    }
    console.log(
      `[redis-order] ${PROCESSES} processes, ${members.length} members, ${ROOMS * total} envelopes, deliveries=${totals.deliveries} lost=${totals.lost} duplicated=${totals.duplicated} reordered=${totals.reordered}`,
    );
    expect(totals).toEqual({ lost: 0, duplicated: 0, reordered: 0, deliveries: members.length * expected });
    // One counter per room: each room's acknowledged cursors are exactly 1…total.
    for (let index = 0; index < ROOMS; index += 1) {
      const room = members[index * ROOM_SIZE]!.room;
      const cursors = members.filter((member) => member.room === room).flatMap((member) => [...member.acks.values()]);
      expect(cursors.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, cursor) => cursor + 1));
    }
    for (const member of members) member.client.close();
  });
});
