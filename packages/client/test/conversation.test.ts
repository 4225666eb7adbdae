import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { clientFor, makePersonas, receivedTexts, waitFor, type TestClient } from './helpers.js';

const NAMES = ['Alice', 'Bob', 'Carol', 'Dave'];
const MESSAGES_EACH = 6;

describe('a room of four', () => {
  let relay: RunningRelay;
  let personas: Map<string, Uint8Array>;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    personas = await makePersonas(relay.url, NAMES);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.close()));
    await relay.close();
  });

  it('each member sees every other member’s messages exactly once, in each sender’s order', async () => {
    for (const name of NAMES) clients.push(await clientFor(relay.url, name, personas.get(name)!));
    const [alice, ...others] = clients as [TestClient, ...TestClient[]];
    const room = await alice.client.createRoom({ name: 'Incident 42' });
    const link = room.inviteLink();
    expect(link).toContain('#');
    expect(link.split('#')[0]).not.toContain(room.id);
    for (const other of others) await other.client.joinRoom(link);
    for (const c of clients) {
      await waitFor(`${c.name} to see all members`, () => c.client.room(room.id)?.members().length === NAMES.length);
    }
    // Everyone talks at once.
    await Promise.all(
      clients.map(async (c) => {
        const handle = c.client.room(room.id)!;
        for (let i = 0; i < MESSAGES_EACH; i += 1) await handle.sendText(`${c.name} #${i}`);
      }),
    );
    const expected = (NAMES.length - 1) * MESSAGES_EACH;
    for (const c of clients) {
      await waitFor(`${c.name} to receive ${expected} messages`, () => receivedTexts(c, room.id).length >= expected);
    }
    // Let stragglers (duplicates, if any) arrive before judging exactly-once.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const c of clients) {
      const got = receivedTexts(c, room.id);
      expect(got).toHaveLength(expected);
      expect(new Set(got.map((m) => m.id)).size).toBe(expected);
      for (const sender of NAMES.filter((n) => n !== c.name)) {
        expect(got.filter((m) => m.senderName === sender).map((m) => m.text)).toEqual(Array.from({ length: MESSAGES_EACH }, (_, i) => `${sender} #${i}`));
      }
      const history = await c.client.room(room.id)!.history();
      const mine = history.filter((i) => i.kind === 'text' && i.senderName === c.name);
      expect(mine.every((m) => m.kind === 'text' && m.state === 'sent')).toBe(true);
      expect(c.events.filter((e) => e.type === 'warning')).toEqual([]);
    }
  });

  it('mentions reach the member named, and presence says who is online now', async () => {
    const [alice, bob, carol] = clients as [TestClient, TestClient, TestClient];
    const roomId = alice.client.rooms()[0]!.id;
    const aliceId = alice.client.identity()!.identityId;
    const bobId = bob.client.identity()!.identityId;
    await bob.client.room(roomId)!.sendText('@Alice can you look at this?');
    await waitFor('alice gets the mention', () => receivedTexts(alice, roomId).some((m) => m.mentionsMe));
    const mention = receivedTexts(alice, roomId).find((m) => m.mentionsMe)!;
    expect(mention.mentions).toEqual([aliceId]);
    await waitFor('carol gets it too', () => receivedTexts(carol, roomId).some((m) => m.text.startsWith('@Alice')));
    expect(receivedTexts(carol, roomId).find((m) => m.text.startsWith('@Alice'))!.mentionsMe).toBe(false);

    const onlineFor = (t: TestClient) => t.client.room(roomId)!.members().filter((m) => m.online).map((m) => m.id);
    await waitFor('alice sees bob online', () => onlineFor(alice).includes(bobId));
    const presenceEvents = alice.events.filter((e) => e.type === 'presence' && e.roomId === roomId);
    expect(presenceEvents.some((e) => e.type === 'presence' && e.online.includes(bobId))).toBe(true);
    await bob.client.close();
    await waitFor('alice sees bob go offline', () => !onlineFor(alice).includes(bobId));
    const last = alice.events.filter((e) => e.type === 'presence' && e.roomId === roomId).at(-1);
    expect(last?.type === 'presence' && last.online.includes(bobId)).toBe(false);
  });
});
