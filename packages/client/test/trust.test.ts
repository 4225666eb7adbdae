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
    personas = await makePersonas(relay.url, ['Alice', 'Bob', 'Carol', 'FakeBob', 'FakeCarol', 'CyrillicBob', 'NewCarol'], {
      FakeBob: 'Bob',
      FakeCarol: 'Carol',
      // "Bоb" with a Cyrillic о (U+043E): a look-alike of "Bob", and a name that mixes scripts.
      CyrillicBob: 'B\u043Eb',
      NewCarol: 'ＣＡＲＯＬ',
    });
  });
  afterAll(async () => {
    await Promise.all(open.map((t) => t.client.close()));
    await relay.close();
  });

  it('safety numbers match on both sides; verified marks persist; a newcomer taking a member’s name (or a look-alike of it) is flagged as a clash, never merged', async () => {
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
    await waitFor('bob sees alice', () =>
      bob.client
        .room(room.id)!
        .members()
        .some((m) => m.displayName === 'Alice'),
    );

    const bobId = bob.client.identity()!.identityId;
    const aliceId = alice.client.identity()!.identityId;
    const fromAlice = await alice.client.room(room.id)!.safetyNumber(bobId);
    const fromBob = await bob.client.room(room.id)!.safetyNumber(aliceId);
    expect(fromAlice.digits).toMatch(/^\d{60}$/);
    expect(fromAlice).toEqual(fromBob);
    const bobAsSeen = alice.client
      .room(room.id)!
      .members()
      .find((m) => m.id === bobId)!;
    expect(bobAsSeen.fingerprint.length).toBeGreaterThan(0);
    expect(bobAsSeen.verified).toBe(false);
    await alice.client.room(room.id)!.markVerified(bobId, true);

    // Verified marks survive a lock.
    await alice.client.lock();
    await alice.client.unlock('correct horse battery staple');
    expect(
      alice.client
        .room(room.id)!
        .members()
        .find((m) => m.id === bobId)!.verified,
    ).toBe(true);

    // Within one room a member can never present another key (the log fixes identities): a
    // newcomer using the name of a member, verified or not, is a different person: a clash.
    const fakeBob = await c('FakeBob');
    await fakeBob.client.joinRoom(alice.client.room(room.id)!.inviteLink());
    const fakeCarol = await c('FakeCarol');
    await fakeCarol.client.joinRoom(alice.client.room(room.id)!.inviteLink());
    const cyrillicBob = await c('CyrillicBob');
    await cyrillicBob.client.joinRoom(alice.client.room(room.id)!.inviteLink());
    await waitFor('alice sees the newcomers', () => alice.client.room(room.id)!.members().length === 6);
    const warnings = () => alice.events.filter((e) => e.type === 'warning');
    const about = (t: TestClient) => warnings().filter((w) => w.type === 'warning' && w.member === t.client.identity()!.identityId);
    await waitFor('the warnings about the newcomers', () => about(fakeBob).length > 0 && about(fakeCarol).length > 0 && about(cyrillicBob).length > 1);
    expect(about(fakeBob).map((w) => w.type === 'warning' && w.kind)).toEqual(['name-clash']);
    expect(about(fakeCarol).map((w) => w.type === 'warning' && w.kind)).toEqual(['name-clash']);
    expect(
      about(cyrillicBob)
        .map((w) => w.type === 'warning' && w.kind)
        .sort(),
    ).toEqual(['mixed-script', 'name-clash']);
    expect(warnings().filter((w) => w.type === 'warning' && w.kind === 'key-changed')).toEqual([]);
    const members = alice.client.room(room.id)!.members();
    const bobs = members.filter((m) => m.displayName === 'Bob' || m.displayName === 'B\u043Eb');
    expect(bobs.map((m) => m.verified).sort()).toEqual([false, false, true]);
    expect(bobs.every((m) => m.nameClash)).toBe(true);
    expect(bobs.find((m) => m.displayName === 'B\u043Eb')!.mixedScript).toBe(true);
    expect(members.filter((m) => m.displayName === 'Carol')).toHaveLength(2);
    expect(members.find((m) => m.displayName === 'Alice')!.nameClash).toBe(false);

    // A verified member leaves; a new identity under a name that reads like hers is the one
    // key change there is: perhaps Carol on a new device, perhaps not.
    await alice.client.room(room.id)!.markVerified(carol.client.identity()!.identityId, true);
    await alice.client.room(room.id)!.removeMember(fakeCarol.client.identity()!.identityId);
    await carol.client.room(room.id)!.leave();
    await waitFor(
      'alice sees carol go',
      () =>
        !alice.client
          .room(room.id)!
          .members()
          .some((m) => m.displayName === 'Carol'),
    );
    const newCarol = await c('NewCarol');
    await newCarol.client.joinRoom(alice.client.room(room.id)!.inviteLink());
    await waitFor('a key change for the new carol', () =>
      alice.events.some((e) => e.type === 'warning' && e.kind === 'key-changed' && e.member === newCarol.client.identity()!.identityId),
    );
  }, 60_000);
});
