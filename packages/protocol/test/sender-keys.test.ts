/**
 * Sender keys (PROTOCOL B.11) through the v2 envelopes: distribution, the ratchet's window,
 * forward secrecy, rotation budgets. The room is a two-epoch SimRoom of three members.
 */
import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_FORWARD_JUMP,
  MAX_KEYS_PER_SENDER,
  MAX_MESSAGES_PER_SENDER_KEY,
  MAX_SENDER_KEY_AGE_MS,
  MAX_SKIPPED_KEYS,
  createSenderKey,
  emptySenderKeyRing,
  forgetSender,
  loadRoster,
  openGroup,
  openSenderKeyDistribution as openDistribution,
  sealGroup,
  sealSenderKeyDistribution as sealDistribution,
  senderKeyNeedsRotation,
  toBase64Url,
  type EpochKeys,
  type EpochMember,
  type EpochRoster,
  type LocalIdentity,
  type OutboundSenderKey,
  type SenderKeyRing,
} from '../src/index.js';
import { SimRoom, dec, enc, loadIdentities } from './v2-fixtures.js';

interface Person {
  unlocked: LocalIdentity;
}
interface Room {
  keys: EpochKeys;
  roster: EpochRoster;
  members: EpochMember[];
}
let alice: Person;
let bob: Person;
let carol: Person;
let room: Room;
const NOW = 1_700_000_000_000;

async function makeRoom(people: LocalIdentity[], name: string): Promise<Room> {
  const sim = await SimRoom.create(people[0]!, { name });
  for (const person of people.slice(1)) await sim.admit(people[0]!.public.displayName, person);
  const view = sim.member(people[0]!.public.displayName);
  const roster = await loadRoster(view.state, view.keys);
  const members = people.map((p) => roster.byIdentityId.get(toBase64Url(p.public.id))!);
  return { keys: view.keys, roster, members };
}

beforeAll(async () => {
  const [a, b, c] = await loadIdentities(3);
  [alice, bob, carol] = [{ unlocked: a! }, { unlocked: b! }, { unlocked: c! }];
  room = await makeRoom([a!, b!, c!], 'sender keys');
});

/** The v2 openers find the sender in the epoch's roster; these take the room it was sealed in. */
function sealSenderKeyDistribution(o: { roomKeys: EpochKeys; me: LocalIdentity; recipient: EpochMember; senderKey: OutboundSenderKey }) {
  return sealDistribution({ keys: o.roomKeys, me: o.me, recipient: o.recipient, senderKey: o.senderKey });
}
function openSenderKeyDistribution(o: { roomKeys: EpochKeys; me: LocalIdentity; envelope: Uint8Array; ring: SenderKeyRing; roster?: EpochRoster }) {
  return openDistribution({ keys: o.roomKeys, roster: o.roster ?? room.roster, me: o.me, envelope: o.envelope, ring: o.ring });
}
function sealGroupMessage(o: { roomKeys: EpochKeys; me: LocalIdentity; senderKey: OutboundSenderKey; payload: Uint8Array }) {
  return sealGroup({ keys: o.roomKeys, me: o.me, senderKey: o.senderKey, payload: o.payload });
}
function openGroupMessage(o: { roomKeys: EpochKeys; envelope: Uint8Array; ring: SenderKeyRing }) {
  return openGroup({ keys: o.roomKeys, roster: room.roster, envelope: o.envelope, ring: o.ring });
}

/** Alice's key distributed to Bob; returns Bob's ring. */
async function distribute(key: OutboundSenderKey, ring: SenderKeyRing = emptySenderKeyRing()): Promise<SenderKeyRing> {
  const { envelope } = await sealSenderKeyDistribution({ roomKeys: room.keys, me: alice.unlocked, recipient: room.members[1]!, senderKey: key });
  const opened = await openSenderKeyDistribution({ roomKeys: room.keys, me: bob.unlocked, envelope, ring });
  if (!opened.ok) throw new Error(opened.code);
  return opened.ring;
}

async function sealMany(key: OutboundSenderKey, count: number): Promise<{ envelopes: Uint8Array[]; key: OutboundSenderKey }> {
  const envelopes: Uint8Array[] = [];
  for (let i = 0; i < count; i += 1) {
    const sealed = await sealGroupMessage({ roomKeys: room.keys, me: alice.unlocked, senderKey: key, payload: enc(`m${i}`) });
    envelopes.push(sealed.envelope);
    key = sealed.senderKey;
  }
  return { envelopes, key };
}

