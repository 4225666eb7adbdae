/**
 * Membership that holds (issue 13): removal, leaving, approval, rejoining, against a real
 * relay whose store keeps a copy of every envelope it ever saw. A removed member is played
 * with every key she held, everything the relay saw, and a fresh identity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import {
  MAX_MESSAGES_PER_SENDER_KEY,
  deriveLobbyKeys,
  epochKeysFor,
  fromBase64Url,
  fromUtf8,
  importBackup,
  openCommit,
  openDirect,
  peekSealed,
  type EpochKeys,
  type LobbyKeys,
} from '@sealroom/protocol';
import { RACE_DELAY_MAX_MS } from '../src/race-delay.js';
import type { LogRecord, RoomRecord } from '../src/records.js';
import { clientFor, makePersonas, PASSWORD, receivedTexts, waitFor, type TestClient } from './helpers.js';
import { epochKeysOf, lobbyKeysFromInvite, sessionOf } from './raw-relay.js';
import { RecordingStore, type SeenEnvelope } from './recording-store.js';

const NAMES = ['Alice', 'Bob', 'Mallory', 'Mallory2', 'Nina', 'Carol', 'Oscar'];
const textOf = (t: TestClient, roomId: string) => receivedTexts(t, roomId).map((m) => m.text);
const memberIds = (t: TestClient, roomId: string) => (t.client.room(roomId)?.members() ?? []).map((m) => m.id);

/** What a member walks away with: its records, every secret in them. */
interface Stolen {
  record: RoomRecord;
  log: LogRecord;
}

function steal(t: TestClient, roomId: string): Stolen {
  const session = sessionOf(t, roomId);
  return { record: structuredClone(session.record), log: structuredClone(session.parts.log.record) };
}

/** Every key a stolen record yields: its current and previous epoch's, its link's lobby. */
async function keysOf(stolen: Stolen): Promise<(EpochKeys | LobbyKeys)[]> {
  const { log } = stolen;
  const keys: (EpochKeys | LobbyKeys)[] = [];
  if (log.state !== null && log.epochSecret !== null) keys.push(await epochKeysFor(log.state, fromBase64Url(log.epochSecret)!));
  if (log.previousState !== null && log.previousEpochSecret !== null) keys.push(await epochKeysFor(log.previousState, fromBase64Url(log.previousEpochSecret)!));
  if (log.linkSecret !== null) keys.push(await deriveLobbyKeys(fromBase64Url(log.linkSecret)!));
  return keys;
}

/** Which of the envelopes any of the keys opens (the outer layer: everything is inside it). */
async function opened(keys: readonly (EpochKeys | LobbyKeys)[], envelopes: readonly SeenEnvelope[]): Promise<SeenEnvelope[]> {
  const out: SeenEnvelope[] = [];
  for (const seen of envelopes) {
    for (const key of keys) {
      if ((await peekSealed(key, seen.envelope)).ok) {
        out.push(seen);
        break;
      }
    }
  }
  return out;
}

