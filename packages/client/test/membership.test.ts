import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import {
  ENVELOPE_TYPE,
  MAX_MESSAGES_PER_SENDER_KEY,
  fromUtf8,
  importBackup,
  importPublicIdentityJson,
  openDirectMessage,
  openGroupMessage,
  openSenderKeyDistributionV1 as openSenderKeyDistribution,
  peekEnvelope,
  roomMember,
  sealJoinAnnouncement,
  toBase64Url,
  type RoomMember,
  type SenderKeyRing,
  type UnlockedIdentity,
} from '@sealroom/protocol';
import { clientFor, makePersonas, PASSWORD, receivedTexts, waitFor, type TestClient } from './helpers.js';
import { RawRelayClient, roomKeysFromInvite } from './raw-relay.js';
import type { RoomRecord } from '../src/records.js';
import { createMemoryStorage, type TimelineItem } from '../src/index.js';

const NAMES = ['Alice', 'Bob', 'Mallory', 'Nina', 'Carol'];

/** Internal room state, read only to play an attacker who kept a copy of her keys. */
function recordOf(t: TestClient, roomId: string): RoomRecord {
  return structuredClone((t.client.room(roomId) as unknown as { record: RoomRecord }).record);
}

async function membersOf(record: RoomRecord, keys: Awaited<ReturnType<typeof roomKeysFromInvite>>): Promise<Map<string, RoomMember>> {
  const out = new Map<string, RoomMember>();
  for (const m of record.members) {
    const imported = await importPublicIdentityJson(m.identity);
    if (imported.ok) out.set(m.memberId, await roomMember(keys, imported.identity));
  }
  return out;
}

/**
 * What a removed member who kept her ring can open: feeds her every raw envelope in cursor
 * order (sender-key distributions to her included) and returns the group messages that
 * opened, with their cursors, and how many group envelopes she tried.
 */
async function openWithStolenKeys(
  stolen: RoomRecord,
  keys: Awaited<ReturnType<typeof roomKeysFromInvite>>,
  me: UnlockedIdentity,
  envelopes: { cursor: number; envelope: Uint8Array }[],
): Promise<{ opened: { cursor: number; payload: Uint8Array }[]; groupEnvelopes: number }> {
  const members = await membersOf(stolen, keys);
  let ring: SenderKeyRing = stolen.ring;
  const opened: { cursor: number; payload: Uint8Array }[] = [];
  let groupEnvelopes = 0;
  for (const { cursor, envelope } of envelopes) {
    const peek = peekEnvelope(envelope);
    if (!peek.ok) continue;
    const sender = members.get(toBase64Url(peek.peek.sender));
    if (sender === undefined) continue;
    if (peek.peek.type === 'sender-key') {
      const got = await openSenderKeyDistribution({ roomKeys: keys, me, sender, envelope, ring });
      if (got.ok) ring = got.ring;
    } else if (peek.peek.type === 'group') {
      groupEnvelopes += 1;
      const got = await openGroupMessage({ roomKeys: keys, sender, envelope, ring });
      if (got.ok) {
        ring = got.ring;
        opened.push({ cursor, payload: got.payload });
      }
    }
  }
  return { opened, groupEnvelopes };
}

const textOf = (items: TimelineItem[]) => items.flatMap((i) => (i.kind === 'text' ? [i.text] : []));