/** The sender's chain `steps` messages later, computed independently with node:crypto from
 * the spec (CK(n+1) = HMAC(CK(n), 0x02)) — cheaper than sealing and signing each message. */
function advance(key: OutboundSenderKey, steps: number): OutboundSenderKey {
  let chainKey = Buffer.from(key.chainKey, 'base64url');
  for (let i = 0; i < steps; i += 1)
    chainKey = createHmac('sha256', chainKey)
      .update(Buffer.from([0x02]))
      .digest();
  return { ...key, chainKey: chainKey.toString('base64url'), sequence: key.sequence + steps };
}

function open(envelope: Uint8Array, ring: SenderKeyRing) {
  return openGroupMessage({ roomKeys: room.keys, envelope, ring });
}

describe('sender-key distribution', () => {
  it('opens only for its recipient, bound to sender and room', async () => {
    const key = createSenderKey({ now: NOW });
    const { envelope } = await sealSenderKeyDistribution({ roomKeys: room.keys, me: alice.unlocked, recipient: room.members[1]!, senderKey: key });
    const asCarol = await openSenderKeyDistribution({ roomKeys: room.keys, me: carol.unlocked, envelope, ring: emptySenderKeyRing() });
    expect(asCarol).toMatchObject({ ok: false, code: 'WRONG_RECIPIENT' });
    // Another room (another epoch's keys and context): it does not even open.
    const otherRoom = await makeRoom([alice.unlocked, bob.unlocked], 'elsewhere');
    const moved = await openSenderKeyDistribution({
      roomKeys: otherRoom.keys,
      roster: otherRoom.roster,
      me: bob.unlocked,
      envelope,
      ring: emptySenderKeyRing(),
    });
    expect(moved).toMatchObject({ ok: false, code: 'BAD_TAG' });
    const ok = await openSenderKeyDistribution({ roomKeys: room.keys, me: bob.unlocked, envelope, ring: emptySenderKeyRing() });
    expect(ok).toMatchObject({ ok: true, keyId: key.keyId, sequence: 0 });
  });

  it('refuses a replayed distribution instead of resetting the chain', async () => {
    const key = createSenderKey({ now: NOW });
    const { envelope } = await sealSenderKeyDistribution({ roomKeys: room.keys, me: alice.unlocked, recipient: room.members[1]!, senderKey: key });
    const first = await openSenderKeyDistribution({ roomKeys: room.keys, me: bob.unlocked, envelope, ring: emptySenderKeyRing() });
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    const again = await openSenderKeyDistribution({ roomKeys: room.keys, me: bob.unlocked, envelope, ring: first.ring });
    expect(again).toMatchObject({ ok: false, code: 'KEY_ALREADY_KNOWN' });
  });

  it('refuses a replayed distribution of a key already dropped by rotation, so its old messages cannot open again', async () => {
    let previous = createSenderKey({ now: NOW });
    const { envelope: oldDistribution } = await sealSenderKeyDistribution({
      roomKeys: room.keys,
      me: alice.unlocked,
      recipient: room.members[1]!,
      senderKey: previous,
    });
    let ring = await distribute(previous);
    const { envelopes } = await sealMany(previous, 1);
    const opened = await open(envelopes[0]!, ring);
    if (!opened.ok) throw new Error(opened.code);
    ring = opened.ring;
    // MAX_KEYS_PER_SENDER rotations push the first key out of the ring.
    for (let i = 0; i < MAX_KEYS_PER_SENDER; i += 1) {
      previous = createSenderKey({ now: NOW, previous });
      ring = await distribute(previous, ring);
    }
    expect(await open(envelopes[0]!, ring)).toMatchObject({ ok: false, code: 'UNKNOWN_SENDER_KEY' });
    // Opening a message must keep what the ring remembers about dropped keys.
    const latest = await open((await sealMany(previous, 1)).envelopes[0]!, ring);
    if (!latest.ok) throw new Error(latest.code);
    ring = latest.ring;
    const replayed = await openSenderKeyDistribution({ roomKeys: room.keys, me: bob.unlocked, envelope: oldDistribution, ring });
    expect(replayed).toMatchObject({ ok: false, code: 'KEY_ALREADY_KNOWN' });
  });

  it('refuses a replayed distribution of a forgotten sender (left, then rejoined with the same identity)', async () => {
    const key = createSenderKey({ now: NOW });
    const { envelope } = await sealSenderKeyDistribution({ roomKeys: room.keys, me: alice.unlocked, recipient: room.members[1]!, senderKey: key });
    const ring = forgetSender(await distribute(key), room.members[0]!.id);
    const replayed = await openSenderKeyDistribution({
      roomKeys: room.keys,
      me: bob.unlocked,
      envelope,
      ring: JSON.parse(JSON.stringify(ring)) as SenderKeyRing,
    });
    expect(replayed).toMatchObject({ ok: false, code: 'KEY_ALREADY_KNOWN' });
  });
});

