/**
 * Replies, reactions, edits and deletes for everyone between three real clients over a relay
 * (PROTOCOL C.11), and what a hostile member can do with them: its payloads open (it holds
 * the room's keys), so what stops it is the receiver's rule that an action counts for its
 * authenticated sender only.
 */
import { randomBytes, toBase64Url } from '@sealroom/protocol';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TextMessage } from '../src/api.js';
import type { AppPayload } from '../src/payloads.js';
import type { RoomSession } from '../src/room-session.js';
import { clientFor, makePersonas, texts, waitFor, type TestClient } from './helpers.js';

describe('message actions between members', () => {
  let relay: RunningRelay;
  let alice: TestClient;
  let bob: TestClient;
  let mallory: TestClient;
  let roomId: string;
  const idOf = (t: TestClient) => t.client.identity()!.identityId;
  const session = (t: TestClient) => t.client.room(roomId) as unknown as RoomSession;
  const itemOn = async (t: TestClient, id: string) => texts(await t.client.room(roomId)!.history()).find((m) => m.id === id);
  const seenBy = (all: TestClient[], id: string, check: (m: TextMessage) => boolean) =>
    waitFor(`${id} as expected on ${all.map((t) => t.name).join(', ')}`, async () => {
      for (const t of all) {
        const m = await itemOn(t, id);
        if (m === undefined || !check(m)) return false;
      }
      return true;
    });

  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    const personas = await makePersonas(relay.url, ['Alice', 'Bob', 'Mallory']);
    alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
    bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!);
    mallory = await clientFor(relay.url, 'Mallory', personas.get('Mallory')!);
    const room = await alice.client.createRoom({ name: 'actions' });
    roomId = room.id;
    await bob.client.joinRoom(room.inviteLink());
    await mallory.client.joinRoom(room.inviteLink());
    await waitFor('everyone sees everyone', () => [alice, bob, mallory].every((t) => t.client.room(roomId)?.members().length === 3));
  });
  afterAll(async () => {
    await Promise.all([alice, bob, mallory].map((t) => t.client.close()));
    await relay.close();
  });

  it('reply, react, edit and delete reach every member', async () => {
    const original = await alice.client.room(roomId)!.sendText('lunch at noon?');
    await seenBy([bob, mallory], original.id, () => true);

    const reply = await bob.client.room(roomId)!.sendText('yes', { replyTo: original.id });
    await seenBy([alice, mallory], reply.id, (m) => m.replyTo === original.id);

    await bob.client.room(roomId)!.react(original.id, '👍');
    await mallory.client.room(roomId)!.react(original.id, '👍');
    await seenBy([alice, bob, mallory], original.id, (m) => m.reactions?.['👍']?.length === 2);
    await bob.client.room(roomId)!.react(original.id, '👍');
    await seenBy([alice, bob, mallory], original.id, (m) => JSON.stringify(m.reactions) === JSON.stringify({ '👍': [idOf(mallory)] }));

    await alice.client.room(roomId)!.editMessage(original.id, 'lunch at one?');
    await seenBy([alice, bob, mallory], original.id, (m) => m.text === 'lunch at one?' && m.editedAt !== undefined);

    await alice.client.room(roomId)!.deleteMessage(original.id);
    await seenBy([alice, bob, mallory], original.id, (m) => m.deleted === true && m.text === '');
    // The reply stays, its quote now points at a tombstone.
    expect((await itemOn(bob, reply.id))?.replyTo).toBe(original.id);
  });

  it('a member cannot edit or delete another member’s message', async () => {
    const target = await alice.client.room(roomId)!.sendText('the meeting is at 3');
    await seenBy([bob, mallory], target.id, () => true);
    const ref = { by: idOf(alice), id: target.id.slice(idOf(alice).length + 1) };
    const forge = (payload: AppPayload) => session(mallory).parts.sending.sendGroup(payload);
    await forge({ t: 'edit', id: toBase64Url(randomBytes(16)), ts: Date.now(), ref, body: 'the meeting is cancelled', mentions: [] });
    await forge({ t: 'delete', id: toBase64Url(randomBytes(16)), ts: Date.now(), ref });
    await waitFor(
      'two NOT_AUTHOR warnings on bob',
      () => bob.events.filter((e) => e.type === 'warning' && e.code === 'NOT_AUTHOR' && e.member === idOf(mallory)).length === 2,
    );
    expect(await itemOn(bob, target.id)).toMatchObject({ text: 'the meeting is at 3' });
    expect((await itemOn(bob, target.id))?.deleted).toBeUndefined();
    await expect(mallory.client.room(roomId)!.editMessage(target.id, 'x')).rejects.toMatchObject({ code: 'NOT_AUTHOR' });
  });

  it('a delete sent before its message keeps the message from ever showing', async () => {
    const id = toBase64Url(randomBytes(16));
    const alices = session(alice);
    await alices.parts.sending.sendGroup({ t: 'delete', id: toBase64Url(randomBytes(16)), ts: Date.now(), ref: { by: idOf(alice), id } });
    await alices.parts.sending.queueText({ t: 'text', id, ts: Date.now(), body: 'regretted', mentions: [] }, null);
    const marker = await alice.client.room(roomId)!.sendText('after the regret');
    await seenBy([bob], marker.id, () => true);
    expect(await itemOn(bob, `${idOf(alice)}/${id}`)).toBeUndefined();
  });

  it('a reaction or reply to a message the receiver never got changes nothing it holds', async () => {
    const unknown = { by: idOf(alice), id: toBase64Url(randomBytes(16)) };
    await session(mallory).parts.sending.sendGroup({ t: 'react', id: toBase64Url(randomBytes(16)), ts: Date.now(), ref: unknown, emoji: '😮', on: true });
    const reply = await session(mallory).parts.sending.queueText(
      { t: 'text', id: toBase64Url(randomBytes(16)), ts: Date.now(), body: 'as you said', mentions: [], reply: unknown },
      null,
    );
    await seenBy([bob], reply.id, (m) => m.replyTo === `${unknown.by}/${unknown.id}`);
    expect(await itemOn(bob, `${unknown.by}/${unknown.id}`)).toBeUndefined();
    expect(bob.events.filter((e) => e.type === 'message-updated' && e.item.id === `${unknown.by}/${unknown.id}`)).toEqual([]);
  });

  it('a private message’s reactions and edits stay between its two people', async () => {
    const secret = await alice.client.room(roomId)!.sendDirect(idOf(bob), 'just for you');
    await seenBy([bob], secret.id, () => true);
    await bob.client.room(roomId)!.react(secret.id, '❤️');
    await alice.client.room(roomId)!.editMessage(secret.id, 'just for you, Bob');
    await seenBy([alice, bob], secret.id, (m) => m.text === 'just for you, Bob' && m.reactions?.['❤️']?.[0] === idOf(bob));
    expect(await itemOn(mallory, secret.id)).toBeUndefined();
    expect(mallory.events.some((e) => e.type === 'message-updated' && e.item.id === secret.id)).toBe(false);
  });
});
