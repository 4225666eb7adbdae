import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { epochMemberId, fromBase64Url, peekSealed, equalBytes, type EpochKeys } from '@sealroom/protocol';
import { clientFor, makePersonas, receivedTexts, waitFor, type TestClient } from './helpers.js';
import { RawRelayClient, epochKeysOf, innerOf, sealAsMember } from './raw-relay.js';
import type { Warning } from '../src/index.js';
import { MAX_SEEN_IDS } from '../src/seen-ids.js';
import type { RoomSession } from '../src/room-session.js';
import { DAY_MS, HOUR_MS } from '@sealroom/units';

/** Inner type bytes (PROTOCOL B.10): commit, group, direct. */
const INNER_COMMIT = 0x01;
const INNER_GROUP = 0x03;
const INNER_DIRECT = 0x04;
/** Offset of the sequence number in a group message's inner plaintext: type, sender, message id, key id. */
const GROUP_SEQUENCE_OFFSET = 1 + 32 + 16 + 4;

/** The envelopes of an epoch room whose inner plaintext is of `type` (and from `sender`, if given). */
async function ofType(keys: EpochKeys, list: { envelope: Uint8Array }[], type: number, sender?: Uint8Array): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const { envelope } of list) {
    const peek = await peekSealed(keys, envelope);
    if (!peek.ok || peek.peek.decoded.inner[0] !== type) continue;
    if (sender === undefined || (peek.peek.sender !== undefined && equalBytes(peek.peek.sender, sender))) out.push(envelope);
  }
  return out;
}

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
    await waitFor(
      'alice sees bob in both rooms',
      () => alice.client.room(room.id)!.members().length === 2 && alice.client.room(other.id)!.members().length === 2,
    );
    await alice.client.room(room.id)!.sendText('genuine');
    await alice.client.room(other.id)!.sendText('genuine elsewhere');
    await waitFor('bob reads both', () => receivedTexts(bob, room.id).length === 1 && receivedTexts(bob, other.id).length === 1);

    const keys = epochKeysOf(alice, room.id);
    const otherKeys = epochKeysOf(alice, other.id);
    const aliceIdentity = fromBase64Url(alice.client.identity()!.identityId)!;
    const aliceHere = await epochMemberId(keys, aliceIdentity);
    const aliceThere = await epochMemberId(otherKeys, aliceIdentity);
    const raw = await RawRelayClient.connect(relay.wsUrl);
    await raw.join(keys);
    await raw.join(otherKeys);
    const here = await raw.history(keys);
    const there = await raw.history(otherKeys);
    const groupHere = await ofType(keys, here, INNER_GROUP, aliceHere);
    const genuine = groupHere[groupHere.length - 1]!; // the text (presence beats come first)
    const groupThere = await ofType(otherKeys, there, INNER_GROUP, aliceThere);

    const forged = genuine.slice();
    globalThis.crypto.getRandomValues(forged.subarray(100));
    // An insider (it holds the epoch's envelope key) alters a message under the outer layer: a
    // fresh message id and the next sequence number, so that no replay check catches it first
    // and only the signature is left to notice.
    const inner = await innerOf(keys, genuine);
    inner[1 + 32] = inner[1 + 32]! ^ 0x01;
    const view = new DataView(inner.buffer, inner.byteOffset);
    view.setUint32(GROUP_SEQUENCE_OFFSET, view.getUint32(GROUP_SEQUENCE_OFFSET) + 1);
    const tampered = await sealAsMember(keys, inner);
    // The same inner under another type byte: a group message taken for a direct one.
    const crossInner = (await innerOf(keys, genuine)).slice();
    crossInner[0] = INNER_DIRECT;
    const crossType = await sealAsMember(keys, crossInner);
    const garbage = new Uint8Array(64);
    globalThis.crypto.getRandomValues(garbage);
    const attacks: [string, Uint8Array][] = [
      ['forged', forged],
      ['tampered', tampered],
      ['replayed', genuine],
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
    // Another room's envelope does not even open: the group context is in the outer AAD.
    expect(warnings.map((w) => w.code)).toContain('BAD_TAG');
    expect(warnings.map((w) => w.code)).toContain('BAD_SIGNATURE');
    expect(bob.events.slice(before).filter((e) => e.type === 'message')).toEqual([]);

    await alice.client.room(room.id)!.sendText('the session goes on');
    await waitFor('bob reads the next genuine message', () => receivedTexts(bob, room.id).some((m) => m.text === 'the session goes on'));
    expect(receivedTexts(bob, room.id).map((m) => m.text)).toEqual(['genuine', 'the session goes on']);
  });

  it('an old settings commit replayed after a long conversation is still refused: the log orders commits, no memory to push out', async () => {
    const alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
    const bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!);
    open.push(alice, bob);
    const room = await alice.client.createRoom({ name: 'timer' });
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob', () => alice.client.room(room.id)!.members().length === 2);
    await alice.client.room(room.id)!.setDisappearingTimer(HOUR_MS);
    await waitFor('bob has the hour', () => bob.client.room(room.id)!.summary().disappearingMs === HOUR_MS);
    // The hour's commit, as it sits in the relay room of the epoch it ended.
    const hourRoomKeys = (alice.client.room(room.id) as unknown as RoomSession).parts.log.previous!;
    const reader = await RawRelayClient.connect(relay.wsUrl);
    await reader.join(hourRoomKeys);
    const [hourEnvelope] = await ofType(hourRoomKeys, await reader.history(hourRoomKeys), INNER_COMMIT);
    reader.close();
    const hourCommit = await innerOf(hourRoomKeys, hourEnvelope!);
    await alice.client.room(room.id)!.setDisappearingTimer(DAY_MS);
    await waitFor('bob has the day', () => bob.client.room(room.id)!.summary().disappearingMs === DAY_MS);

    // A long conversation since: as many texts as the seen set keeps (recorded directly, as
    // sending them all would take minutes).
    const bobSeen = (bob.client.room(room.id) as unknown as RoomSession).parts.seen;
    for (let i = 0; i < MAX_SEEN_IDS; i += 1) bobSeen.remember(`${alice.client.identity()!.identityId}/text-${i}`);

    // An insider seals the hour's commit again for the current epoch's room.
    const keysNow = epochKeysOf(alice, room.id);
    const raw = await RawRelayClient.connect(relay.wsUrl);
    await raw.join(keysNow);
    const before = bob.events.length;
    expect((await raw.publish(keysNow, await sealAsMember(keysNow, hourCommit))).t).toBe('ack');
    raw.close();
    await waitFor('a warning for the replayed commit', () => bob.events.slice(before).some((e) => e.type === 'warning'));
    expect(bob.events.slice(before).find((e) => e.type === 'warning')).toMatchObject({ kind: 'replay', code: 'STALE_COMMIT' });
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
    const keys = epochKeysOf(alice, room.id);
    const raw = await RawRelayClient.connect(relay.wsUrl);
    await raw.join(keys);
    const [direct] = await ofType(keys, await raw.history(keys), INNER_DIRECT, await epochMemberId(keys, fromBase64Url(alice.client.identity()!.identityId)!));
    await waitFor('it expires on bob', () => bob.events.some((e) => e.type === 'expired'), 3 * TIMER_MS);

    // A long conversation since (recorded directly, as sending it would take minutes).
    const bobSeen = (bob.client.room(room.id) as unknown as RoomSession).parts.seen;
    for (let i = 0; i < MAX_SEEN_IDS; i += 1) bobSeen.remember(`${alice.client.identity()!.identityId}/text-${i}`);
    expect((await raw.publish(keys, direct!)).t).toBe('ack');
    await alice.client.room(room.id)!.sendText('and now for everyone');
    raw.close();
    await waitFor('bob reads the next message', () => receivedTexts(bob, room.id).some((m) => m.text === 'and now for everyone'));
    expect(receivedTexts(bob, room.id).map((m) => m.text)).toEqual(['for your eyes only, briefly', 'and now for everyone']);
  });
});
