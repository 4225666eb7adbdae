/**
 * The Redis store's membership of this process in rooms (membership.ts) and the fan-out
 * message format (fanout.ts), without Redis: a fake backend plays the room registry and
 * the channel, and the test decides when connections drop, when data is lost and who
 * registers a room first. Byte-exact messages; exact lists of what the relay is handed.
 */
import { describe, expect, it } from 'vitest';
import { encodeFanout, parseFanout, type FanoutSection } from '../src/redis/fanout.js';
import { Membership, type MembershipBackend, type Registration } from '../src/redis/membership.js';
import type { RoomKey, RoomState } from '../src/store.js';
import { newRoom } from './store-contract.js';

interface FakeRoom {
  key: Buffer | undefined;
  epoch: string | undefined;
  head: number;
  maxAgeMs: number | undefined;
  registered: boolean;
}

/** A room registry the test can empty (data loss) and connections it can cut. */
class FakeRedis implements MembershipBackend {
  up = true;
  listens = 0;
  readonly registrations: RoomKey[] = [];
  readonly unregistrations: RoomKey[] = [];
  readonly rooms = new Map<RoomKey, FakeRoom>();
  private epochs = 0;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  create(room: RoomKey, key = Buffer.from(room.slice(0, 32)), maxAgeMs?: number): FakeRoom {
    const state: FakeRoom = { key, epoch: this.freshEpoch(), head: 0, maxAgeMs, registered: false };
    this.rooms.set(room, state);
    return state;
  }

  freshEpoch(): string {
    this.epochs += 1;
    return `E${this.epochs}`;
  }

  loseEverything(): void {
    this.rooms.clear();
  }

