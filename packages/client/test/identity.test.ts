import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { DEFAULT_PBKDF2_ITERATIONS, fromBase64Url, parseInvite, toBase64Url } from '@sealroom/protocol';
import { createMemoryStorage, createSealroomClient } from '../src/index.js';
import { fromUtf8, utf8 } from '@sealroom/protocol';
import { RawRelayClient, epochKeysOf, sessionOf } from './raw-relay.js';
import type { RoomSession } from '../src/room-session.js';
import { clientFor, makePersonas, NodeWebSocket, PASSWORD, receivedTexts, TEST_PBKDF2_ITERATIONS, waitFor } from './helpers.js';

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i += 1) {
    for (let j = 0; j < needle.length; j += 1) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe('identity lifecycle and storage at rest', () => {
  let relay: RunningRelay;
  let personas: Map<string, Uint8Array>;

  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    personas = await makePersonas(relay.url, ['Alice', 'Bob']);
  });
  afterAll(async () => {
    await relay.close();
  });

  it('ships with at least 600,000 PBKDF2 iterations; a wrong password says so and destroys nothing', async () => {
    const storage = createMemoryStorage();
    const client = createSealroomClient({ relayUrl: relay.url, storage, WebSocket: NodeWebSocket });
    expect(await client.identityState()).toBe('none');
    const steps: number[] = [];
    const info = await client.createIdentity({ displayName: 'Dana', password: PASSWORD, onProgress: (p) => steps.push(p.fraction) });
    expect(steps.at(-1)).toBe(1);
    expect(steps.length).toBeGreaterThan(2);
    const blob = JSON.parse(fromUtf8((await storage.get('identity'))!)!) as { kdf: { iterations: number } };
    expect(blob.kdf.iterations).toBeGreaterThanOrEqual(DEFAULT_PBKDF2_ITERATIONS);
    expect(DEFAULT_PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(600_000);
    await expect(client.createIdentity({ displayName: 'Dana', password: PASSWORD })).rejects.toMatchObject({ code: 'IDENTITY_EXISTS' });
    await client.lock();
    expect(client.identity()).toBeNull();
    expect(await client.identityState()).toBe('locked');
    await expect(client.unlock('wrong password')).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    expect(await client.unlock(PASSWORD)).toEqual(info);
    await client.close();
  });

  it('changes the password, exports and imports a backup, and restores rooms after lock/unlock', async () => {
    const storage = createMemoryStorage();
    const alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!, storage);
    await expect(alice.client.createRoom({ name: 'bad\u0000name' })).rejects.toMatchObject({ code: 'BAD_ROOM_NAME' });
    await expect(alice.client.createRoom({ name: '' })).rejects.toMatchObject({ code: 'BAD_ROOM_NAME' });
    const room = await alice.client.createRoom({ name: 'kept' });
    await alice.client.changePassword(PASSWORD, 'a new passphrase');
    await alice.client.lock();
    await expect(room.sendText('after lock')).rejects.toMatchObject({ code: 'LOCKED' });
    await expect(alice.client.unlock(PASSWORD)).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    await alice.client.unlock('a new passphrase');
    expect(alice.client.rooms().map((r) => r.id)).toEqual([room.id]);
    expect(alice.client.room(room.id)!.summary().name).toBe('kept');

    await expect(alice.client.exportBackup('not it')).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    const backup = await alice.client.exportBackup('a new passphrase');
    const elsewhere = createSealroomClient({
      relayUrl: relay.url,
      storage: createMemoryStorage(),
      WebSocket: NodeWebSocket,
      dangerousTestOnlyPbkdf2Iterations: TEST_PBKDF2_ITERATIONS,
    });
    await expect(elsewhere.importBackup(backup, 'wrong')).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    await expect(elsewhere.importBackup(utf8('{"not":"a backup"}'), 'x')).rejects.toMatchObject({ code: 'BAD_BACKUP' });
    const imported = await elsewhere.importBackup(backup, 'a new passphrase');
    expect(imported).toEqual(alice.client.identity());
    await elsewhere.close();
    await alice.client.close();
  });

  it('keeps nothing readable at rest except the password-wrapped identity', async () => {
    const aliceStorage = createMemoryStorage();
    const bobStorage = createMemoryStorage();
    const alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!, aliceStorage);
    const bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!, bobStorage);
    const room = await alice.client.createRoom({ name: 'Secret Project Room' });
    const link = room.inviteLink();
    await bob.client.joinRoom(link);
    await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
    await alice.client.room(room.id)!.sendText('the launch code is 0000');
    await waitFor('bob reads it', () => receivedTexts(bob, room.id).length === 1);
    const epochSecret = fromBase64Url(sessionOf(alice, room.id).parts.log.record.epochSecret!)!;
    await alice.client.close();
    await bob.client.close();

    const parsed = parseInvite(link);
    if (!parsed.ok) throw new Error('invite');
    const needles = [
      utf8('the launch code is 0000'),
      utf8('Secret Project Room'),
      parsed.invite.linkSecret,
      utf8(toBase64Url(parsed.invite.linkSecret)),
      epochSecret,
      utf8(toBase64Url(epochSecret)),
    ];
    for (const storage of [aliceStorage, bobStorage]) {
      const keys = await storage.keys('');
      expect(keys.length).toBeGreaterThan(3);
      for (const key of keys) {
        const value = (await storage.get(key))!;
        for (const needle of needles) expect(contains(value, needle), `${key} leaks`).toBe(false);
        if (key !== 'identity') expect(value[0], `${key} is a sealed record`).toBe(1);
      }
    }
  });
  it('two unlocks at once (a double click, a re-run effect) open each room once, and the handle in use keeps receiving', async () => {
    const alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
    const bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!);
    const room = await alice.client.createRoom({ name: 'double unlock' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
    await alice.client.lock();
    await Promise.all([alice.client.unlock(PASSWORD), alice.client.unlock(PASSWORD)]);
    await waitFor(
      'alice is back online in the room',
      () =>
        bob.client
          .room(room.id)!
          .members()
          .find((m) => !m.isMe)?.online === true,
    );
    await bob.client.room(room.id)!.sendText('after the double unlock');
    await waitFor('the room handle alice holds shows the message', async () =>
      (await alice.client.room(room.id)!.history()).some((i) => i.kind === 'text' && i.text === 'after the double unlock'),
    );
    await alice.client.close();
    await bob.client.close();
  });

  it('after lock, an envelope the transport had already queued is not processed and nothing more is written', async () => {
    const PERSIST_WINDOW_MS = 500; // longer than the session's persist debounce
    const storage = createMemoryStorage();
    let locked = false;
    let writesAfterLock = 0;
    const watched = { ...storage, set: (key: string, value: Uint8Array) => ((writesAfterLock += locked ? 1 : 0), storage.set(key, value)) };
    const alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!, watched);
    const room = await alice.client.createRoom({ name: 'locked' });
    await waitFor('the room is ready', () => room.members()[0]!.online);
    const binding = (room as unknown as RoomSession).parts.relays.current()!;
    await alice.client.lock();
    locked = true;
    const eventsAtLock = alice.events.length;
    // What the transport's per-room chain hands over when it still held an envelope at close.
    await binding.onEnvelope(binding.cursor() + 1, new Uint8Array(64), true);
    await new Promise((resolve) => setTimeout(resolve, PERSIST_WINDOW_MS));
    expect(alice.events.slice(eventsAtLock)).toEqual([]);
    expect(writesAfterLock).toBe(0);
    await alice.client.close();
  });
});

