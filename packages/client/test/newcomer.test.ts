import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { createMemoryStorage, createSealroomClient, type Clock } from '../src/index.js';
import { EventHub } from '../src/events.js';
import { decodePayload, encodePayload, type AppPayload } from '../src/payloads.js';
import { Presence, PRESENCE_ANSWER_GAP_MS, PRESENCE_INTERVAL_MS } from '../src/presence.js';
import { makePersonas, NodeWebSocket, PASSWORD, TEST_PBKDF2_ITERATIONS, TEST_RECONNECT, waitFor, type TestClient } from './helpers.js';

/**
 * Real time, except that the periodic presence beat never comes round: whatever a member
 * learns about who is online must come from beats sent when someone arrives.
 */
function clockWithoutPeriodicBeats(): Clock {
  return {
    now: () => Date.now(),
    setTimeout: (run, ms) => (ms === PRESENCE_INTERVAL_MS ? { held: run } : setTimeout(run, ms)),
    clearTimeout: (handle) => {
      if (typeof handle !== 'object' || handle === null || !('held' in handle)) clearTimeout(handle as ReturnType<typeof setTimeout>);
    },
  };
}

async function member(relayUrl: string, name: string, backup: Uint8Array): Promise<TestClient> {
  const client = createSealroomClient({
    relayUrl,
    storage: createMemoryStorage(),
    WebSocket: NodeWebSocket,
    clock: clockWithoutPeriodicBeats(),
    dangerousTestOnlyPbkdf2Iterations: TEST_PBKDF2_ITERATIONS,
    reconnect: TEST_RECONNECT,
  });
  await client.importBackup(backup, PASSWORD);
  return { client, events: [], name };
}

describe('a newcomer’s first moments', () => {
  let relay: RunningRelay;
  let personas: Map<string, Uint8Array>;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    personas = await makePersonas(relay.url, ['Alice', 'Bob', 'Carol']);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.close()));
    await relay.close();
  });

  it('learns who is online from the members’ answers to its arrival, not from their next periodic beat', async () => {
    for (const name of ['Alice', 'Bob', 'Carol']) clients.push(await member(relay.url, name, personas.get(name)!));
    const [alice, bob, carol] = clients as [TestClient, TestClient, TestClient];
    const room = await alice.client.createRoom({ name: 'Presence' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob join', () => alice.client.room(room.id)?.members().length === 2);
    await waitFor('bob is a member', () => bob.client.room(room.id)?.summary().status === 'current');
    await carol.client.joinRoom(room.inviteLink());
    const onlineAtCarol = () =>
      carol.client
        .room(room.id)
        ?.members()
        .filter((m) => m.online && !m.isMe)
        .map((m) => m.displayName)
        .sort() ?? [];
    await waitFor('carol is a member', () => carol.client.room(room.id)?.members().length === 3);
    await waitFor('carol sees alice and bob online', () => onlineAtCarol().length === 2).catch((error: unknown) => {
      throw new Error(`${String(error)}; carol sees online: ${JSON.stringify(onlineAtCarol())}`);
    });
    expect(onlineAtCarol()).toEqual(['Alice', 'Bob']);
  });

  it('the creator’s timeline opens with the room, a newcomer’s with being let in, and none claims earlier messages', async () => {
    const [alice, bob] = clients as [TestClient, TestClient];
    const roomId = alice.client.rooms()[0]!.id;
    const events = async (t: TestClient) => (await t.client.room(roomId)!.history()).flatMap((i) => (i.kind === 'system' ? [i.event.type] : []));
    expect((await events(alice))[0]).toBe('room-created');
    expect(await events(bob)).toContain('joined-room');
    for (const t of [alice, bob]) {
      expect(await events(t)).not.toContain('before-join');
      expect((await events(t)).filter((e) => e === 'room-created')).toHaveLength(t === alice ? 1 : 0);
    }
  });
});

/** A clock that moves only when told to, and the beats a presence sent. */
function manualPresence() {
  let now = 1_000_000;
  const timers: { at: number; run: () => void }[] = [];
  const clock: Clock = {
    now: () => now,
    setTimeout: (run, ms) => {
      const timer = { at: now + ms, run };
      timers.push(timer);
      return timer;
    },
    clearTimeout: (handle) => {
      const i = timers.indexOf(handle as (typeof timers)[number]);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const beats: Extract<AppPayload, { t: 'presence' }>[] = [];
  const presence = new Presence(
    { isLive: () => true, hasAudience: () => true, isMember: () => true, sendBeat: async (beat) => beats.push(beat) },
    { roomId: 'room', clock, events: new EventHub(), timeoutMs: 75_000 },
  );
  const advance = (ms: number) => {
    now += ms;
    for (const timer of timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)) {
      timers.splice(timers.indexOf(timer), 1);
      timer.run();
    }
  };
  return { presence, beats, advance };
}

describe('presence answers', () => {
  it('asks on the first beat only, and the ask survives the wire while old decoders ignore it', () => {
    const { presence, beats, advance } = manualPresence();
    presence.start();
    advance(PRESENCE_INTERVAL_MS);
    expect(beats.map((b) => b.ask ?? false)).toEqual([true, false]);
    expect(decodePayload(encodePayload(beats[0]!))).toEqual(beats[0]);
    // An ask on an offline beat means nothing and is dropped.
    expect(decodePayload(encodePayload({ t: 'presence', ts: 1, state: 'offline', ask: true }))).toEqual({ t: 'presence', ts: 1, state: 'offline' });
    presence.stop();
  });

  it('answers an arrival at once, and a burst of arrivals with one more beat after the gap', () => {
    const { presence, beats, advance } = manualPresence();
    presence.answer();
    expect(beats).toHaveLength(1);
    expect(beats[0]!.ask).toBeUndefined();
    for (let i = 0; i < 10; i += 1) presence.answer();
    advance(PRESENCE_ANSWER_GAP_MS - 1);
    expect(beats).toHaveLength(1);
    advance(1);
    expect(beats).toHaveLength(2);
    advance(PRESENCE_ANSWER_GAP_MS * 10);
    expect(beats).toHaveLength(2);
    presence.answer();
    expect(beats).toHaveLength(3);
  });
});
