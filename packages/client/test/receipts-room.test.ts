/**
 * Receipts through a real relay (PROTOCOL C.12): a busy room of three, read receipts, a
 * reader with read receipts off, and a member who tries to confirm for someone else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import type { MessageReceipts, TextMessage } from '../src/api.js';
import type { AppPayload } from '../src/payloads.js';
import { clientFor, makePersonas, receivedTexts, waitFor, type TestClient } from './helpers.js';
import { sessionOf } from './raw-relay.js';

const NAMES = ['Alice', 'Bob', 'Carol'];
const MESSAGES = 100;

describe('receipts in a room of three', () => {
  let relay: RunningRelay;
  let alice: TestClient;
  let bob: TestClient;
  let carol: TestClient;
  let roomId: string;
  /** Receipt payloads each member sent, counted where they are sealed. */
  const receiptsSent = new Map<string, Extract<AppPayload, { t: 'receipt' }>[]>();

  const idOf = (t: TestClient) => t.client.identity()!.identityId;
  const receiptsOf = async (t: TestClient, id: string): Promise<MessageReceipts | undefined> =>
    ((await t.client.room(roomId)!.history()).find((i) => i.id === id) as TextMessage | undefined)?.receipts;

  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    const personas = await makePersonas(relay.url, NAMES);
    [alice, bob, carol] = (await Promise.all(NAMES.map((name) => clientFor(relay.url, name, personas.get(name)!)))) as [TestClient, TestClient, TestClient];
    const room = await alice.client.createRoom({ name: 'receipts' });
    roomId = room.id;
    await bob.client.joinRoom(room.inviteLink());
    await carol.client.joinRoom(room.inviteLink());
    await waitFor('everyone sees everyone', () => [alice, bob, carol].every((t) => t.client.room(roomId)?.members().length === 3));
    for (const t of [alice, bob, carol]) {
      const sending = sessionOf(t, roomId).parts.sending;
      const sendGroup = sending.sendGroup.bind(sending);
      const list: Extract<AppPayload, { t: 'receipt' }>[] = [];
      receiptsSent.set(t.name, list);
      sending.sendGroup = (payload, content) => {
        if (!(payload instanceof Uint8Array) && payload.t === 'receipt') list.push(payload);
        return sendGroup(payload, content);
      };
    }
  });
  afterAll(async () => {
    await Promise.all([alice, bob, carol].map((t) => t.client.close()));
    await relay.close();
  });

  it(`${MESSAGES} messages from 3 senders are each delivered to 2 of 2, with far fewer receipt envelopes than messages`, async () => {
    const members = [alice, bob, carol];
    const sent = await Promise.all(
      members.map(async (t, index) => {
        const room = t.client.room(roomId)!;
        const mine: string[] = [];
        for (let i = index; i < MESSAGES; i += members.length) mine.push((await room.sendText(`${t.name} #${i}`)).id);
        return mine;
      }),
    );
    for (const [index, t] of members.entries()) {
      await waitFor(`${t.name}'s messages delivered to 2 of 2`, async () => {
        for (const id of sent[index]!) if ((await receiptsOf(t, id))?.delivered.length !== 2) return false;
        return true;
      });
      const others = members.filter((o) => o !== t).map(idOf);
      for (const id of sent[index]!) expect((await receiptsOf(t, id))!.audience.sort()).toEqual(others.sort());
    }
    const envelopes = [...receiptsSent.values()].reduce((sum, list) => sum + list.length, 0);
    console.log(`receipts through a relay: ${MESSAGES} messages from 3 senders → ${envelopes} receipt envelopes (${MESSAGES * 2} deliveries confirmed)`);
    expect(envelopes).toBeLessThan(MESSAGES / 2);
    for (const t of members) expect(t.events.filter((e) => e.type === 'warning')).toEqual([]);
  });

  it('shows read by both once both read, and the receipts stay with the stored message', async () => {
    const message = await alice.client.room(roomId)!.sendText('did you both read this?');
    for (const t of [bob, carol]) {
      await waitFor(`${t.name} gets it`, () => receivedTexts(t, roomId).some((m) => m.text === message.text));
      t.client.room(roomId)!.markRead();
    }
    await waitFor('read by both', async () => (await receiptsOf(alice, message.id))?.read.length === 2);
    expect(await receiptsOf(alice, message.id)).toEqual({ audience: expect.any(Array), delivered: expect.any(Array), read: expect.any(Array) });
    const receipts = (await receiptsOf(alice, message.id))!;
    expect(receipts.read.sort()).toEqual([idOf(bob), idOf(carol)].sort());
    expect(receipts.delivered.sort()).toEqual([idOf(bob), idOf(carol)].sort());
    const event = alice.events.filter((e) => e.type === 'receipt' && e.id === message.id).at(-1);
    expect(event).toMatchObject({ type: 'receipt', roomId, receipts });
  });

  it('a reader with read receipts off is delivered to but never listed as read', async () => {
    carol.client.setReadReceipts(false);
    const carolBefore = receiptsSent.get('Carol')!.length;
    const message = await alice.client.room(roomId)!.sendText('carol keeps her reading to herself');
    for (const t of [bob, carol]) {
      await waitFor(`${t.name} gets it`, () => receivedTexts(t, roomId).some((m) => m.text === message.text));
      t.client.room(roomId)!.markRead();
    }
    await waitFor('read by bob, delivered to both', async () => {
      const r = await receiptsOf(alice, message.id);
      return r?.read.includes(idOf(bob)) === true && r.delivered.length === 2;
    });
    // Whatever Carol had queued goes out now; a text after it reaches Alice after it (cursor order).
    await sessionOf(carol, roomId).parts.receipts.flush();
    await carol.client.room(roomId)!.sendText('sentinel');
    await waitFor('alice gets the sentinel', () => receivedTexts(alice, roomId).some((m) => m.text === 'sentinel'));
    expect((await receiptsOf(alice, message.id))!.read).toEqual([idOf(bob)]);
    expect(
      receiptsSent
        .get('Carol')!
        .slice(carolBefore)
        .flatMap((p) => p.r),
    ).toEqual([]);
    carol.client.setReadReceipts(true);
  });

  it('a member cannot confirm for another: a receipt counts for its signer only, unknown ids are ignored', async () => {
    const message = await alice.client.room(roomId)!.sendText('who got this?');
    await waitFor('bob gets it', () => receivedTexts(bob, roomId).some((m) => m.text === message.text));
    await waitFor('carol gets it', () => receivedTexts(carol, roomId).some((m) => m.text === message.text));
    // Carol claims, in a payload of her own, that Bob read it, and names ids nobody sent.
    const appId = message.id.split('/')[1]!;
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAA';
    const forged = { t: 'receipt', ts: Date.now(), d: [appId, unknown], r: [appId, unknown], from: idOf(bob), by: idOf(bob) } as unknown as AppPayload;
    await sessionOf(carol, roomId).parts.sending.sendGroup(forged);
    await waitFor('carol listed as read', async () => (await receiptsOf(alice, message.id))?.read.includes(idOf(carol)) === true);
    // Bob's own receipt has not been sent (he has not read it): he is not listed as read.
    expect((await receiptsOf(alice, message.id))!.read).toEqual([idOf(carol)]);
    expect(alice.events.filter((e) => e.type === 'warning')).toEqual([]);
  });
});