/**
 * The relay's floor for a room's retention age, lowered from its 30 s default so that a
 * timer of a second is honoured within the test, and how often it sweeps, ms.
 */
const TEST_MIN_RETENTION_MS = 500;
const TEST_SWEEP_INTERVAL_MS = 100;

describe('disappearing messages', () => {
  let relay: RunningRelay;
  let personas: Map<string, Uint8Array>;
  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent', retention: { minAgeMs: TEST_MIN_RETENTION_MS, sweepIntervalMs: TEST_SWEEP_INTERVAL_MS } });
    personas = await makePersonas(relay.url, ['Alice', 'Bob']);
  });
  afterAll(async () => {
    await relay.close();
  });

  it('every member deletes expired messages itself, after the room’s timer', async () => {
    const alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
    const bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!);
    const room = await alice.client.createRoom({ name: 'ephemeral' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
    await alice.client.room(room.id)!.setDisappearingTimer(1_000);
    await waitFor('bob learns the timer', () => bob.client.room(room.id)!.summary().disappearingMs === 1_000);
    const sent = await alice.client.room(room.id)!.sendText('gone soon');
    await waitFor('bob reads it', () => receivedTexts(bob, room.id).length === 1);
    const received = receivedTexts(bob, room.id)[0]!;
    expect(received.expiresAt).not.toBeNull();
    // What the relay holds right now, the message among it. The timer started a new epoch,
    // whose relay room was registered with the timer as its retention age (A.3 maxAgeMs).
    const keys = epochKeysOf(alice, room.id);
    const raw = await RawRelayClient.connect(relay.wsUrl);
    await raw.join(keys);
    const heldThen = (await raw.history(keys)).map((e) => e.cursor);
    expect(heldThen.length).toBeGreaterThan(0);
    await waitFor('bob deletes it', () => bob.events.some((e) => e.type === 'expired' && e.ids.includes(received.id)), 5_000);
    await waitFor('alice deletes hers', () => alice.events.some((e) => e.type === 'expired' && e.ids.includes(sent.id)), 5_000);
    expect((await bob.client.room(room.id)!.history()).some((i) => i.id === received.id)).toBe(false);
    expect((await alice.client.room(room.id)!.history()).some((i) => i.id === sent.id)).toBe(false);
    // The relay drops expired messages too: the epoch room's retention follows the timer.
    await waitFor(
      'the relay drops expired messages',
      async () => {
        const heldNow = new Set((await raw.history(keys)).map((e) => e.cursor));
        return heldThen.every((cursor) => !heldNow.has(cursor));
      },
      5_000,
    );
    raw.close();
    await alice.client.close();
    await bob.client.close();
  });

  it('messages still expire on a member who left the room', async () => {
    const TIMER_MS = 1_000;
    const bobStorage = createMemoryStorage();
    const alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
    const bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!, bobStorage);
    const room = await alice.client.createRoom({ name: 'ephemeral, then gone' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
    await alice.client.room(room.id)!.setDisappearingTimer(TIMER_MS);
    await waitFor('bob learns the timer', () => bob.client.room(room.id)!.summary().disappearingMs === TIMER_MS);
    await alice.client.room(room.id)!.sendText('gone soon, wherever you are');
    await waitFor('bob reads it', () => receivedTexts(bob, room.id).length === 1);
    const received = receivedTexts(bob, room.id)[0]!;
    await bob.client.room(room.id)!.leave();
    await waitFor('bob’s room goes inactive', () => bob.client.room(room.id)!.summary().active === false);
    await waitFor('bob deletes it all the same', () => bob.events.some((e) => e.type === 'expired' && e.ids.includes(received.id)), 3 * TIMER_MS);
    expect((await bob.client.room(room.id)!.history()).some((i) => i.id === received.id)).toBe(false);
    await alice.client.close();
    await bob.client.close();
  });
});