describe('membership that holds', () => {
  let relay: RunningRelay;
  let store: RecordingStore;
  let personas: Map<string, Uint8Array>;
  const open: TestClient[] = [];
  const client = async (name: string) => {
    const t = await clientFor(relay.url, name, personas.get(name)!);
    open.push(t);
    return t;
  };
  const identity = async (name: string) => {
    const imported = await importBackup(fromUtf8(personas.get(name)!)!, PASSWORD);
    if (!imported.ok) throw new Error('backup');
    return imported.unlocked;
  };
  /** Waits until the knock was seen and every member had its random delay, twice over. */
  const pastTheRace = () => new Promise((resolve) => setTimeout(resolve, 2 * RACE_DELAY_MAX_MS));

  beforeAll(async () => {
    store = new RecordingStore();
    relay = await startRelay({ port: 0, logLevel: 'silent', store });
    personas = await makePersonas(relay.url, NAMES);
  });
  afterAll(async () => {
    await Promise.all(open.map((t) => t.client.close()));
    await relay.close();
    await store.close();
  });

  /** Alice's room with Bob and Mallory in it, Mallory's keys stolen at the last moment. */
  async function roomOfThree(name: string) {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const mallory = await client('Mallory');
    const room = await alice.client.createRoom({ name });
    const link = room.inviteLink();
    await bob.client.joinRoom(link);
    await mallory.client.joinRoom(link);
    for (const t of [alice, bob, mallory]) await waitFor(`${t.name} sees 3 members`, () => memberIds(t, room.id).length === 3);
    await alice.client.room(room.id)!.sendText('before the removal');
    await waitFor('mallory reads it', () => textOf(mallory, room.id).includes('before the removal'));
    return { alice, bob, mallory, room, link, malloryId: mallory.client.identity()!.identityId };
  }

  it('a removed member, with every key she held and every byte the relay saw, opens nothing sent after her removal; a newcomer never sees her as a member and opens nothing from before it', async () => {
    const { alice, bob, mallory, room, malloryId } = await roomOfThree('removal');
    // Mallory walks away with a copy of her keys and never processes the removal.
    const stolen = steal(mallory, room.id);
    await mallory.client.close();
    const removalStarts = store.seen.length;
    await alice.client.room(room.id)!.removeMember(malloryId);
    await waitFor('bob sees the removal', () => !memberIds(bob, room.id).includes(malloryId));
    expect(alice.client.room(room.id)!.summary().epoch).toBe(stolen.log.state!.epoch + 1);
    // The link was reset with the removal.
    expect(sessionOf(alice, room.id).parts.log.record.linkSecret).not.toBe(stolen.log.linkSecret);
    const after = ['after removal 1 (alice)', 'after removal 2 (bob)'];
    await alice.client.room(room.id)!.sendText(after[0]!);
    await bob.client.room(room.id)!.sendText(after[1]!);
    await waitFor('bob reads alice', () => textOf(bob, room.id).includes(after[0]!));
    await waitFor('alice reads bob', () => textOf(alice, room.id).includes(after[1]!));

    const keys = await keysOf(stolen);
    const before = store.seen.slice(0, removalStarts);
    const since = store.seen.slice(removalStarts);
    // Her harness works: it opens what was sent to the room while she was in it.
    expect((await opened(keys, before)).length).toBeGreaterThan(0);
    // Since: only the commit that removed her, in the relay room of her last epoch; it gives
    // her no keys. Nothing else opens: not a message, not a name, not a key, not a timer.
    const readable = await opened(keys, since);
    expect(readable.map((e) => e.room)).toEqual([stolen.record.epochRoom!.room]);
    const me = await identity('Mallory');
    const removal = await openCommit({
      me,
      state: stolen.log.state!,
      epochKeys: keys[0] as EpochKeys,
      linkSecret: fromBase64Url(stolen.log.linkSecret!)!,
      envelope: readable[0]!.envelope,
    });
    expect(removal).toMatchObject({ ok: true, removedMe: true });
    expect('epochSecret' in removal).toBe(false);

    // A newcomer through the current link: Mallory is in the log's removal record, never a member.
    const nina = await client('Nina');
    const ninaJoins = store.seen.length;
    await nina.client.joinRoom(alice.client.room(room.id)!.inviteLink());
    await waitFor('nina is in', () => nina.client.room(room.id)?.summary().active === true);
    expect(memberIds(nina, room.id)).not.toContain(malloryId);
    expect(sessionOf(nina, room.id).parts.log.memberState.removed).toContain(malloryId);
    expect((await nina.client.room(room.id)!.history()).some((i) => i.kind === 'system' && i.event.type === 'joined-room')).toBe(true);
    expect(await opened([epochKeysOf(nina, room.id)], store.seen.slice(0, ninaJoins))).toEqual([]);
    expect(nina.events.filter((e) => e.type === 'warning')).toEqual([]);
  });

  it('a removed member with a fresh identity and the old link is never let in; its own client says it was removed', async () => {
    const { alice, bob, mallory, room, link, malloryId } = await roomOfThree('removal, then back');
    await alice.client.room(room.id)!.removeMember(malloryId);
    await waitFor('mallory is told', () => mallory.events.some((e) => e.type === 'removed-me'));
    expect(mallory.client.room(room.id)!.summary().status).toBe('removed');
    await expect(mallory.client.joinRoom(link)).rejects.toMatchObject({ code: 'REMOVED_FROM_ROOM' });

    const again = await client('Mallory2');
    const knocks = store.seen.length;
    await again.client.joinRoom(link);
    const oldLobby = (await lobbyKeysFromInvite(link)).relayRoomIdB64;
    await waitFor('her knock reached the relay', () => store.seen.slice(knocks).some((e) => e.room === oldLobby));
    await pastTheRace();
    await alice.client.room(room.id)!.sendText('after the removal');
    await waitFor('bob reads it', () => textOf(bob, room.id).includes('after the removal'));
    // Nobody watches the old link's lobby any more: the knock is never answered.
    for (const t of [alice, bob]) expect(sessionOf(t, room.id).record.lobbies.map((l) => l.room)).not.toContain(oldLobby);
    expect(again.client.room(room.id)!.summary().status).toBe('knocking');
    expect(textOf(again, room.id)).toEqual([]);
    expect(memberIds(alice, room.id)).not.toContain(again.client.identity()!.identityId);
  });

  it('a member who leaves reads nothing more; the others rotate before sending again', async () => {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const carol = await client('Carol');
    const room = await alice.client.createRoom({ name: 'leaving' });
    await bob.client.joinRoom(room.inviteLink());
    await carol.client.joinRoom(room.inviteLink());
    for (const t of [alice, bob, carol]) await waitFor(`${t.name} sees 3 members`, () => memberIds(t, room.id).length === 3);
    await alice.client.room(room.id)!.sendText('all three of us');
    await waitFor('bob reads it', () => textOf(bob, room.id).includes('all three of us'));
    const keyBefore = sessionOf(alice, room.id).record.outboundKey!.keyId;
    const stolen = steal(bob, room.id);
    const leaving = store.seen.length;

    await bob.client.room(room.id)!.leave();
    await waitFor('bob’s room goes inactive', () => bob.client.room(room.id)!.summary().status === 'left');
    await expect(bob.client.room(room.id)!.sendText('still here?')).rejects.toMatchObject({ code: 'ROOM_INACTIVE' });
    await waitFor('alice and carol commit his leaving', () => memberIds(alice, room.id).length === 2 && memberIds(carol, room.id).length === 2);
    await alice.client.room(room.id)!.sendText('just the two of us');
    await waitFor('carol reads it', () => textOf(carol, room.id).includes('just the two of us'));
    const after = sessionOf(alice, room.id).record;
    expect(after.outboundKey!.keyId).not.toBe(keyBefore);
    expect(after.distributedTo).not.toContain(bob.client.identity()!.identityId);
    expect(sessionOf(bob, room.id).record.ring.keys).toEqual([]);
    expect(textOf(bob, room.id)).toEqual(['all three of us']);
    // With the keys he held when he left: nothing after the removal of his leave opens.
    const since = store.seen.slice(leaving);
    const readable = await opened(await keysOf(stolen), since);
    expect(readable.every((e) => e.room === stolen.record.epochRoom!.room)).toBe(true);
    const membership = alice.events.filter((e) => e.type === 'membership' && e.roomId === room.id).map((e) => e.type === 'membership' && e.change.kind);
    expect(membership).toContain('left');
  });

  it('approval: a knock is seen by admins only; an approved knocker joins, a declined one does not', async () => {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const room = await alice.client.createRoom({ name: 'approval' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('bob is in', () => memberIds(bob, room.id).length === 2);
    await alice.client.room(room.id)!.setLinkPolicy({ approval: true, singleUse: false, expiresAt: null });
    await waitFor('bob learns the policy', () => bob.client.room(room.id)!.summary().linkPolicy?.approval === true);
    await expect(bob.client.room(room.id)!.setLinkPolicy({ approval: false, singleUse: false, expiresAt: null })).rejects.toMatchObject({ code: 'NOT_ADMIN' });
    const link = alice.client.room(room.id)!.inviteLink();
    expect(link).toContain('p=a');

    const nina = await client('Nina');
    await nina.client.joinRoom(link);
    await waitFor('alice sees the knock', () => alice.client.room(room.id)!.pendingKnocks().length === 1);
    const knock = alice.client.room(room.id)!.pendingKnocks()[0]!;
    expect(knock).toMatchObject({ identityId: nina.client.identity()!.identityId, displayName: 'Nina', removedBefore: false });
    expect(alice.events.some((e) => e.type === 'knock' && e.knocks.length === 1)).toBe(true);
    await pastTheRace();
    // Nobody let her in on their own; Bob, a member but no admin, does not even watch the lobby.
    expect(nina.client.room(room.id)!.summary().status).toBe('knocking');
    expect(bob.client.room(room.id)!.pendingKnocks()).toEqual([]);
    expect(bob.events.some((e) => e.type === 'knock')).toBe(false);
    await expect(bob.client.room(room.id)!.approveKnock(knock.knockId)).rejects.toMatchObject({ code: 'NOT_ADMIN' });
    await alice.client.room(room.id)!.approveKnock(knock.knockId);
    await waitFor('nina is let in', () => nina.events.some((e) => e.type === 'joined-room'));
    expect(nina.client.room(room.id)!.summary().active).toBe(true);
    expect(alice.client.room(room.id)!.pendingKnocks()).toEqual([]);

    const oscar = await client('Oscar');
    await oscar.client.joinRoom(link);
    await waitFor('alice sees oscar knock', () => alice.client.room(room.id)!.pendingKnocks().length === 1);
    await alice.client.room(room.id)!.declineKnock(alice.client.room(room.id)!.pendingKnocks()[0]!.knockId);
    await waitFor('oscar is told', () => oscar.client.room(room.id)!.summary().knockDeclined === 'declined');
    await pastTheRace();
    expect(oscar.client.room(room.id)!.summary().status).toBe('knocking');
    expect(memberIds(alice, room.id)).not.toContain(oscar.client.identity()!.identityId);
  });

  it('a direct message opens only for its recipient', async () => {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const carol = await client('Carol');
    const room = await alice.client.createRoom({ name: 'dm' });
    await bob.client.joinRoom(room.inviteLink());
    await carol.client.joinRoom(room.inviteLink());
    for (const t of [alice, bob, carol]) await waitFor(`${t.name} sees 3 members`, () => memberIds(t, room.id).length === 3);
    const bobId = bob.client.identity()!.identityId;
    const start = store.seen.length;
    await alice.client.room(room.id)!.sendDirect(bobId, 'for bob only');
    await alice.client.room(room.id)!.sendText('for everyone');
    await waitFor('carol reads the group message', () => textOf(carol, room.id).includes('for everyone'));
    await waitFor('bob reads both', () => textOf(bob, room.id).length === 2);
    expect(receivedTexts(bob, room.id).find((m) => m.text === 'for bob only')?.directTo).toBe(bobId);
    expect(textOf(carol, room.id)).toEqual(['for everyone']);
    expect(carol.events.filter((e) => e.type === 'warning')).toEqual([]);
    // Carol, with her private keys and the epoch's keys, cannot open it from the raw bytes.
    const keys = epochKeysOf(carol, room.id);
    const roster = sessionOf(carol, room.id).parts.log.roster!;
    const carolKeys = await identity('Carol');
    const bobKeys = await identity('Bob');
    const directs = [];
    for (const seen of store.seen.slice(start)) {
      const peek = await peekSealed(keys, seen.envelope);
      if (peek.ok && peek.peek.type === 'direct') directs.push(peek.peek);
    }
    const forBob = [];
    for (const peek of directs) {
      const got = await openDirect({ keys, roster, me: bobKeys, envelope: peek });
      if (got.ok && fromUtf8(got.payload)?.includes('for bob only')) forBob.push(peek);
    }
    expect(forBob).toHaveLength(1);
    expect(await openDirect({ keys, roster, me: carolKeys, envelope: forBob[0]! })).toMatchObject({ ok: false, code: 'WRONG_RECIPIENT' });
  });

  it('joining again after leaving keeps the earlier history; the removals of the log still bind', async () => {
    const { alice, bob, mallory, room, malloryId } = await roomOfThree('again');
    await alice.client.room(room.id)!.removeMember(malloryId);
    await waitFor('bob sees the removal', () => !memberIds(bob, room.id).includes(malloryId));
    await bob.client.room(room.id)!.leave();
    await waitFor('bob’s room goes inactive', () => bob.client.room(room.id)!.summary().status === 'left');
    await waitFor('alice commits it', () => memberIds(alice, room.id).length === 1);
    void mallory;
    await bob.client.joinRoom(alice.client.room(room.id)!.inviteLink());
    await waitFor('bob is back', () => bob.client.room(room.id)!.summary().status === 'current' && memberIds(alice, room.id).length === 2);
    await alice.client.room(room.id)!.sendText('after rejoining');
    await waitFor('bob reads it', () => textOf(bob, room.id).includes('after rejoining'));
    const history = await bob.client.room(room.id)!.history();
    expect(new Set(history.map((item) => item.id)).size).toBe(history.length);
    expect(history.filter((i) => i.kind === 'text').map((i) => i.kind === 'text' && i.text)).toEqual(['before the removal', 'after rejoining']);
    expect(sessionOf(bob, room.id).parts.log.memberState.removed).toContain(malloryId);
  });

  it('rotates the sender key when its message budget is spent, and nothing is lost across the rotation', async () => {
    const alice = await client('Alice');
    const bob = await client('Bob');
    const room = await alice.client.createRoom({ name: 'budget' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('bob is in', () => memberIds(bob, room.id).length === 2);
    await alice.client.room(room.id)!.sendText('first');
    await waitFor('bob reads the first', () => receivedTexts(bob, room.id).length === 1);
    const firstKey = sessionOf(alice, room.id).record.outboundKey!.keyId;
    const COUNT = MAX_MESSAGES_PER_SENDER_KEY + 5;
    for (let i = 0; i < COUNT; i += 1) await alice.client.room(room.id)!.sendText(`n${i}`);
    await waitFor('bob reads them all', () => receivedTexts(bob, room.id).length === COUNT + 1, 60_000);
    const after = sessionOf(alice, room.id).record.outboundKey!;
    expect(after.keyId).not.toBe(firstKey);
    expect(after.sequence).toBeLessThan(MAX_MESSAGES_PER_SENDER_KEY);
    expect(textOf(bob, room.id)).toEqual(['first', ...Array.from({ length: COUNT }, (_, i) => `n${i}`)]);
  }, 90_000);
});
