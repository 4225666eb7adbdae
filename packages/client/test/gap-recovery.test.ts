/**
 * Journey 6's hard case against a real relay that keeps only a few envelopes per room: a
 * member away longer than retention comes back, hears of the gap, and the conversation
 * carries on in both directions (PROTOCOL Part C.5 key recovery, C.7).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { createMemoryStorage, type ClientStorage } from '../src/index.js';
import { clientFor, makePersonas, receivedTexts, waitFor, type TestClient } from './helpers.js';

const NAMES = ['Alice', 'Bob', 'Carol'];
/** Envelopes the relay keeps per room: far fewer than are sent while Bob is away. */
const RETAINED = 4;
const SENT_WHILE_AWAY = 12;
const textOf = (t: TestClient, roomId: string) => receivedTexts(t, roomId).map((m) => m.text);

/** Memory storage that can be frozen: a browser tab killed at once writes nothing more. */
function freezableStorage(): ClientStorage & { readonly size: number; freeze(): void; thaw(): void } {
  const inner = createMemoryStorage();
  let frozen = false;
  return {
    get size() {
      return inner.size;
    },
    get: (key) => inner.get(key),
    keys: (prefix) => inner.keys(prefix),
    set: async (key, value) => (frozen ? undefined : inner.set(key, value)),
    delete: async (key) => (frozen ? undefined : inner.delete(key)),
    freeze: () => (frozen = true),
    thaw: () => (frozen = false),
  };
}

describe('after a retention gap the conversation carries on', () => {
  let personas: Map<string, Uint8Array>;
  let relay: RunningRelay;
  const open: TestClient[] = [];
  const client = async (name: string, storage = createMemoryStorage()) => {
    const t = await clientFor(relay.url, name, personas.get(name)!, storage);
    open.push(t);
    return t;
  };

  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent', retention: { maxEnvelopesPerRoom: RETAINED } });
    personas = await makePersonas(relay.url, NAMES);
  });
  afterAll(async () => {
    await Promise.all(open.map((t) => t.client.close()));
    await relay.close();
  });

  const allSent = async (t: TestClient, roomId: string) => (await t.client.room(roomId)!.history()).every((i) => i.kind !== 'text' || i.state !== 'pending');

  it('a tab closed right after reading comes back, opens what is retained and what follows, and is answered', async () => {
    const alice = await client('Alice');
    const bobStorage = freezableStorage();
    const bob = await client('Bob', bobStorage);
    const room = await alice.client.createRoom({ name: 'short memory' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
    await alice.client.room(room.id)!.sendText('Before Bob goes away.');
    await waitFor('bob reads it', () => textOf(bob, room.id).includes('Before Bob goes away.'));
    // The tab is gone at once: nothing after this moment reaches storage.
    bobStorage.freeze();
    await bob.client.close();

    bobStorage.thaw();

    for (let i = 1; i <= SENT_WHILE_AWAY; i += 1) await alice.client.room(room.id)!.sendText(`While Bob is away, ${i}.`);
    await waitFor('alice’s messages are acknowledged', () => allSent(alice, room.id));

    const bobAgain = await client('Bob', bobStorage);
    await waitFor('bob hears of the gap', () => bobAgain.events.some((e) => e.type === 'gap'));
    await waitFor('bob reads the retained tail', () => textOf(bobAgain, room.id).includes(`While Bob is away, ${SENT_WHILE_AWAY}.`));
    const history = await bobAgain.client.room(room.id)!.history();
    expect(history.some((i) => i.kind === 'system' && i.event.type === 'before-join')).toBe(false);

    await alice.client.room(room.id)!.sendText('After Bob is back.');
    await waitFor('bob reads the message after the gap', () => textOf(bobAgain, room.id).includes('After Bob is back.'));
    await bobAgain.client.room(room.id)!.sendText('Bob answering after the gap.');
    await waitFor('alice reads bob’s answer', () => textOf(alice, room.id).includes('Bob answering after the gap.'));
    const got = textOf(bobAgain, room.id);
    console.log(`bob after the gap read: ${JSON.stringify(got)}`);
    expect(bobAgain.events.filter((e) => e.type === 'warning')).toEqual([]);
  });

  it('a rotation whose distribution fell into the gap is recovered by a key request; the lost range stays in the gap', async () => {
    const alice = await client('Alice');
    const bobStorage = createMemoryStorage();
    const bob = await client('Bob', bobStorage);
    const carol = await client('Carol');
    const room = await alice.client.createRoom({ name: 'rotated away' });
    await bob.client.joinRoom(room.inviteLink());
    await carol.client.joinRoom(room.inviteLink());
    await waitFor('alice sees three', () => alice.client.room(room.id)!.members().length === 3);
    await waitFor('bob sees three', () => bob.client.room(room.id)!.members().length === 3);
    await alice.client.room(room.id)!.sendText('All three here.');
    await waitFor('bob reads it', () => textOf(bob, room.id).includes('All three here.'));
    await bob.client.close();

    // Carol leaves: Alice rotates and distributes the new key to Bob, who is away; the
    // distribution is then pushed out of retention by what follows.
    await carol.client.room(room.id)!.leave();
    await waitFor('alice sees carol leave', () => alice.client.room(room.id)!.members().length === 2);
    for (let i = 1; i <= SENT_WHILE_AWAY; i += 1) await alice.client.room(room.id)!.sendText(`While Bob is away, ${i}.`);
    await waitFor('alice’s messages are acknowledged', () => allSent(alice, room.id));

    const bobAgain = await client('Bob', bobStorage);
    await waitFor('bob hears of the gap', () => bobAgain.events.some((e) => e.type === 'gap'));
    // Bob's key request reaches Alice: her next send distributes her current chain state to him.
    const aliceRoom = alice.client.room(room.id)! as unknown as { record: { distributedTo: string[] } };
    const bobId = bobAgain.client
      .room(room.id)!
      .members()
      .find((m) => m.isMe)!.id;
    await waitFor('alice hears bob’s key request', () => !aliceRoom.record.distributedTo.includes(bobId));

    await alice.client.room(room.id)!.sendText('After Bob is back.');
    await waitFor('bob reads the message after the gap', () => textOf(bobAgain, room.id).includes('After Bob is back.'));
    await bobAgain.client.room(room.id)!.sendText('Bob answering after the gap.');
    await waitFor('alice reads bob’s answer', () => textOf(alice, room.id).includes('Bob answering after the gap.'));
    const history = await bobAgain.client.room(room.id)!.history();
    // The retained messages under the lost key are part of the gap: not "before you joined", not errors.
    expect(history.some((i) => i.kind === 'system' && i.event.type === 'before-join')).toBe(false);
    expect(bobAgain.events.filter((e) => e.type === 'warning')).toEqual([]);
    console.log(`bob after the gap read: ${JSON.stringify(textOf(bobAgain, room.id))}`);
  });
});
