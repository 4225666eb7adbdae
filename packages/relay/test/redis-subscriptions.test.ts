/**
 * Subscription management and outage replay of the Redis store, without Redis: a fake
 * backend holds each room's stream and plays the subscriber connection, and the test
 * decides which published messages reach the channel (live) and which are lost with
 * the subscriber (to be replayed from the stream). Byte-exact fan-out messages, exact
 * delivery lists: every envelope once, in cursor order, never this process's own.
 */
import { describe, expect, it } from 'vitest';
import { ORIGIN_ID_BYTES, REPLAY_BUFFER_MAX, Subscriptions, type SubscriptionBackend } from '../src/redis/subscriptions.js';
import type { HistoryPage, RetainedEnvelope, RoomKey } from '../src/store.js';
import { newRoom } from './store-contract.js';

const OURS = Buffer.alloc(ORIGIN_ID_BYTES, 0x01);
const THEIRS = Buffer.alloc(ORIGIN_ID_BYTES, 0x02);

/** `origin ‖ "<ms>-<seq>" ‖ '\n' ‖ envelope`, as the append script publishes it. */
function fanoutMessage(origin: Buffer, cursor: number, text: string): Buffer {
  return Buffer.concat([origin, Buffer.from(`${cursor}\n`, 'latin1'), Buffer.from(text)]);
}

/** Streams of rooms and a subscriber connection that the test switches on and off. */
class FakeRedis implements SubscriptionBackend {
  subscriberUp = true;
  commandsUp = true;
  failListen = false;
  /** The stream read (counted from 1) that fails, as on a command connection lost mid-replay. */
  failingRead: number | undefined;
  readonly listened: RoomKey[] = [];
  readonly reads: { room: RoomKey; after: number; limit: number }[] = [];
  private readonly streams = new Map<RoomKey, RetainedEnvelope[]>();
  private nextCursor = 1;
  private readGate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  /** Appends to the room's stream; returns the cursor and the message its channel carries. */
  append(room: RoomKey, origin: Buffer, text: string): { cursor: number; message: Buffer } {
    const cursor = this.nextCursor;
    this.nextCursor += 1;
    const stream = this.streams.get(room) ?? [];
    stream.push({ cursor, envelope: new TextEncoder().encode(text) });
    this.streams.set(room, stream);
    return { cursor, message: fanoutMessage(origin, cursor, text) };
  }

  holdReads(): void {
    this.readGate = new Promise((resolve) => (this.openGate = resolve));
  }

  releaseReads(): void {
    this.openGate?.();
    this.readGate = undefined;
  }

  subscriberReady(): boolean {
    return this.subscriberUp;
  }

  canReplay(): boolean {
    return this.subscriberUp && this.commandsUp;
  }

  async listen(room: RoomKey): Promise<unknown> {
    this.listened.push(room);
    if (!this.subscriberUp || this.failListen) throw new Error('subscriber connection is down');
    return 1;
  }

  async head(room: RoomKey): Promise<number> {
    if (!this.commandsUp) throw new Error('command connection is down');
    return this.streams.get(room)?.at(-1)?.cursor ?? 0;
  }

  async readAfter(room: RoomKey, after: number, limit: number): Promise<HistoryPage> {
    this.reads.push({ room, after, limit });
    await this.readGate;
    if (!this.commandsUp || this.reads.length === this.failingRead) throw new Error('command connection is down');
    const stream = this.streams.get(room) ?? [];
    const newer = stream.filter((entry) => entry.cursor > after);
    return { entries: newer.slice(0, limit), trimmedUpTo: 0, head: stream.at(-1)?.cursor ?? 0, more: newer.length > limit, epoch: 'fake' };
  }
}

function setup(): { redis: FakeRedis; subs: Subscriptions; heard: { room: RoomKey; cursor: number; text: string }[] } {
  const redis = new FakeRedis();
  const subs = new Subscriptions(redis, OURS);
  const heard: { room: RoomKey; cursor: number; text: string }[] = [];
  subs.onEnvelope((room, cursor, envelope) => heard.push({ room, cursor, text: new TextDecoder().decode(envelope) }));
  return { redis, subs, heard };
}

