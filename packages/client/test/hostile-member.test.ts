/**
 * A member of the room turned hostile: unlike the relay it holds the room's keys and its own
 * verified identity, so everything it sends opens. What it says must still not be able to
 * pass for someone else's.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { createFileManifest, encodeFileManifest, fromBase64Url, fromUtf8, importBackup, sealKnock, toBase64Url } from '@sealroom/protocol';
import { clientFor, makePersonas, PASSWORD, waitFor, type TestClient } from './helpers.js';
import { RawRelayClient, lobbyKeysFromInvite } from './raw-relay.js';
import type { RoomSession } from '../src/room-session.js';

/** How long a test waits for the warning it expects, ms (well under the test timeout). */
const WARNING_WAIT_MS = 5_000;

describe('a hostile member', () => {
  let relay: RunningRelay;
  let personas: Map<string, Uint8Array>;
  let alice: TestClient;
  let bob: TestClient;
  let mallory: TestClient;
  let roomId: string;

  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    personas = await makePersonas(relay.url, ['Alice', 'Bob', 'Mallory', 'LookalikeBob', 'Eve', 'FakeMallory'], {
      LookalikeBob: 'ｂｏｂ',
      FakeMallory: 'Mallory',
    });
    alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
    bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!);
    mallory = await clientFor(relay.url, 'Mallory', personas.get('Mallory')!);
    const room = await alice.client.createRoom({ name: 'hostile' });
    roomId = room.id;
    await bob.client.joinRoom(room.inviteLink());
    await mallory.client.joinRoom(room.inviteLink());
    await waitFor('everyone sees everyone', () => [alice, bob, mallory].every((t) => t.client.room(roomId)?.members().length === 3));
  });
  afterAll(async () => {
    await Promise.all([alice, bob, mallory].map((t) => t.client.close()));
    await relay.close();
  });

  it('cannot pass its own file off as another member’s offer by reusing its file id', async () => {
    const bytes = new Uint8Array(100 * 1024);
    randomFillSync(bytes);
    const sent = await alice.client.room(roomId)!.sendFile({ blob: new Blob([bytes]), name: 'report.pdf' });
    const fileId = sent.file.fileId;
    await waitFor('bob sees alice’s offer', () => bob.events.some((e) => e.type === 'file-offer' && e.item.file.fileId === fileId));

    // Mallory re-offers under Alice's file id, with her own content and key.
    const forged = createFileManifest({ name: 'report.pdf', type: 'application/pdf', size: 1 });
    const session = mallory.client.room(roomId) as unknown as RoomSession;
    await session.parts.sending.sendGroup(encodeFileManifest({ ...forged, fileId: fromBase64Url(fileId)! }), 'file-manifest');

    const malloryId = mallory.client.identity()!.identityId;
    await waitFor(
      'a warning about the reused file id',
      () => bob.events.some((e) => e.type === 'warning' && e.code === 'FILE_ID_TAKEN' && e.member === malloryId),
      WARNING_WAIT_MS,
    );
    expect(bob.events.filter((e) => e.type === 'file-offer' && e.item.file.fileId === fileId).map((e) => e.type === 'file-offer' && e.item.sender)).toEqual([
      alice.client.identity()!.identityId,
    ]);

    // Accepting "report.pdf" still gets Alice's file.
    const hash = createHash('sha256');
    await bob.client.room(roomId)!.acceptFile(fileId, new WritableStream({ write: (chunk) => void hash.update(chunk) }));
    expect(hash.digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('cannot slip a lookalike of a verified member’s name past the name-clash warning', async () => {
    const bobId = bob.client.identity()!.identityId;
    await alice.client.room(roomId)!.markVerified(bobId, true);
    const lookalike = await clientFor(relay.url, 'LookalikeBob', personas.get('LookalikeBob')!);
    try {
      await lookalike.client.joinRoom(alice.client.room(roomId)!.inviteLink());
      const lookalikeId = lookalike.client.identity()!.identityId;
      await waitFor('alice sees the newcomer', () =>
        alice.client
          .room(roomId)!
          .members()
          .some((m) => m.id === lookalikeId),
      );
      // Bob is still in the room: a second identity under his name is another person.
      await waitFor('a warning about the newcomer', () => alice.events.some((e) => e.type === 'warning' && e.member === lookalikeId), WARNING_WAIT_MS);
      expect(alice.events.find((e) => e.type === 'warning' && e.member === lookalikeId)).toMatchObject({ kind: 'name-clash', code: 'NAME_CLASH' });
    } finally {
      await lookalike.client.close();
    }
  });

  it('once removed by an admin, stays out: its old identity knocking again is never let in', async () => {
    const imported = await importBackup(fromUtf8(personas.get('Eve')!)!, PASSWORD);
    if (!imported.ok) throw new Error('backup');
    const eveIdentity = imported.unlocked;
    const eveId = toBase64Url(eveIdentity.public.id);
    const eve = await clientFor(relay.url, 'Eve', personas.get('Eve')!);
    try {
      await eve.client.joinRoom(alice.client.room(roomId)!.inviteLink());
      await waitFor('eve is in', () => eve.client.room(roomId)?.summary().active === true);
      await alice.client.room(roomId)!.removeMember(eveId);
      await waitFor(
        'bob sees the removal',
        () =>
          !bob.client
            .room(roomId)!
            .members()
            .some((m) => m.id === eveId),
        WARNING_WAIT_MS,
      );
    } finally {
      await eve.client.close();
    }
    // Worst case: Eve gets hold of the link as it is now, and knocks with her old identity.
    const keys = await lobbyKeysFromInvite(alice.client.room(roomId)!.inviteLink());
    const raw = await RawRelayClient.connect(relay.wsUrl);
    try {
      await raw.join(keys);
      expect((await raw.publish(keys, (await sealKnock({ lobbyKeys: keys, me: eveIdentity })).envelope)).t).toBe('ack');
    } finally {
      raw.close();
    }
    await waitFor(
      'the members refuse the removed identity',
      () => [alice, bob].every((t) => t.events.some((e) => e.type === 'warning' && e.code === 'REMOVED_MEMBER' && e.member === eveId)),
      WARNING_WAIT_MS,
    );
    for (const t of [alice, bob]) {
      expect(
        t.client
          .room(roomId)!
          .members()
          .map((m) => m.id),
      ).not.toContain(eveId);
    }
  });

  it('cannot take the name of a verified member who left without the key-change warning', async () => {
    const malloryId = mallory.client.identity()!.identityId;
    await alice.client.room(roomId)!.markVerified(malloryId, true);
    await mallory.client.room(roomId)!.leave();
    await waitFor(
      'alice sees mallory leave',
      () =>
        !alice.client
          .room(roomId)!
          .members()
          .some((m) => m.id === malloryId),
    );
    const impostor = await clientFor(relay.url, 'FakeMallory', personas.get('FakeMallory')!);
    try {
      await impostor.client.joinRoom(alice.client.room(roomId)!.inviteLink());
      const impostorId = impostor.client.identity()!.identityId;
      await waitFor('alice sees the newcomer', () =>
        alice.client
          .room(roomId)!
          .members()
          .some((m) => m.id === impostorId),
      );
      await waitFor('a warning about the newcomer', () => alice.events.some((e) => e.type === 'warning' && e.member === impostorId), WARNING_WAIT_MS);
      expect(alice.events.find((e) => e.type === 'warning' && e.member === impostorId)).toMatchObject({ kind: 'key-changed', code: 'KEY_CHANGED' });
    } finally {
      await impostor.client.close();
    }
  });
});
