/**
 * The seven attacks of issue 13, each as it was reproduced against the version-1 client
 * with a real relay: every test asserts what must hold, so on v1 every test fails (the
 * attack succeeds).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import {
  ENVELOPE_TYPE,
  formatInviteV1,
  fromBase64Url,
  fromUtf8,
  importBackup,
  parseInviteV1,
  sealControl,
  sealJoinAnnouncement,
  type UnlockedIdentity,
} from '@sealroom/protocol';
import { DAY_MS, HOUR_MS } from '@sealroom/units';
import { clientFor, makePersonas, PASSWORD, receivedTexts, waitFor, type TestClient } from './helpers.js';
import { RawRelayClient, roomKeysFromInvite } from './raw-relay.js';
import { WithholdingProxy } from './relay-proxy.js';
import { linkIn, linkTarget } from './signature-scan.js';
import type { RoomSession } from '../src/room-session.js';
import { MAX_SEEN_IDS } from '../src/seen-ids.js';

const NAMES = ['Alice', 'Bob', 'Mallory', 'Mallory2', 'Nina'];
/** Mallory's second identity calls itself "Bоb" with a Cyrillic о. */
const DISPLAY = { Mallory2: 'B\u043Eb' };
/** Long enough for any member online to have answered a knock or an announcement, ms. */
const SETTLE_MS = 3_000;

const textsOf = (t: TestClient, roomId: string) => receivedTexts(t, roomId).map((m) => m.text);
const memberIds = (t: TestClient, roomId: string) =>
  t.client
    .room(roomId)!
    .members()
    .map((m) => m.id);