describe('membership, removal and who can read what', () => {
  let relay: RunningRelay;
  let personas: Map<string, Uint8Array>;
  const open: TestClient[] = [];
  const client = async (name: string) => {
    const t = await clientFor(relay.url, name, personas.get(name)!);
    open.push(t);
    return t;
  };

  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    personas = await makePersonas(relay.url, NAMES);
  });
  afterAll(async () => {
    await Promise.all(open.map((t) => t.client.close()));
    await relay.close();
  });

  it('a removed member holding her old keys cannot open anything sent after the removal; a newcomer cannot open what came before', async () => {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const mallory = await client('Mallory');
    const room = await alice.client.createRoom({ name: 'ops' });
    const link = room.inviteLink();
    const keys = await roomKeysFromInvite(link);
    await bob.client.joinRoom(link);
    await mallory.client.joinRoom(link);
    for (const t of [alice, bob, mallory]) await waitFor(`${t.name} sees 3 members`, () => t.client.room(room.id)!.members().length === 3);

    await alice.client.room(room.id)!.sendText('before removal (alice)');
    await bob.client.room(room.id)!.sendText('before removal (bob)');
    await waitFor('mallory reads both', () => receivedTexts(mallory, room.id).length === 2);

    // Mallory walks away with a copy of her keys and never processes the removal.
    const stolen = recordOf(mallory, room.id);
    await mallory.client.close();
    await alice.client.room(room.id)!.sendText('late, still before removal');

    const malloryId = mallory.client.identity()?.identityId ?? stolen.members.find((m) => m.identity.displayName === 'Mallory')!.id;
    await alice.client.room(room.id)!.removeMember(malloryId);
    await waitFor('bob sees the removal', () => bob.events.some((e) => e.type === 'member-removed'));
    expect(
      bob.client
        .room(room.id)!
        .members()
        .map((m) => m.displayName)
        .sort(),
    ).toEqual(['Alice', 'Bob']);

    const after = ['after removal 1 (alice)', 'after removal 2 (bob)', 'after removal 3 (alice)'];
    await alice.client.room(room.id)!.sendText(after[0]!);
    await bob.client.room(room.id)!.sendText(after[1]!);
    await alice.client.room(room.id)!.sendText(after[2]!);
    await waitFor('bob reads the post-removal messages', () => textOf(receivedTexts(bob, room.id)).includes(after[2]!));
    await waitFor('alice reads bob', () => textOf(receivedTexts(alice, room.id)).includes(after[1]!));

    // The attacker: every raw envelope of the room, her identity's private keys, her ring.
    const raw = await RawRelayClient.connect(relay.wsUrl);
    await raw.join(keys);
    const envelopes = await raw.history(keys);
    const me = await importBackup(fromUtf8(personas.get('Mallory')!)!, PASSWORD);
    if (!me.ok) throw new Error('backup');
    const stolenOpen = await openWithStolenKeys(stolen, keys, me.unlocked, envelopes);
    const groupEnvelopes = stolenOpen.groupEnvelopes;
    const opened = stolenOpen.opened.map(({ payload }) => fromUtf8(payload) ?? '');
    raw.close();
    expect(groupEnvelopes).toBeGreaterThan(after.length);
    // Her harness works: it opens what was sealed under keys she legitimately held.
    expect(opened.some((text) => text.includes('late, still before removal'))).toBe(true);
    for (const text of after) expect(opened.some((o) => o.includes(text))).toBe(false);

    // A newcomer joins later; catch-up hands her every earlier envelope.
    const nina = await client('Nina');
    await nina.client.joinRoom(link);
    await waitFor('nina sees members', () => nina.client.room(room.id)!.members().length === 3);
    await waitFor('alice sees nina', () =>
      alice.client
        .room(room.id)!
        .members()
        .some((m) => m.displayName === 'Nina'),
    );
    await alice.client.room(room.id)!.sendText('welcome nina');
    await waitFor('nina reads the welcome', () => textOf(receivedTexts(nina, room.id)).includes('welcome nina'));
    const ninaHistory = await nina.client.room(room.id)!.history();
    expect(textOf(ninaHistory)).toEqual(['welcome nina']);
    const beforeJoin = ninaHistory.filter((i) => i.kind === 'system' && i.event.type === 'before-join');
    expect(beforeJoin.length).toBeGreaterThan(0);
    expect(nina.events.filter((e) => e.type === 'warning' && e.kind === 'bad-message')).toEqual([]);
    // And with her ring, none of the earlier group envelopes open.
    const ninaRecord = recordOf(nina, room.id);
    const ninaMembers = await membersOf(ninaRecord, keys);
    for (const { envelope } of envelopes) {
      const peek = peekEnvelope(envelope);
      if (!peek.ok || peek.peek.type !== 'group') continue;
      const sender = ninaMembers.get(toBase64Url(peek.peek.sender));
      if (sender === undefined) continue;
      const got = await openGroupMessage({ roomKeys: keys, sender, envelope, ring: ninaRecord.ring });
      expect(got.ok).toBe(false);
    }
  });

  it('what the creator sends while its removal awaits the relay’s ack is already out of the removed member’s reach', async () => {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const mallory = await client('Mallory');
    const room = await alice.client.createRoom({ name: 'race' });
    const link = room.inviteLink();
    await bob.client.joinRoom(link);
    await mallory.client.joinRoom(link);
    for (const t of [alice, bob, mallory]) await waitFor(`${t.name} sees 3 members`, () => t.client.room(room.id)!.members().length === 3);
    await alice.client.room(room.id)!.sendText('before removal');
    await waitFor('mallory reads it', () => receivedTexts(mallory, room.id).length === 1);
    const stolen = recordOf(mallory, room.id);
    const malloryId = mallory.client.identity()!.identityId;
    await mallory.client.close();
    await alice.client.room(room.id)!.sendText('late, still before removal');

    // Hold the ack of Alice's removal, and send a file offer (it carries the file key)
    // meanwhile: the offer is sealed after the removal has left, so after it in cursor order.
    const connection = (alice.client.room(room.id) as unknown as { ctx: { connection: { publish(roomId: string, envelope: Uint8Array): Promise<number> } } })
      .ctx.connection;
    const publish = connection.publish.bind(connection);
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let removalOut = false;
    connection.publish = (roomId, envelope) => {
      const ack = publish(roomId, envelope);
      if (envelope[1] !== ENVELOPE_TYPE.control) return ack;
      removalOut = true;
      return ack.then(async (cursor) => (await gate, cursor));
    };
    try {
      await alice.client.room(room.id)!.removeMember(malloryId);
      await waitFor('the removal is on its way', () => removalOut);
      await alice.client.room(room.id)!.sendFile({ blob: new Blob([new Uint8Array(1024)]), name: 'plans.pdf' });
    } finally {
      release();
      connection.publish = publish;
    }
    await waitFor('bob sees the removal', () => bob.client.room(room.id)!.members().length === 2);

    const roomKeys = await roomKeysFromInvite(link);
    const raw = await RawRelayClient.connect(relay.wsUrl);
    await raw.join(roomKeys);
    const envelopes = await raw.history(roomKeys);
    raw.close();
    const removalAt = envelopes.filter((e) => e.envelope[1] === ENVELOPE_TYPE.control).at(-1)!.cursor;
    const me = await importBackup(fromUtf8(personas.get('Mallory')!)!, PASSWORD);
    if (!me.ok) throw new Error('backup');
    const opened = (await openWithStolenKeys(stolen, roomKeys, me.unlocked, envelopes)).opened.map(({ cursor }) => cursor);
    expect(opened.some((cursor) => cursor < removalAt)).toBe(true); // her harness works
    expect(opened.filter((cursor) => cursor > removalAt)).toEqual([]);
  });

  it('a direct message opens only for its recipient', async () => {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const carol = await client('Carol');
    const room = await alice.client.createRoom({ name: 'dm' });
    const link = room.inviteLink();
    const keys = await roomKeysFromInvite(link);
    await bob.client.joinRoom(link);
    await carol.client.joinRoom(link);
    for (const t of [alice, bob, carol]) await waitFor(`${t.name} sees 3 members`, () => t.client.room(room.id)!.members().length === 3);
    const bobId = bob.client.identity()!.identityId;
    await alice.client.room(room.id)!.sendDirect(bobId, 'for bob only');
    await alice.client.room(room.id)!.sendText('for everyone');
    await waitFor('carol reads the group message', () => textOf(receivedTexts(carol, room.id)).includes('for everyone'));
    await waitFor('bob reads both', () => receivedTexts(bob, room.id).length === 2);
    const dm = receivedTexts(bob, room.id).find((m) => m.text === 'for bob only');
    expect(dm?.directTo).toBe(bobId);
    expect(textOf(receivedTexts(carol, room.id))).toEqual(['for everyone']);
    expect(carol.events.filter((e) => e.type === 'warning')).toEqual([]);

    // Carol with her private keys and the raw envelope still cannot open it.
    const raw = await RawRelayClient.connect(relay.wsUrl);
    await raw.join(keys);
    const envelopes = await raw.history(keys);
    raw.close();
    const carolKeys = await importBackup(fromUtf8(personas.get('Carol')!)!, PASSWORD);
    if (!carolKeys.ok) throw new Error('backup');
    const members = await membersOf(recordOf(carol, room.id), keys);
    const bobKeys = await importBackup(fromUtf8(personas.get('Bob')!)!, PASSWORD);
    if (!bobKeys.ok) throw new Error('backup');
    // Joins racing one another may add key requests (also direct envelopes) to the room,
    // so find Alice's message by opening every direct envelope as Bob.
    const directs = envelopes.filter(({ envelope }) => envelope[1] === ENVELOPE_TYPE.direct);
    const forBob: Uint8Array[] = [];
    for (const { envelope } of directs) {
      const peek = peekEnvelope(envelope);
      if (!peek.ok) throw new Error('direct envelope does not parse');
      const sender = members.get(toBase64Url(peek.peek.sender))!;
      const opened = await openDirectMessage({ roomKeys: keys, me: bobKeys.unlocked, sender, envelope });
      if (opened.ok && new TextDecoder().decode(opened.payload).includes('for bob only')) forBob.push(envelope);
    }
    expect(forBob).toHaveLength(1);
    const peek = peekEnvelope(forBob[0]!);
    if (!peek.ok) throw new Error('direct envelope does not parse');
    const sender = members.get(toBase64Url(peek.peek.sender))!;
    const got = await openDirectMessage({ roomKeys: keys, me: carolKeys.unlocked, sender, envelope: forBob[0]! });
    expect(got).toMatchObject({ ok: false, code: 'WRONG_RECIPIENT' });
  });

  it('after a member leaves, the others rotate before sending again and the leaver reads nothing more', async () => {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const carol = await client('Carol');
    const room = await alice.client.createRoom({ name: 'leaving' });
    const link = room.inviteLink();
    await bob.client.joinRoom(link);
    await carol.client.joinRoom(link);
    for (const t of [alice, bob, carol]) await waitFor(`${t.name} sees 3 members`, () => t.client.room(room.id)!.members().length === 3);
    await alice.client.room(room.id)!.sendText('all three of us');
    await waitFor('bob reads it', () => receivedTexts(bob, room.id).length === 1);
    const keyBefore = recordOf(alice, room.id).outboundKey!.keyId;

    await bob.client.room(room.id)!.leave();
    await waitFor('bob’s room goes inactive', () => bob.client.room(room.id)!.summary().active === false);
    await expect(bob.client.room(room.id)!.sendText('still here?')).rejects.toMatchObject({ code: 'ROOM_INACTIVE' });
    await waitFor('alice sees bob leave', () => alice.events.some((e) => e.type === 'member-left' && e.roomId === room.id));
    await waitFor('carol sees bob leave', () => carol.client.room(room.id)!.members().length === 2);

    await alice.client.room(room.id)!.sendText('just the two of us');
    await waitFor('carol reads it', () => textOf(receivedTexts(carol, room.id)).includes('just the two of us'));
    const after = recordOf(alice, room.id);
    expect(after.outboundKey!.keyId).not.toBe(keyBefore);
    expect(after.distributedTo).not.toContain(bob.client.identity()!.identityId);
    expect(recordOf(bob, room.id).ring.keys).toEqual([]);
    expect(textOf(receivedTexts(bob, room.id))).toEqual(['all three of us']);
  });

  it('joining again after leaving keeps the earlier history and the creator’s removals, even once the relay forgot them', async () => {
    const RETAINED = 8;
    const small = await startRelay({ port: 0, logLevel: 'silent', retention: { maxEnvelopesPerRoom: RETAINED } });
    const bobStorage = createMemoryStorage();
    const alice = await clientFor(small.url, 'Alice', personas.get('Alice')!);
    let bob = await clientFor(small.url, 'Bob', personas.get('Bob')!, bobStorage);
    const mallory = await clientFor(small.url, 'Mallory', personas.get('Mallory')!);
    try {
      const room = await alice.client.createRoom({ name: 'again' });
      const link = room.inviteLink();
      await bob.client.joinRoom(link);
      await mallory.client.joinRoom(link);
      for (const t of [alice, bob]) await waitFor(`${t.name} sees 3 members`, () => t.client.room(room.id)!.members().length === 3);
      await alice.client.room(room.id)!.sendText('before leaving');
      await waitFor('bob reads it', () => receivedTexts(bob, room.id).length === 1);
      const malloryId = mallory.client.identity()!.identityId;
      await alice.client.room(room.id)!.removeMember(malloryId);
      await waitFor('bob sees the removal', () => bob.client.room(room.id)!.members().length === 2);
      await bob.client.room(room.id)!.leave();
      await waitFor('bob’s room goes inactive', () => bob.client.room(room.id)!.summary().active === false);
      // Enough chatter that the relay keeps none of the removal.
      for (let i = 0; i < RETAINED + 2; i += 1) await alice.client.room(room.id)!.sendText(`meanwhile ${i}`);
      await waitFor('alice’s texts are out', async () =>
        (await alice.client.room(room.id)!.history()).every((item) => item.kind !== 'text' || item.state === 'sent'),
      );

      await bob.client.joinRoom(link);
      await waitFor(
        'alice and bob know each other again',
        () => alice.client.room(room.id)!.members().length === 2 && bob.client.room(room.id)!.members().length === 2,
      );
      // Mallory announces herself again (her own client took the removal to heart).
      const keys = await roomKeysFromInvite(link);
      const imported = await importBackup(fromUtf8(personas.get('Mallory')!)!, PASSWORD);
      if (!imported.ok) throw new Error('backup');
      const raw = await RawRelayClient.connect(small.wsUrl);
      await raw.join(keys);
      expect((await raw.publish(keys, (await sealJoinAnnouncement({ roomKeys: keys, me: imported.unlocked })).envelope)).t).toBe('ack');
      raw.close();
      await waitFor('bob refuses her', () => bob.events.some((e) => e.type === 'warning' && e.code === 'REMOVED_MEMBER' && e.member === malloryId), 5_000);
      expect(
        bob.client
          .room(room.id)!
          .members()
          .map((m) => m.id),
      ).not.toContain(malloryId);

      await alice.client.room(room.id)!.sendText('after rejoining');
      await waitFor('bob reads it', () => textOf(receivedTexts(bob, room.id)).includes('after rejoining'));
      const check = async (t: TestClient) => {
        const history = await t.client.room(room.id)!.history();
        expect(new Set(history.map((item) => item.id)).size).toBe(history.length);
        expect(textOf(history)).toEqual(['before leaving', 'after rejoining']);
      };
      await check(bob);
      await bob.client.close();
      bob = await clientFor(small.url, 'Bob', personas.get('Bob')!, bobStorage);
      await check(bob);
    } finally {
      await Promise.all([alice, bob, mallory].map((t) => t.client.close()));
      await small.close();
    }
  });

  it('rotates the sender key when its message budget is spent, and nothing is lost across the rotation', async () => {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const room = await alice.client.createRoom({ name: 'budget' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
    await alice.client.room(room.id)!.sendText('first');
    await waitFor('bob reads the first', () => receivedTexts(bob, room.id).length === 1);
    const firstKey = recordOf(alice, room.id).outboundKey!.keyId;
    const COUNT = MAX_MESSAGES_PER_SENDER_KEY + 5;
    for (let i = 0; i < COUNT; i += 1) await alice.client.room(room.id)!.sendText(`n${i}`);
    await waitFor('bob reads them all', () => receivedTexts(bob, room.id).length === COUNT + 1, 60_000);
    const after = recordOf(alice, room.id).outboundKey!;
    expect(after.keyId).not.toBe(firstKey);
    expect(after.sequence).toBeLessThan(MAX_MESSAGES_PER_SENDER_KEY);
    expect(textOf(receivedTexts(bob, room.id))).toEqual(['first', ...Array.from({ length: COUNT }, (_, i) => `n${i}`)]);
  }, 90_000);
});
