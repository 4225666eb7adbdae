import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { ENVELOPE_TYPE, HEADER_BYTES, KEY_ID_BYTES, fromBase64Url, memberIdOf, peekEnvelope, equalBytes } from '@sealroom/protocol';
import { clientFor, makePersonas, receivedTexts, waitFor, type TestClient } from './helpers.js';
import { RawRelayClient, roomKeysFromInvite } from './raw-relay.js';
import type { Warning } from '../src/index.js';
import { MAX_SEEN_IDS } from '../src/seen-ids.js';
import type { RoomSession } from '../src/room-session.js';

describe('hostile envelopes injected by someone holding the admission key', () => {
  let relay: RunningRelay;
  let personas: Map<string, Uint8Array>;
  const open: TestClient[] = [];

  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    personas = await makePersonas(relay.url, ['Alice', 'Bob']);
  });
  afterAll(async () => {
    await Promise.all(open.map((t) => t.client.close()));
    await relay.close();
  });

  it('forged, tampered, replayed, cross-room and cross-type envelopes never show as messages; each raises a warning; the session goes on', async () => {
    const alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
    const bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!);
    open.push(alice, bob);
    const room = await alice.client.createRoom({ name: 'target' });
    const other = await alice.client.createRoom({ name: 'elsewhere' });
    await bob.client.joinRoom(room.inviteLink());
    await bob.client.joinRoom(other.inviteLink());
    await waitFor('alice sees bob in both rooms', () => alice.client.room(room.id)!.members().length === 2 && alice.client.room(other.id)!.members().length === 2);
    await alice.client.room(room.id)!.sendText('genuine');
    await alice.client.room(other.id)!.sendText('genuine elsewhere');
    await waitFor('bob reads both', () => receivedTexts(bob, room.id).length === 1 && receivedTexts(bob, other.id).length === 1);

    const keys = await roomKeysFromInvite(room.inviteLink());
    const otherKeys = await roomKeysFromInvite(other.inviteLink());
    const aliceIdentity = fromBase64Url(alice.client.identity()!.identityId)!;
    const aliceHere = await memberIdOf(keys, aliceIdentity);
    const aliceThere = await memberIdOf(otherKeys, aliceIdentity);
    const raw = await RawRelayClient.connect(relay.wsUrl);
    await raw.join(keys);
    await raw.join(otherKeys);
    const fromAlice = (list: { envelope: Uint8Array }[], member: Uint8Array, type: number) =>
      list.map((e) => e.envelope).filter((envelope) => {
        const peek = peekEnvelope(envelope);
        return peek.ok && envelope[1] === type && equalBytes(peek.peek.sender, member);
      });
    const here = await raw.history(keys);
    const there = await raw.history(otherKeys);
    const groupHere = fromAlice(here, aliceHere, ENVELOPE_TYPE.group);
    const genuine = groupHere[groupHere.length - 1]!; // the text (presence beats come first)
    const joinHere = fromAlice(here, aliceHere, ENVELOPE_TYPE.join)[0]!;
    const groupThere = fromAlice(there, aliceThere, ENVELOPE_TYPE.group);

    const forged = genuine.slice();
    globalThis.crypto.getRandomValues(forged.subarray(100));
    // Tampered so that no replay check catches it first: a fresh message id and the next
    // sequence number, leaving only the signature (and tag) to notice.
    const tampered = genuine.slice();
    tampered[HEADER_BYTES - 1]! ^= 0x01;
    const view = new DataView(tampered.buffer, tampered.byteOffset);
    view.setUint32(HEADER_BYTES + KEY_ID_BYTES, view.getUint32(HEADER_BYTES + KEY_ID_BYTES) + 1);
    const crossType = joinHere.slice();
    crossType[1] = ENVELOPE_TYPE.control;
    const garbage = new Uint8Array(64);
    globalThis.crypto.getRandomValues(garbage);
    const attacks: [string, Uint8Array][] = [
      ['forged', forged],
      ['tampered', tampered],
      ['replayed', genuine],
      ['replayed announcement', joinHere],
      ['cross-room', groupThere[groupThere.length - 1]!],
      ['cross-type', crossType],
      ['garbage', garbage],
    ];

    const before = bob.events.length;
    const warningsSoFar = () => bob.events.slice(before).filter((e): e is { type: 'warning' } & Warning => e.type === 'warning');
    for (const [name, envelope] of attacks) {
      const count = warningsSoFar().length;
      const answer = await raw.publish(keys, envelope);
      expect(answer.t, name).toBe('ack');
      await waitFor(`a warning for the ${name} envelope`, () => warningsSoFar().length > count);
    }
    raw.close();
    const warnings = warningsSoFar();
    console.log('warnings raised:', warnings.map((w) => `${w.kind}/${w.code}`).join(', '));
    expect(warnings).toHaveLength(attacks.length);
    expect(warnings.every((w) => w.roomId === room.id && (w.kind === 'bad-message' || w.kind === 'replay'))).toBe(true);
    expect(warnings.map((w) => w.code)).toContain('DUPLICATE');
    expect(warnings.map((w) => w.code)).toContain('WRONG_ROOM');
    expect(warnings.map((w) => w.code)).toContain('BAD_SIGNATURE');
    expect(bob.events.slice(before).filter((e) => e.type === 'message')).toEqual([]);

    await alice.client.room(room.id)!.sendText('the session goes on');
    await waitFor('bob reads the next genuine message', () => receivedTexts(bob, room.id).some((m) => m.text === 'the session goes on'));
    expect(receivedTexts(bob, room.id).map((m) => m.text)).toEqual(['genuine', 'the session goes on']);
  });

  it('an old control replayed after a long conversation is still a replay: the chatter does not push it out of memory', async () => {
    const alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
    const bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!);
    open.push(alice, bob);
    const room = await alice.client.createRoom({ name: 'timer' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
    const HOUR_MS = 3_600_000;
    const DAY_MS = 24 * HOUR_MS;
    await alice.client.room(room.id)!.setDisappearingTimer(HOUR_MS);
    await waitFor('bob has the hour', () => bob.client.room(room.id)!.summary().disappearingMs === HOUR_MS);
    await alice.client.room(room.id)!.setDisappearingTimer(DAY_MS);
    await waitFor('bob has the day', () => bob.client.room(room.id)!.summary().disappearingMs === DAY_MS);

    // A long conversation since: as many texts as the seen set keeps (recorded directly, as
    // sending them all would take minutes).
    const bobSeen = (bob.client.room(room.id) as unknown as RoomSession).parts.seen;
    for (let i = 0; i < MAX_SEEN_IDS; i += 1) bobSeen.remember(`${alice.client.identity()!.identityId}/text-${i}`);

    const keys = await roomKeysFromInvite(room.inviteLink());
    const raw = await RawRelayClient.connect(relay.wsUrl);
    await raw.join(keys);
    const hourSetting = (await raw.history(keys)).map((e) => e.envelope).find((envelope) => envelope[1] === ENVELOPE_TYPE.control)!;
    const before = bob.events.length;
    expect((await raw.publish(keys, hourSetting)).t).toBe('ack');
    raw.close();
    await waitFor('a warning for the replayed control', () => bob.events.slice(before).some((e) => e.type === 'warning'));
    expect(bob.events.slice(before).find((e) => e.type === 'warning')).toMatchObject({ kind: 'replay', code: 'DUPLICATE' });
    expect(bob.client.room(room.id)!.summary().disappearingMs).toBe(DAY_MS);
  });

  it('a direct message replayed after it expired and a long conversation followed does not show again', async () => {
    const alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
    const bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!);
    open.push(alice, bob);
    const room = await alice.client.createRoom({ name: 'whispers' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
    const TIMER_MS = 1_000;
    await alice.client.room(room.id)!.setDisappearingTimer(TIMER_MS);
    await waitFor('bob has the timer', () => bob.client.room(room.id)!.summary().disappearingMs === TIMER_MS);
    await alice.client.room(room.id)!.sendDirect(bob.client.identity()!.identityId, 'for your eyes only, briefly');
    await waitFor('bob reads it', () => receivedTexts(bob, room.id).length === 1);
    const keys = await roomKeysFromInvite(room.inviteLink());
    const raw = await RawRelayClient.connect(relay.wsUrl);
    await raw.join(keys);
    const direct = (await raw.history(keys)).map((e) => e.envelope).find((envelope) => envelope[1] === ENVELOPE_TYPE.direct)!;
    await waitFor('it expires on bob', () => bob.events.some((e) => e.type === 'expired'), 3 * TIMER_MS);

    // A long conversation since (recorded directly, as sending it would take minutes).
    const bobSeen = (bob.client.room(room.id) as unknown as RoomSession).parts.seen;
    for (let i = 0; i < MAX_SEEN_IDS; i += 1) bobSeen.remember(`${alice.client.identity()!.identityId}/text-${i}`);
    expect((await raw.publish(keys, direct)).t).toBe('ack');
    await alice.client.room(room.id)!.sendText('and now for everyone');
    raw.close();
    await waitFor('bob reads the next message', () => receivedTexts(bob, room.id).some((m) => m.text === 'and now for everyone'));
    expect(receivedTexts(bob, room.id).map((m) => m.text)).toEqual(['for your eyes only, briefly', 'and now for everyone']);
  });
});