describe('issue 13: membership attacks (v1 client)', () => {
  let relay: RunningRelay;
  let personas: Map<string, Uint8Array>;
  const open: TestClient[] = [];
  const client = async (name: string, relayUrl = relay.url) => {
    const t = await clientFor(relayUrl, name, personas.get(name)!);
    open.push(t);
    return t;
  };
  const unlocked = async (name: string): Promise<UnlockedIdentity> => {
    const imported = await importBackup(fromUtf8(personas.get(name)!)!, PASSWORD);
    if (!imported.ok) throw new Error('backup');
    return imported.unlocked;
  };

  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    personas = await makePersonas(relay.url, NAMES, DISPLAY);
  });
  afterAll(async () => {
    await Promise.all(open.map((t) => t.client.close()));
    await relay.close();
  });

  /** Alice's room with Bob and Mallory in it, and Mallory removed by Alice. */
  async function roomWithMalloryRemoved(name: string) {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const mallory = await client('Mallory');
    const room = await alice.client.createRoom({ name });
    const link = room.inviteLink();
    await bob.client.joinRoom(link);
    await mallory.client.joinRoom(link);
    for (const t of [alice, bob, mallory]) await waitFor(`${t.name} sees 3 members`, () => t.client.room(room.id)!.members().length === 3);
    const malloryId = mallory.client.identity()!.identityId;
    await alice.client.room(room.id)!.removeMember(malloryId);
    await waitFor('bob sees the removal', () => !memberIds(bob, room.id).includes(malloryId));
    await waitFor('mallory is told', () => mallory.client.room(room.id)!.summary().active === false);
    return { alice, bob, mallory, room, link, malloryId };
  }

  it('1: a removed member with a fresh identity and the old link is refused and reads nothing', async () => {
    const { alice, bob, room, link } = await roomWithMalloryRemoved('attack-1');
    const again = await client('Mallory2');
    await again.client.joinRoom(link);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    await alice.client.room(room.id)!.sendText('after the removal');
    await waitFor('bob reads it', () => textsOf(bob, room.id).includes('after the removal'));
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    expect(memberIds(alice, room.id)).not.toContain(again.client.identity()!.identityId);
    expect(memberIds(bob, room.id)).not.toContain(again.client.identity()!.identityId);
    expect(textsOf(again, room.id)).toEqual([]);
  });

  it('2: a removed member cannot erase its removal: a newcomer never takes it for a member', async () => {
    const { alice, room, link, malloryId } = await roomWithMalloryRemoved('attack-2');
    // Mallory still holds the admission key: she shrinks what the relay keeps to nothing,
    // waits for her removal to age out, and announces her old identity again.
    const keys = await roomKeysFromInvite(link);
    const raw = await RawRelayClient.connect(relay.wsUrl);
    await raw.join(keys);
    raw.send({ t: 'retention', room: keys.roomIdB64, maxAgeMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const nina = await client('Nina');
    await nina.client.joinRoom(link);
    await waitFor('nina sees alice', () => memberIds(nina, room.id).includes(alice.client.identity()!.identityId));
    await raw.publish(keys, (await sealJoinAnnouncement({ roomKeys: keys, me: await unlocked('Mallory') })).envelope);
    raw.close();
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    expect(memberIds(nina, room.id)).not.toContain(malloryId);
  });

  it('3: a relay that withholds the removal from one member cannot let it keep sending in the old epoch unnoticed; it recovers on getting it', async () => {
    const proxy = await WithholdingProxy.start(relay.wsUrl);
    try {
      const alice = await client('Alice');
      const mallory = await client('Mallory');
      const room = await alice.client.createRoom({ name: 'attack-3' });
      const link = room.inviteLink();
      const bob = await client('Bob', proxy.url);
      await bob.client.joinRoom(proxy.rewrite(link));
      await mallory.client.joinRoom(link);
      for (const t of [alice, bob, mallory]) await waitFor(`${t.name} sees 3 members`, () => t.client.room(room.id)!.members().length === 3);
      const malloryId = mallory.client.identity()!.identityId;
      // The relay hides every membership change from Bob.
      proxy.withhold = (frame) => frame.envelope[1] === ENVELOPE_TYPE.control;
      await alice.client.room(room.id)!.removeMember(malloryId);
      await waitFor('the relay withheld the removal', () => proxy.dropped.length > 0);
      await bob.client.room(room.id)!.sendText('bob, unaware of the removal');
      await waitFor('alice notices that bob is behind', () =>
        alice.events.some((e) => e.type === 'warning' && (e.kind as string) === 'stale-epoch' && e.member === bob.client.identity()!.identityId),
      );
      proxy.withhold = () => false;
      proxy.dropConnections();
      await waitFor('bob learns of the removal', () => !memberIds(bob, room.id).includes(malloryId));
      await waitFor('alice reads bob’s message once he caught up', () => textsOf(alice, room.id).includes('bob, unaware of the removal'));
    } finally {
      await proxy.close();
    }
  });

  it('4: replayed and reordered old settings are refused, however the seen-list is flooded', async () => {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const room = await alice.client.createRoom({ name: 'attack-4' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
    await alice.client.room(room.id)!.setDisappearingTimer(HOUR_MS);
    await waitFor('bob has the hour', () => bob.client.room(room.id)!.summary().disappearingMs === HOUR_MS);
    await alice.client.room(room.id)!.setDisappearingTimer(DAY_MS);
    await waitFor('bob has the day', () => bob.client.room(room.id)!.summary().disappearingMs === DAY_MS);
    // A flood of fresh announcements pushes Bob's bounded memory of controls out (recorded
    // directly: each would cost an RSA signature).
    const bobSeen = (bob.client.room(room.id) as unknown as RoomSession).parts.seen;
    for (let i = 0; i <= MAX_SEEN_IDS; i += 1) bobSeen.remember(`join/flood-${i}`, true);
    const keys = await roomKeysFromInvite(room.inviteLink());
    const raw = await RawRelayClient.connect(relay.wsUrl);
    await raw.join(keys);
    const hour = (await raw.history(keys)).map((e) => e.envelope).find((envelope) => envelope[1] === ENVELOPE_TYPE.control)!;
    expect((await raw.publish(keys, hour)).t).toBe('ack');
    raw.close();
    await alice.client.room(room.id)!.sendText('after the replay');
    await waitFor('bob reads the next message', () => textsOf(bob, room.id).includes('after the replay'));
    expect(bob.client.room(room.id)!.summary().disappearingMs).toBe(DAY_MS);
  });

  it('5: a member re-sharing the link "as creator" gets no authority over newcomers', async () => {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const mallory = await client('Mallory');
    const room = await alice.client.createRoom({ name: 'attack-5' });
    const link = room.inviteLink();
    await bob.client.joinRoom(link);
    await mallory.client.joinRoom(link);
    for (const t of [alice, bob, mallory]) await waitFor(`${t.name} sees 3 members`, () => t.client.room(room.id)!.members().length === 3);
    // Mallory passes the link on with herself as the creator, and removes Bob "as creator".
    const parsed = parseInviteV1(link);
    if (!parsed.ok) throw new Error('invite');
    const forged = formatInviteV1({ ...parsed.invite, baseUrl: parsed.baseUrl, creatorId: fromBase64Url(mallory.client.identity()!.identityId)! });
    const nina = await client('Nina');
    await nina.client.joinRoom(forged);
    await waitFor('nina sees everyone', () => nina.client.room(room.id)!.members().length === 4);
    const keys = await roomKeysFromInvite(link);
    const raw = await RawRelayClient.connect(relay.wsUrl);
    await raw.join(keys);
    const bobId = bob.client.identity()!.identityId;
    await raw.publish(keys, (await sealControl({ roomKeys: keys, me: await unlocked('Mallory'), action: { kind: 'remove', target: fromBase64Url(bobId)! } })).envelope);
    raw.close();
    await alice.client.room(room.id)!.sendText('after the forged removal');
    await waitFor('nina reads it', () => textsOf(nina, room.id).includes('after the forged removal'));
    expect(memberIds(nina, room.id)).toContain(bobId);
    expect(nina.client.room(room.id)!.summary().createdBy).toBe(alice.client.identity()!.identityId);
  });

  it('6: nothing the relay stores links a member across rooms: no identity id, key or signature of hers in any envelope', async () => {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const one = await alice.client.createRoom({ name: 'attack-6 one' });
    const two = await alice.client.createRoom({ name: 'attack-6 two' });
    await bob.client.joinRoom(one.inviteLink());
    await bob.client.joinRoom(two.inviteLink());
    await waitFor('alice sees bob twice', () => alice.client.room(one.id)!.members().length === 2 && alice.client.room(two.id)!.members().length === 2);
    for (const room of [one, two]) {
      await bob.client.room(room.id)!.sendText(`bob in ${room.id}`);
      await bob.client.room(room.id)!.sendDirect(alice.client.identity()!.identityId, 'private');
      await waitFor('alice reads bob', () => textsOf(alice, room.id).length === 2);
    }
    const target = await linkTarget((await unlocked('Bob')).public);
    const found: string[] = [];
    for (const room of [one, two]) {
      const keys = await roomKeysFromInvite(room.inviteLink());
      const raw = await RawRelayClient.connect(relay.wsUrl);
      await raw.join(keys);
      for (const { cursor, envelope } of await raw.history(keys)) {
        const link = await linkIn(target, envelope);
        if (link !== undefined) found.push(`${room.id}@${cursor}: ${link}`);
      }
      raw.close();
    }
    expect(found).toEqual([]);
  });

  it('7: a used link found later in browser history admits no one', async () => {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const room = await alice.client.createRoom({ name: 'attack-7' });
    const link = room.inviteLink();
    await bob.client.joinRoom(link);
    await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
    // The link stays in Bob's browser history; Nina finds it there later.
    const nina = await client('Nina');
    await nina.client.joinRoom(link);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    expect(memberIds(alice, room.id)).not.toContain(nina.client.identity()!.identityId);
  });
});