/** Cuts the subscriber connection, as ioredis reports it ('close'). */
function cutSubscriber(redis: FakeRedis, subs: Subscriptions): void {
  redis.subscriberUp = false;
  subs.onSubscriberClosed();
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Subscriptions', () => {
  it('subscribes a room once however many references it has, and ignores its channel once the last is released', async () => {
    const { redis, subs, heard } = setup();
    const room = newRoom();
    await subs.subscribe(room);
    await subs.subscribe(room);
    expect(redis.listened).toEqual([room]);
    expect(subs.release(room)).toBe(false);
    expect([...subs.rooms()]).toEqual([room]);
    const { cursor, message } = redis.append(room, THEIRS, 'still subscribed');
    subs.onMessage(room, message);
    expect(subs.release(room)).toBe(true);
    expect(subs.has(room)).toBe(false);
    expect(subs.release(room)).toBe(false);
    subs.onMessage(room, redis.append(room, THEIRS, 'after the last release').message);
    expect(heard).toEqual([{ room, cursor, text: 'still subscribed' }]);
  });

  it('delivers live envelopes in order, never its own echoes, never a cursor twice or one from before it subscribed', async () => {
    const { redis, subs, heard } = setup();
    const room = newRoom();
    const before = redis.append(room, THEIRS, 'before the subscription');
    await subs.subscribe(room);
    // A copy of something older than the head read at subscription time.
    subs.onMessage(room, before.message);
    const one = redis.append(room, THEIRS, 'one');
    subs.onMessage(room, one.message);
    subs.onMessage(room, redis.append(room, OURS, 'own echo').message);
    const two = redis.append(room, THEIRS, 'two');
    subs.onMessage(room, two.message);
    subs.onMessage(room, one.message);
    expect(heard).toEqual([
      { room, cursor: one.cursor, text: 'one' },
      { room, cursor: two.cursor, text: 'two' },
    ]);
  });

  it('ignores malformed messages and keeps delivering', async () => {
    const { redis, subs, heard } = setup();
    const room = newRoom();
    await subs.subscribe(room);
    const good = redis.append(room, THEIRS, 'good');
    const malformed = [
      Buffer.alloc(0),
      THEIRS.subarray(0, ORIGIN_ID_BYTES - 1),
      Buffer.concat([THEIRS, Buffer.from('12-0no separator')]),
      Buffer.concat([THEIRS, Buffer.from('not-an-id\nenvelope')]),
      Buffer.concat([THEIRS, Buffer.from('12-99999\nsequence out of range')]),
      // The separator inside the origin id does not count.
      Buffer.concat([Buffer.from('\n'), THEIRS.subarray(1), Buffer.from('12-0')]),
    ];
    for (const message of malformed) subs.onMessage(room, message);
    subs.onMessage(room, good.message);
    expect(heard).toEqual([{ room, cursor: good.cursor, text: 'good' }]);
  });

  it('holds live messages through a subscriber outage, replays the stream once both connections are back, then the held ones', async () => {
    const { redis, subs, heard } = setup();
    const room = newRoom();
    await subs.subscribe(room);
    const live = redis.append(room, THEIRS, 'live');
    subs.onMessage(room, live.message);

    cutSubscriber(redis, subs);
    const missed = [redis.append(room, THEIRS, 'missed-1'), redis.append(room, THEIRS, 'missed-2')];
    const mine = await subs.ownAppend(room, Promise.resolve(redis.append(room, OURS, 'own, while cut off').cursor));
    await subs.replayAll();
    expect(redis.reads).toEqual([]);

    redis.subscriberUp = true;
    redis.commandsUp = false;
    // Back on the channel before the replay: held, not delivered ahead of what was missed.
    const early = redis.append(room, THEIRS, 'live, before the replay');
    subs.onMessage(room, early.message);
    await subs.replayAll();
    expect(heard.map((entry) => entry.text)).toEqual(['live']);

    redis.commandsUp = true;
    await subs.replayAll();
    const after = redis.append(room, THEIRS, 'live again');
    subs.onMessage(room, after.message);
    // A late pub/sub copy of what the replay already read.
    subs.onMessage(room, missed[1]!.message);
    expect(heard).toEqual([
      { room, cursor: live.cursor, text: 'live' },
      { room, cursor: missed[0]!.cursor, text: 'missed-1' },
      { room, cursor: missed[1]!.cursor, text: 'missed-2' },
      { room, cursor: early.cursor, text: 'live, before the replay' },
      { room, cursor: after.cursor, text: 'live again' },
    ]);
    expect(heard.some((entry) => entry.cursor === mine)).toBe(false);
    expect(redis.reads[0]).toMatchObject({ room, after: live.cursor });
  });

  it('replays page after page until the stream has no more', async () => {
    const { redis, subs, heard } = setup();
    const room = newRoom();
    await subs.subscribe(room);
    cutSubscriber(redis, subs);
    const missed = Array.from({ length: 1_234 }, (_, index) => redis.append(room, THEIRS, `missed-${index}`).cursor);
    redis.subscriberUp = true;
    await subs.replayAll();
    expect(heard.map((entry) => entry.cursor)).toEqual(missed);
    expect(redis.reads.length).toBeGreaterThan(1);
    // Each page starts after the last envelope of the one before.
    let delivered = 0;
    for (const read of redis.reads) {
      expect(read.after).toBe(delivered === 0 ? 0 : missed[delivered - 1]);
      delivered += read.limit;
    }
  });

  it('loses nothing when the held messages pass REPLAY_BUFFER_MAX: the oldest go, and the replay reads them from the stream', async () => {
    const { redis, subs, heard } = setup();
    const room = newRoom();
    await subs.subscribe(room);
    cutSubscriber(redis, subs);
    redis.subscriberUp = true;
    redis.commandsUp = false;
    const sent: number[] = [];
    for (let index = 0; index < REPLAY_BUFFER_MAX + 5; index += 1) {
      const { cursor, message } = redis.append(room, THEIRS, `held-${index}`);
      sent.push(cursor);
      subs.onMessage(room, message);
    }
    expect(heard).toEqual([]);
    redis.commandsUp = true;
    await subs.replayAll();
    expect(heard.map((entry) => entry.cursor)).toEqual(sent);
  });

  it('waits for its own appends in flight before reading the stream, so they are never delivered back', async () => {
    const { redis, subs, heard } = setup();
    const room = newRoom();
    await subs.subscribe(room);
    cutSubscriber(redis, subs);
    let answer: ((cursor: number) => void) | undefined;
    const own = subs.ownAppend(room, new Promise<number>((resolve) => (answer = resolve)));
    redis.subscriberUp = true;
    const replay = subs.replayAll();
    // The append reached the stream; its answer has not come back yet.
    const { cursor } = redis.append(room, OURS, 'mine');
    await nextTurn();
    expect(redis.reads).toEqual([]);
    answer!(cursor);
    expect(await own).toBe(cursor);
    await replay;
    expect(redis.reads).toHaveLength(1);
    const theirs = redis.append(room, THEIRS, 'theirs');
    subs.onMessage(room, theirs.message);
    expect(heard).toEqual([{ room, cursor: theirs.cursor, text: 'theirs' }]);
  });

  it('keeps holding after a replay fails midway, and the next one resumes after the last envelope delivered', async () => {
    const { redis, subs, heard } = setup();
    const room = newRoom();
    await subs.subscribe(room);
    cutSubscriber(redis, subs);
    // Enough for more than one page; the second page's read fails.
    const missed = Array.from({ length: 1_234 }, (_, index) => redis.append(room, THEIRS, `missed-${index}`).cursor);
    redis.subscriberUp = true;
    redis.failingRead = 2;
    await subs.replayAll();
    const firstPage = heard.length;
    expect(firstPage).toBeGreaterThan(0);
    expect(firstPage).toBeLessThan(missed.length);
    const held = redis.append(room, THEIRS, 'held');
    subs.onMessage(room, held.message);
    expect(heard).toHaveLength(firstPage);
    await subs.replayAll();
    expect(redis.reads[2]).toMatchObject({ after: missed[firstPage - 1] });
    expect(heard.map((entry) => entry.cursor)).toEqual([...missed, held.cursor]);
  });

  it('subscribed while the subscriber is away, it starts at the head once back: what came before is the members’ catch-up', async () => {
    const { redis, subs, heard } = setup();
    const room = newRoom();
    redis.append(room, THEIRS, 'old');
    redis.subscriberUp = false;
    await subs.subscribe(room);
    expect(redis.listened).toEqual([room]);
    redis.append(room, THEIRS, 'while away');
    redis.subscriberUp = true;
    await subs.replayAll();
    expect(heard).toEqual([]);
    const next = redis.append(room, THEIRS, 'next');
    subs.onMessage(room, next.message);
    expect(heard).toEqual([{ room, cursor: next.cursor, text: 'next' }]);
  });

  it('keeps a subscription whose SSUBSCRIBE failed, reports the failure, and settles it on the next replay', async () => {
    const { redis, subs, heard } = setup();
    const room = newRoom();
    redis.failListen = true;
    await expect(subs.subscribe(room)).rejects.toThrow('subscriber connection is down');
    expect(subs.has(room)).toBe(true);
    redis.failListen = false;
    await subs.replayAll();
    expect(redis.listened).toEqual([room, room]);
    const next = redis.append(room, THEIRS, 'next');
    subs.onMessage(room, next.message);
    expect(heard).toEqual([{ room, cursor: next.cursor, text: 'next' }]);
  });

  it('delivers nothing more to a room released while its replay was reading', async () => {
    const { redis, subs, heard } = setup();
    const room = newRoom();
    await subs.subscribe(room);
    cutSubscriber(redis, subs);
    redis.append(room, THEIRS, 'missed');
    redis.subscriberUp = true;
    redis.holdReads();
    const replay = subs.replayAll();
    await nextTurn();
    expect(redis.reads).toHaveLength(1);
    expect(subs.release(room)).toBe(true);
    redis.releaseReads();
    await replay;
    expect(heard).toEqual([]);
  });

  it('replays each room on its own and forgets every room when cleared', async () => {
    const { redis, subs, heard } = setup();
    const [a, b] = [newRoom(), newRoom()];
    await subs.subscribe(a);
    await subs.subscribe(b);
    cutSubscriber(redis, subs);
    const missedA = redis.append(a, THEIRS, 'a');
    const missedB = redis.append(b, THEIRS, 'b');
    redis.subscriberUp = true;
    await subs.replayAll();
    expect(heard).toHaveLength(2);
    expect(heard).toEqual(
      expect.arrayContaining([
        { room: a, cursor: missedA.cursor, text: 'a' },
        { room: b, cursor: missedB.cursor, text: 'b' },
      ]),
    );
    subs.clear();
    expect([...subs.rooms()]).toEqual([]);
    subs.onMessage(a, redis.append(a, THEIRS, 'after clear').message);
    expect(heard).toHaveLength(2);
  });
});