describe('group messages: ordering as libsignal tests it', () => {
  it('opens in order, refuses a duplicate, opens out of order within the window', async () => {
    const key = createSenderKey({ now: NOW });
    let ring = await distribute(key);
    const { envelopes } = await sealMany(key, 5);
    // Deliver 0, 3, 1, 4, 2: all open.
    for (const i of [0, 3, 1, 4, 2]) {
      const opened = await open(envelopes[i]!, ring);
      expect(opened.ok, `message ${i}`).toBe(true);
      if (!opened.ok) return;
      expect(dec(opened.payload)).toBe(`m${i}`);
      expect(opened.sequence).toBe(i);
      ring = opened.ring;
    }
    for (const i of [0, 2, 4]) {
      expect(await open(envelopes[i]!, ring)).toMatchObject({ ok: false, code: 'DUPLICATE' });
    }
  });

  it('refuses a jump beyond the forward bound and accepts one at the bound', async () => {
    const key = createSenderKey({ now: NOW });
    const ring = await distribute(key);
    const far = await sealGroupMessage({ roomKeys: room.keys, me: alice.unlocked, senderKey: { ...key, sequence: MAX_FORWARD_JUMP + 1 }, payload: enc('far') });
    expect(await open(far.envelope, ring)).toMatchObject({ ok: false, code: 'TOO_FAR_AHEAD' });
    // The chain key for sequence n is derived from the start; skip ahead honestly.
    const { key: advanced } = await sealMany(key, 3);
    const near = await sealGroupMessage({ roomKeys: room.keys, me: alice.unlocked, senderKey: advanced, payload: enc('near') });
    const opened = await open(near.envelope, ring);
    expect(opened.ok).toBe(true);
  });

  it('a jump of exactly the bound opens; skipped keys are kept up to their bound', async () => {
    const key = createSenderKey({ now: NOW });
    let ring = await distribute(key);
    const { envelopes: early } = await sealMany(key, 2);
    const atBound = await sealGroupMessage({
      roomKeys: room.keys,
      me: alice.unlocked,
      senderKey: advance(key, MAX_FORWARD_JUMP),
      payload: enc('at the bound'),
    });
    const opened = await open(atBound.envelope, ring);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    ring = opened.ring;
    expect(ring.keys[0]!.skipped).toHaveLength(Math.min(MAX_FORWARD_JUMP, MAX_SKIPPED_KEYS));
    // A late message from the gap still opens from its skipped key…
    const late = await open(early[1]!, ring);
    expect(late.ok && dec(late.payload)).toBe('m1');
    if (!late.ok) return;
    // …and another full jump pushes the oldest skipped keys out: message 0 is gone for good.
    const further = await sealGroupMessage({
      roomKeys: room.keys,
      me: alice.unlocked,
      senderKey: advance(key, 2 * MAX_FORWARD_JUMP + 1),
      payload: enc('further'),
    });
    const openedFurther = await open(further.envelope, late.ring);
    expect(openedFurther.ok).toBe(true);
    if (!openedFurther.ok) return;
    expect(openedFurther.ring.keys[0]!.skipped).toHaveLength(MAX_SKIPPED_KEYS);
    expect(await open(early[0]!, openedFurther.ring)).toMatchObject({ ok: false, code: 'TOO_OLD' });
  });

  it('forward secrecy: from the state after message n, message n − 1 cannot be opened', async () => {
    const key = createSenderKey({ now: NOW });
    let ring = await distribute(key);
    const { envelopes } = await sealMany(key, 3);
    for (const envelope of envelopes) {
      const opened = await open(envelope, ring);
      if (!opened.ok) throw new Error(opened.code);
      ring = opened.ring;
    }
    // Forget the de-duplication memory: even then the consumed key is gone from the state.
    const amnesiac: SenderKeyRing = { v: 1, keys: ring.keys.map((k) => ({ ...k, seen: [] })) };
    expect(await open(envelopes[1]!, amnesiac)).toMatchObject({ ok: false, code: 'TOO_OLD' });
    expect(JSON.stringify(amnesiac)).not.toContain(key.chainKey);
  });

  it('a newcomer cannot open messages sealed before it received the key', async () => {
    const key = createSenderKey({ now: NOW });
    const { envelopes, key: later } = await sealMany(key, 2);
    const ring = await distribute(later);
    expect(await open(envelopes[0]!, ring)).toMatchObject({ ok: false, code: 'BEFORE_KEY' });
    const { envelopes: after } = await sealMany(later, 1);
    expect((await open(after[0]!, ring)).ok).toBe(true);
  });

  it('unknown key, forgotten sender, and state survives a JSON round trip', async () => {
    const key = createSenderKey({ now: NOW });
    const { envelopes } = await sealMany(key, 2);
    expect(await open(envelopes[0]!, emptySenderKeyRing())).toMatchObject({ ok: false, code: 'UNKNOWN_SENDER_KEY' });
    let ring = await distribute(key);
    const first = await open(envelopes[0]!, ring);
    if (!first.ok) throw new Error(first.code);
    ring = JSON.parse(JSON.stringify(first.ring)) as SenderKeyRing;
    expect((await open(envelopes[1]!, ring)).ok).toBe(true);
    expect(await open(envelopes[1]!, forgetSender(ring, room.members[0]!.id))).toMatchObject({ ok: false, code: 'UNKNOWN_SENDER_KEY' });
  });

  it('a rotated key opens while the old one still works for in-flight messages', async () => {
    const old = createSenderKey({ now: NOW });
    const fresh = createSenderKey({ now: NOW, previous: old });
    expect(fresh.keyId).not.toBe(old.keyId);
    let ring = await distribute(old);
    ring = await distribute(fresh, ring);
    const { envelopes: before } = await sealMany(old, 1);
    const { envelopes: afterRotation } = await sealMany(fresh, 1);
    expect((await open(afterRotation[0]!, ring)).ok).toBe(true);
    expect((await open(before[0]!, ring)).ok).toBe(true);
  });

  it('rotation budget: message count and age', () => {
    const key = createSenderKey({ now: NOW });
    expect(senderKeyNeedsRotation(key, NOW)).toBe(false);
    expect(senderKeyNeedsRotation({ ...key, sequence: MAX_MESSAGES_PER_SENDER_KEY }, NOW)).toBe(true);
    expect(senderKeyNeedsRotation(key, NOW + MAX_SENDER_KEY_AGE_MS)).toBe(true);
    expect(senderKeyNeedsRotation(key, NOW + MAX_SENDER_KEY_AGE_MS - 1)).toBe(false);
  });

  it('sealing does not depend on the room size: fixed overhead over the payload', async () => {
    const key = createSenderKey({ now: NOW });
    const small = await sealGroupMessage({ roomKeys: room.keys, me: alice.unlocked, senderKey: key, payload: enc('x') });
    const big = await sealGroupMessage({ roomKeys: room.keys, me: alice.unlocked, senderKey: key, payload: new Uint8Array(1001) });
    const overhead = small.envelope.length - 1;
    expect(big.envelope.length - 1001).toBe(overhead);
    // outer: version, kind, IV, tag (2 + 12 + 16); inner: type, sender, message id, key id,
    // sequence, content (1 + 32 + 16 + 4 + 4 + 1), IV 12, length 4, tag 16, RSA-3072 signature 2 + 384
    expect(overhead).toBe(2 + 12 + 16 + 1 + 32 + 16 + 4 + 4 + 1 + 12 + 4 + 16 + 2 + 384);
    console.log(`group message overhead: ${overhead} bytes, whatever the member count`);
  });
});
