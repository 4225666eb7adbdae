import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { createMemoryStorage } from '../src/index.js';
import { clientFor, makePersonas, waitFor, type TestClient } from './helpers.js';

describe('membership trust', () => {
  let relay: RunningRelay;
  let personas: Map<string, Uint8Array>;
  const open: TestClient[] = [];

  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    personas = await makePersonas(relay.url, ['Alice', 'Bob', 'Carol', 'FakeBob', 'FakeCarol'], { FakeBob: 'Bob', FakeCarol: 'Carol' });
  });
  afterAll(async () => {
    await Promise.all(open.map((t) => t.client.close()));
    await relay.close();
  });

  it('safety numbers match on both sides; verified marks persist; a verified member’s name on a new key and a name clash are flagged, never merged', async () => {
    const aliceStorage = createMemoryStorage();
    const c = async (name: string, storage = createMemoryStorage()) => {
      const t = await clientFor(relay.url, name, personas.get(name)!, storage);
      open.push(t);
      return t;
    };
    const alice = await c('Alice', aliceStorage);
    const bob = await c('Bob');
    const carol = await c('Carol');
    const room = await alice.client.createRoom({ name: 'trust' });
    await bob.client.joinRoom(room.inviteLink());
    await carol.client.joinRoom(room.inviteLink());
    await waitFor('alice sees everyone', () => alice.client.room(room.id)!.members().length === 3);
    await waitFor('bob sees alice', () => bob.client.room(room.id)!.members().some((m) => m.displayName === 'Alice'));

    const bobId = bob.client.identity()!.identityId;
    const aliceId = alice.client.identity()!.identityId;
    const fromAlice = await alice.client.room(room.id)!.safetyNumber(bobId);
    const fromBob = await bob.client.room(room.id)!.safetyNumber(aliceId);
    expect(fromAlice.digits).toMatch(/^\d{60}$/);
    expect(fromAlice).toEqual(fromBob);
    const bobAsSeen = alice.client.room(room.id)!.members().find((m) => m.id === bobId)!;
    expect(bobAsSeen.fingerprint.length).toBeGreaterThan(0);
    expect(bobAsSeen.verified).toBe(false);
    await alice.client.room(room.id)!.markVerified(bobId, true);

    // Verified marks survive a lock.
    await alice.client.lock();
    await alice.client.unlock('correct horse battery staple');
    expect(alice.client.room(room.id)!.members().find((m) => m.id === bobId)!.verified).toBe(true);

    const fakeBob = await c('FakeBob');
    await fakeBob.client.joinRoom(alice.client.room(room.id)!.inviteLink());
    const fakeCarol = await c('FakeCarol');
    await fakeCarol.client.joinRoom(alice.client.room(room.id)!.inviteLink());
    await waitFor('alice sees both newcomers', () => alice.client.room(room.id)!.members().length === 5);
    const warnings = alice.events.filter((e) => e.type === 'warning');
    const keyChanged = warnings.find((w) => w.type === 'warning' && w.kind === 'key-changed');
    const clash = warnings.find((w) => w.type === 'warning' && w.kind === 'name-clash');
    expect(keyChanged).toMatchObject({ member: fakeBob.client.identity()!.identityId, roomId: room.id });
    expect(clash).toMatchObject({ member: fakeCarol.client.identity()!.identityId, roomId: room.id });
    const members = alice.client.room(room.id)!.members();
    expect(members.filter((m) => m.displayName === 'Bob').map((m) => m.verified).sort()).toEqual([false, true]);
    expect(members.filter((m) => m.displayName === 'Carol')).toHaveLength(2);
  });
});
