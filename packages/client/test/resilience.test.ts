import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { createMemoryStorage } from '../src/index.js';
import { spawnRelay } from './relay-process.js';
import { clientFor, makePersonas, receivedTexts, waitFor, type TestClient } from './helpers.js';
import { sessionOf } from './raw-relay.js';

const NAMES = ['Alice', 'Bob', 'Carol'];
const textOf = (t: TestClient, roomId: string) => receivedTexts(t, roomId).map((m) => m.text);

describe('catch-up, gaps and relay restarts', () => {
  let personas: Map<string, Uint8Array>;
  const relays: RunningRelay[] = [];
  const open: TestClient[] = [];
  const client = async (relay: RunningRelay, name: string, storage = createMemoryStorage()) => {
    const t = await clientFor(relay.url, name, personas.get(name)!, storage);
    open.push(t);
    return t;
  };

  beforeAll(async () => {
    const relay = await startRelay({ port: 0, logLevel: 'silent' });
    relays.push(relay);
    personas = await makePersonas(relay.url, NAMES);
  });
  afterAll(async () => {
    await Promise.all(open.map((t) => t.client.close()));
    await Promise.all(relays.map((r) => r.close()));
  });

  it('a member who was offline catches up on return, exactly once', async () => {
    const relay = relays[0]!;
    const alice = await client(relay, 'Alice');
    const bobStorage = createMemoryStorage();
    const bob = await client(relay, 'Bob', bobStorage);
    const room = await alice.client.createRoom({ name: 'catch-up' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
    await alice.client.room(room.id)!.sendText('while bob is here');
    await waitFor('bob reads it', () => textOf(bob, room.id).length === 1);
    await bob.client.close();

    const missed = Array.from({ length: 10 }, (_, i) => `while bob is away #${i}`);
    for (const text of missed) await alice.client.room(room.id)!.sendText(text);
    await waitFor('alice’s messages are acknowledged', async () =>
      (await alice.client.room(room.id)!.history()).every((i) => i.kind !== 'text' || i.state !== 'pending'),
    );

    const bobAgain = await client(relay, 'Bob', bobStorage);
    await waitFor('bob catches up', () => textOf(bobAgain, room.id).length >= missed.length);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(textOf(bobAgain, room.id)).toEqual(missed);
    const history = await bobAgain.client.room(room.id)!.history();
    expect(history.filter((i) => i.kind === 'text').map((i) => (i.kind === 'text' ? i.text : ''))).toEqual(['while bob is here', ...missed]);
    expect(bobAgain.events.filter((e) => e.type === 'gap')).toEqual([]);
  });

  it('when retention dropped part of what a member missed, a gap event names the range', async () => {
    const small = await startRelay({ port: 0, logLevel: 'silent', retention: { maxEnvelopesPerRoom: 8 } });
    relays.push(small);
    const alice = await client(small, 'Alice');
    const bobStorage = createMemoryStorage();
    const bob = await client(small, 'Bob', bobStorage);
    const room = await alice.client.createRoom({ name: 'gap' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
    await alice.client.room(room.id)!.sendText('hello bob');
    await waitFor('bob reads it', () => textOf(bob, room.id).length === 1);
    await bob.client.close();

    const missed = Array.from({ length: 20 }, (_, i) => `missed #${i}`);
    for (const text of missed) await alice.client.room(room.id)!.sendText(text);
    await waitFor('alice’s messages are acknowledged', async () =>
      (await alice.client.room(room.id)!.history()).every((i) => i.kind !== 'text' || i.state !== 'pending'),
    );

    const bobAgain = await client(small, 'Bob', bobStorage);
    await waitFor('bob hears of a gap', () => bobAgain.events.some((e) => e.type === 'gap'));
    await waitFor('bob gets the retained tail', () => textOf(bobAgain, room.id).includes('missed #19'));
    const gap = bobAgain.events.find((e) => e.type === 'gap');
    expect(gap).toMatchObject({ type: 'gap', roomId: room.id });
    if (gap?.type !== 'gap') throw new Error('unreachable');
    expect(gap.upToCursor).toBeGreaterThan(gap.afterCursor);
    console.log(`gap event: cursors (${gap.afterCursor}, ${gap.upToCursor}] dropped by retention`);
    // What arrived is an in-order, duplicate-free tail of what was sent.
    const got = textOf(bobAgain, room.id);
    expect(got.length).toBeLessThan(missed.length);
    expect(got).toEqual(missed.slice(missed.length - got.length));
    const history = await bobAgain.client.room(room.id)!.history();
    expect(history.some((i) => i.kind === 'system' && i.event.type === 'gap')).toBe(true);
  });

  it('the relay shuts down and restarts empty mid-conversation: messages typed meanwhile arrive once, nothing is lost', async () => {
    let relay = await startRelay({ port: 0, logLevel: 'silent' });
    const port = relay.port;
    const alice = await client(relay, 'Alice');
    const bob = await client(relay, 'Bob');
    const carol = await client(relay, 'Carol');
    const room = await alice.client.createRoom({ name: 'restart' });
    await bob.client.joinRoom(room.inviteLink());
    await carol.client.joinRoom(room.inviteLink());
    for (const t of [alice, bob, carol]) await waitFor(`${t.name} sees 3 members`, () => t.client.room(room.id)!.members().length === 3);
    await alice.client.room(room.id)!.sendText('a1');
    await bob.client.room(room.id)!.sendText('b1');
    await waitFor('carol reads a1 and b1', () => textOf(carol, room.id).length === 2);

    await relay.close();
    await waitFor('everyone notices', () => [alice, bob, carol].every((t) => t.client.connectionState() !== 'open'));
    const typed = { Alice: ['a2', 'a3', 'a4'], Bob: ['b2', 'b3'] };
    const pending = [];
    for (const text of typed.Alice) pending.push(await alice.client.room(room.id)!.sendText(text));
    for (const text of typed.Bob) pending.push(await bob.client.room(room.id)!.sendText(text));
    expect(pending.every((m) => m.state === 'pending')).toBe(true);

    relay = await startRelay({ port, logLevel: 'silent' });
    relays.push(relay);
    await waitFor('carol gets everything typed meanwhile', () => textOf(carol, room.id).length === 2 + 5);
    await waitFor('alice gets bob’s', () => textOf(alice, room.id).length === 1 + 2);
    await waitFor('bob gets alice’s', () => textOf(bob, room.id).length === 1 + 3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const carolGot = textOf(carol, room.id);
    expect(carolGot).toHaveLength(7);
    expect(carolGot.filter((t) => t.startsWith('a'))).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(carolGot.filter((t) => t.startsWith('b'))).toEqual(['b1', 'b2', 'b3']);
    expect(textOf(alice, room.id)).toEqual(['b1', 'b2', 'b3']);
    expect(textOf(bob, room.id)).toEqual(['a1', 'a2', 'a3', 'a4']);
    for (const t of [alice, bob]) {
      const mine = (await t.client.room(room.id)!.history()).filter((i) => i.kind === 'text' && i.sender === t.client.identity()!.identityId);
      expect(mine.every((i) => i.kind === 'text' && i.state === 'sent')).toBe(true);
      expect(t.events.filter((e) => e.type === 'delivery').length).toBe(mine.length);
    }
    expect(alice.events.some((e) => e.type === 'connection' && e.state === 'reconnecting')).toBe(true);
  });

  it('the relay process is SIGKILLed mid-conversation and started again: nothing typed meanwhile is lost or doubled', async () => {
    let relay = await spawnRelay();
    const port = relay.port;
    try {
      const alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
      const bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!);
      open.push(alice, bob);
      const room = await alice.client.createRoom({ name: 'killed' });
      await bob.client.joinRoom(room.inviteLink());
      await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
      await alice.client.room(room.id)!.sendText('before the crash');
      await waitFor('bob reads it', () => textOf(bob, room.id).length === 1);

      await relay.kill();
      await waitFor('both notice the dead relay', () => [alice, bob].every((t) => t.client.connectionState() !== 'open'));
      for (const text of ['typed while down 1', 'typed while down 2']) await alice.client.room(room.id)!.sendText(text);
      await bob.client.room(room.id)!.sendText('bob typed while down');

      relay = await spawnRelay(port);
      await waitFor('bob gets alice’s', () => textOf(bob, room.id).length === 3, 30_000);
      await waitFor('alice gets bob’s', () => textOf(alice, room.id).length === 1, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(textOf(bob, room.id)).toEqual(['before the crash', 'typed while down 1', 'typed while down 2']);
      expect(textOf(alice, room.id)).toEqual(['bob typed while down']);
    } finally {
      await relay.kill();
    }
  }, 90_000);

  it('a member away while the relay restarted empty, and the room was written past her cursor again, is told of the gap, never left in silence', async () => {
    // Issue 14 point 2: a memory relay SIGKILLed and started again; the others register the
    // room anew and write more than she had read. Her cursor is of the lost incarnation.
    let relay = await spawnRelay();
    const port = relay.port;
    try {
      const alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
      const bobStorage = createMemoryStorage();
      const bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!, bobStorage);
      open.push(alice, bob);
      const room = await alice.client.createRoom({ name: 'forgotten' });
      await bob.client.joinRoom(room.inviteLink());
      await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
      await alice.client.room(room.id)!.sendText('before the crash');
      await waitFor('bob reads it', () => textOf(bob, room.id).length === 1);
      const bobSession = sessionOf(bob, room.id);
      await bob.client.close();
      // Her cursor in the current epoch's relay room as she left (PROTOCOL C.8).
      const bobCursor = bobSession.record.epochRoom!.cursor;
      expect(bobCursor).toBeGreaterThan(0);

      await relay.kill();
      relay = await spawnRelay(port);
      await waitFor('alice is back', () => alice.client.connectionState() === 'open', 30_000);
      const after = Array.from({ length: bobCursor + 3 }, (_, i) => `after the crash #${i}`);
      for (const text of after) await alice.client.room(room.id)!.sendText(text);
      await waitFor('alice’s messages are acknowledged', async () =>
        (await alice.client.room(room.id)!.history()).every((i) => i.kind !== 'text' || i.state !== 'pending'),
      );

      const bobAgain = await clientFor(relay.url, 'Bob', personas.get('Bob')!, bobStorage);
      open.push(bobAgain);
      await waitFor('bob is told of the gap', () => bobAgain.events.some((e) => e.type === 'gap' && e.roomId === room.id), 30_000);
      await waitFor('bob reads everything written since', () => textOf(bobAgain, room.id).length === after.length, 30_000);
      expect(textOf(bobAgain, room.id)).toEqual(after);
      const gap = bobAgain.events.find((e) => e.type === 'gap');
      expect(gap).toMatchObject({ afterCursor: bobCursor });
      const history = await bobAgain.client.room(room.id)!.history();
      expect(history.filter((i) => i.kind === 'system' && i.event.type === 'gap')).toHaveLength(1);
    } finally {
      await relay.kill();
    }
  }, 90_000);

  it('the outbox survives a reload: typed offline, app closed, reopened, sent once when the relay is back', async () => {
    let relay = await startRelay({ port: 0, logLevel: 'silent' });
    const port = relay.port;
    const aliceStorage = createMemoryStorage();
    const alice = await client(relay, 'Alice', aliceStorage);
    const bob = await client(relay, 'Bob');
    const room = await alice.client.createRoom({ name: 'reload' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
    // Bob is in once he has verified the welcome (it follows Alice's add).
    await waitFor('bob is in', () => bob.client.room(room.id)!.members().length === 2);
    await relay.close();
    await waitFor('alice notices', () => alice.client.connectionState() !== 'open');
    const queued = await alice.client.room(room.id)!.sendText('typed offline, then the tab closed');
    expect(queued.state).toBe('pending');
    await alice.client.close();

    relay = await startRelay({ port, logLevel: 'silent' });
    relays.push(relay);
    const aliceAgain = await client(relay, 'Alice', aliceStorage);
    const pendingAfterReload = (await aliceAgain.client.room(room.id)!.history()).find((i) => i.id === queued.id);
    expect(pendingAfterReload).toMatchObject({ kind: 'text', state: 'pending' });
    await waitFor('bob receives it', () => textOf(bob, room.id).includes('typed offline, then the tab closed'));
    await waitFor('alice sees it sent', () => aliceAgain.events.some((e) => e.type === 'delivery' && e.id === queued.id));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(textOf(bob, room.id)).toEqual(['typed offline, then the tab closed']);
  });
});