  holdRegistrations(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  releaseRegistrations(): void {
    this.open?.();
    this.gate = undefined;
  }

  canResync(): boolean {
    return this.up;
  }

  async listen(): Promise<unknown> {
    if (!this.up) throw new Error('down');
    this.listens += 1;
    return 1;
  }

  async register(room: RoomKey): Promise<Registration | undefined> {
    this.registrations.push(room);
    await this.gate;
    if (!this.up) throw new Error('down');
    const state = this.rooms.get(room);
    if (state?.key === undefined) return undefined;
    state.epoch ??= this.freshEpoch();
    state.registered = true;
    return { epoch: state.epoch, head: state.head, maxAgeMs: state.maxAgeMs, key: state.key };
  }

  async unregister(room: RoomKey): Promise<unknown> {
    this.unregistrations.push(room);
    return 1;
  }

  readonly restarts: { room: RoomKey; epoch: string; seen: number }[] = [];

  async restart(room: RoomKey, epoch: string, seen: number): Promise<unknown> {
    this.restarts.push({ room, epoch, seen });
    if (!this.up) throw new Error('down');
    const state = this.rooms.get(room);
    if (state?.epoch === epoch && state.head < seen) {
      state.epoch = this.freshEpoch();
      state.head = 0;
    }
    return state?.epoch ?? '';
  }

  async claim(room: RoomKey, key: Uint8Array, maxAgeMs: number | undefined): Promise<Uint8Array> {
    if (!this.up) throw new Error('down');
    const existing = this.rooms.get(room);
    if (existing?.key !== undefined) return existing.key;
    this.create(room, Buffer.from(key), maxAgeMs);
    return key;
  }
}

function setup() {
  const redis = new FakeRedis();
  const membership = new Membership(redis);
  membership.feedStarted();
  const heard: string[] = [];
  const states: { room: RoomKey; state: RoomState }[] = [];
  membership.onEnvelope((room, cursor, envelope) => heard.push(`${room.slice(0, 4)}:${cursor}:${Buffer.from(envelope).toString()}`));
  membership.onState((room, state) => states.push({ room, state }));
  return { redis, membership, heard, states };
}

const section = (room: RoomKey, epoch: string, ...entries: [number, string][]): FanoutSection => ({
  room,
  epoch,
  entries: entries.map(([cursor, text]) => ({ cursor, envelope: Buffer.from(text) })),
});

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('fan-out messages (fanout.ts)', () => {
  it('reads a message byte for byte as the append script writes it', () => {
    // room "R", epoch "E", one entry: cursor 1 (a big-endian double), length 1, byte 0xaa;
    // then room "S", epoch "", no entry.
    const bytes = Buffer.from('01' + '52' + '01' + '45' + '00000001' + '3ff0000000000000' + '00000001' + 'aa' + '01' + '53' + '00' + '00000000', 'hex');
    expect(parseFanout(bytes)).toEqual([
      { room: 'R', epoch: 'E', entries: [{ cursor: 1, envelope: Buffer.from([0xaa]) }] },
      { room: 'S', epoch: '', entries: [] },
    ]);
    expect(encodeFanout(parseFanout(bytes)!)).toEqual(bytes);
  });

  it('refuses a message cut short anywhere, and a cursor that is not a positive safe integer', () => {
    const whole = encodeFanout([section('Room', 'Epoch', [7, 'seven'], [2 ** 53 - 1, 'largest'])]);
    expect(parseFanout(whole)?.[0]?.entries.map((entry) => entry.cursor)).toEqual([7, 2 ** 53 - 1]);
    for (let length = 1; length < whole.length; length += 1) expect(parseFanout(whole.subarray(0, length))).toBeUndefined();
    for (const cursor of [0, -1, 1.5, 2 ** 53, Number.NaN]) {
      const bad = encodeFanout([section('Room', 'Epoch', [1, 'x'])]);
      bad.writeDoubleBE(cursor, 1 + 4 + 1 + 5 + 4);
      expect(parseFanout(bad)).toBeUndefined();
    }
  });
});

describe('Membership (membership.ts)', () => {
  it('registers a room once however many references it has, and takes the process off it with the last release', async () => {
    const { redis, membership } = setup();
    const room = newRoom();
    redis.create(room);
    await membership.subscribe(room);
    await membership.subscribe(room);
    expect(redis.registrations).toEqual([room]);
    expect(membership.expectedEpoch(room)).toBe('E1');
    membership.release(room);
    expect(redis.unregistrations).toEqual([]);
    membership.release(room);
    expect(redis.unregistrations).toEqual([room]);
    expect(membership.expectedEpoch(room)).toBe('');
  });

  it('refuses to subscribe a room that is not registered', async () => {
    const { membership } = setup();
    await expect(membership.subscribe(newRoom())).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });

  it('hands over sections of its rooms in their incarnation, in order; ignores rooms it has no members in', async () => {
    const { redis, membership, heard, states } = setup();
    const [room, other] = [newRoom(), newRoom()];
    redis.create(room);
    await membership.subscribe(room);
    membership.onMessage(encodeFanout([section(room, 'E1', [1, 'a'], [2, 'b']), section(other, 'E9', [1, 'not mine'])]));
    membership.onMessage(encodeFanout([section(room, 'E1', [3, 'c'])]));
    expect(heard).toEqual([`${room.slice(0, 4)}:1:a`, `${room.slice(0, 4)}:2:b`, `${room.slice(0, 4)}:3:c`]);
    expect(states).toEqual([]);
  });

  it('holds what comes before its first registration answered, and hands over what belongs to the incarnation it learns', async () => {
    const { redis, membership, heard } = setup();
    const room = newRoom();
    redis.create(room).head = 4;
    redis.holdRegistrations();
    const subscribing = membership.subscribe(room);
    membership.onMessage(encodeFanout([section(room, 'E1', [5, 'early'])]));
    expect(heard).toEqual([]);
    redis.releaseRegistrations();
    await subscribing;
    expect(heard).toEqual([`${room.slice(0, 4)}:5:early`]);
  });

  it('after the feed broke, subscribes again, registers every room again and names each head', async () => {
    const { redis, membership, states } = setup();
    const [one, two] = [newRoom(), newRoom()];
    redis.create(one).head = 3;
    redis.create(two).head = 0;
    await membership.subscribe(one);
    await membership.subscribe(two);
    redis.up = false;
    membership.onFeedLost();
    // While Redis is away nothing happens.
    await membership.resync();
    expect(states).toEqual([]);
    redis.rooms.get(one)!.head = 9;
    redis.up = true;
    await membership.resync();
    expect(redis.listens).toBe(1);
    expect(states).toEqual([
      { room: one, state: { epoch: 'E1', head: 9 } },
      { room: two, state: { epoch: 'E2', head: 0 } },
    ]);
    // Registered again: a later resync has nothing to do.
    await membership.resync();
    expect(states).toHaveLength(2);
  });

  it('a malformed message stands for lost ones: every room registers again and the relay reads what it missed', async () => {
    const { redis, membership, states } = setup();
    const room = newRoom();
    redis.create(room).head = 2;
    await membership.subscribe(room);
    membership.onMessage(Buffer.from([0xff]));
    await settle();
    expect(states).toEqual([{ room, state: { epoch: 'E1', head: 2 } }]);
  });

  it('when Redis lost the room, registers it again under the key and retention its members were admitted with', async () => {
    const { redis, membership, states } = setup();
    const room = newRoom();
    const key = Buffer.alloc(32, 7);
    redis.create(room, key, 3_600_000);
    await membership.subscribe(room);
    redis.loseEverything();
    membership.onFeedLost();
    await membership.resync();
    expect(states).toEqual([{ room, state: { epoch: 'E2', head: 0 } }]);
    expect(redis.rooms.get(room)).toMatchObject({ key, maxAgeMs: 3_600_000 });
    expect(membership.expectedEpoch(room)).toBe('E2');
  });

  it('a section of another incarnation is not handed over; it makes the room be looked at again', async () => {
    const { redis, membership, heard, states } = setup();
    const room = newRoom();
    redis.create(room);
    await membership.subscribe(room);
    // Another process registered the room again (its data was lost) and appended there.
    redis.rooms.get(room)!.epoch = 'E7';
    redis.rooms.get(room)!.head = 1;
    membership.onMessage(encodeFanout([section(room, 'E7', [1, 'new incarnation'])]));
    expect(heard).toEqual([]);
    await settle();
    expect(states).toEqual([{ room, state: { epoch: 'E7', head: 1 } }]);
    expect(membership.expectedEpoch(room)).toBe('E7');
  });

  it('says the room is lost when another key holds it, and no append can expect it any more', async () => {
    const { redis, membership, states } = setup();
    const room = newRoom();
    redis.create(room, Buffer.alloc(32, 1));
    await membership.subscribe(room);
    redis.loseEverything();
    redis.create(room, Buffer.alloc(32, 2));
    membership.check(room);
    await settle();
    expect(states).toEqual([{ room, state: { epoch: undefined, head: 0 } }]);
    expect(membership.expectedEpoch(room)).toBe('!');
  });

  it('when the room’s history went back below cursors it saw (AOF everysec lost its last second), starts a new incarnation and names it', async () => {
    const { redis, membership, states } = setup();
    const room = newRoom();
    redis.create(room).head = 2;
    await membership.subscribe(room);
    membership.onMessage(encodeFanout([section(room, 'E1', [3, 'fanned out'])]));
    membership.saw(room, 'E1', 5);
    // An append made for another incarnation says nothing about this one.
    membership.saw(room, 'E0', 9);
    redis.rooms.get(room)!.head = 4;
    membership.onFeedLost();
    await membership.resync();
    expect(redis.restarts).toEqual([{ room, epoch: 'E1', seen: 5 }]);
    expect(states).toEqual([{ room, state: { epoch: 'E2', head: 0 } }]);
    expect(membership.expectedEpoch(room)).toBe('E2');
    // In the new incarnation the count starts again: a head at what it saw is no loss.
    membership.saw(room, 'E2', 1);
    membership.onFeedLost();
    redis.rooms.get(room)!.head = 1;
    await membership.resync();
    expect(redis.restarts).toHaveLength(1);
    expect(states.at(-1)).toEqual({ room, state: { epoch: 'E2', head: 1 } });
  });

  it('runs one check of a room at a time, and one more if asked meanwhile', async () => {
    const { redis, membership } = setup();
    const room = newRoom();
    redis.create(room);
    await membership.subscribe(room);
    redis.holdRegistrations();
    membership.check(room);
    membership.check(room);
    membership.check(room);
    await settle();
    expect(redis.registrations).toHaveLength(2);
    redis.releaseRegistrations();
    await settle();
    await settle();
    expect(redis.registrations).toHaveLength(3);
  });
});
