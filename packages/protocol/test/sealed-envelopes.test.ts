/**
 * Sealed envelopes in epoch rooms, adversarially: for every inner type, a flipped bit, another
 * epoch or context, another room, a swapped type, a replay, a wrong sender, a wrong
 * recipient, truncation; and nothing that links a person across rooms in the clear.
 */
import { createPublicKey, verify as nodeVerify, constants as nodeConstants } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_FORWARD_JUMP,
  createSenderKey,
  deriveEpochKeys,
  emptySenderKeyRing,
  loadRoster,
  openCommit,
  openDirect,
  openGroup,
  openLeave,
  openSenderKeyDistribution,
  peekSealed,
  sealDirect,
  sealGroup,
  sealLeave,
  sealSenderKeyDistribution,
  type EpochKeys,
  type EpochRoster,
  type LocalIdentity,
  type OutboundSenderKey,
  type Result,
  type SealedErrorCode,
  type SenderKeyRing,
} from '../src/index.js';
import { encodePublicIdentity } from '../src/identity.js';
import { epochMemberId } from '../src/roster.js';
import { decodeInner, sealInner, withSignature } from '../src/sealed.js';
import { SimRoom, dec, enc, flip, loadIdentities } from './v2-fixtures.js';

let alice: LocalIdentity, bob: LocalIdentity, carol: LocalIdentity, mallory: LocalIdentity;
let room: SimRoom;
let keys: EpochKeys;
let roster: EpochRoster;
/** The same room one epoch later, and another room with the same people. */
let nextKeys: EpochKeys;
let otherKeys: EpochKeys;
let aliceKey: OutboundSenderKey;
/** Bob's ring holding Alice's key. */
let bobRing: SenderKeyRing;

interface Case {
  name: string;
  envelope: Uint8Array;
  /** Opens as Bob (the recipient where there is one). */
  open: (envelope: Uint8Array, k?: EpochKeys) => Promise<Result<object, string>>;
}
const cases: Case[] = [];
const caseNamed = (name: string): Case => cases.find((c) => c.name === name)!;

beforeAll(async () => {
  [alice, bob, carol, , , , , mallory] = (await loadIdentities(8)) as LocalIdentity[] as [
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
  ];
  room = await SimRoom.create(alice);
  await room.admit('Alice', bob);
  await room.admit('Alice', carol);
  const other = await SimRoom.create(alice);
  await other.admit('Alice', bob);
  const a = room.member('Alice');
  keys = a.keys;
  roster = await loadRoster(a.state, keys);
  otherKeys = other.member('Alice').keys;
  nextKeys = await deriveEpochKeys(keys.roomId, keys.epoch + 1, a.epochSecret, keys.head, keys.membershipHash);

  aliceKey = createSenderKey({ now: 0 });
  const bobMember = roster.byIdentityId.get(Buffer.from(bob.public.id).toString('base64url'))!;
  const dist = await sealSenderKeyDistribution({ keys, me: alice, recipient: bobMember, senderKey: aliceKey });
  const got = await openSenderKeyDistribution({ keys, roster, me: bob, envelope: dist.envelope, ring: emptySenderKeyRing() });
  if (!got.ok) throw new Error(got.code);
  bobRing = got.ring;
  const group = await sealGroup({ keys, me: alice, senderKey: aliceKey, payload: enc('hello group') });
  const direct = await sealDirect({ keys, me: alice, recipient: bobMember, payload: enc('only bob') });
  const leave = await sealLeave({ keys, me: alice });
  const bobM = room.member('Bob');
  cases.push(
    {
      name: 'sender-key',
      envelope: dist.envelope,
      open: (e, k = keys) => openSenderKeyDistribution({ keys: k, roster, me: bob, envelope: e, ring: emptySenderKeyRing() }),
    },
    { name: 'group', envelope: group.envelope, open: (e, k = keys) => openGroup({ keys: k, roster, envelope: e, ring: bobRing }) },
    { name: 'direct', envelope: direct.envelope, open: (e, k = keys) => openDirect({ keys: k, roster, me: bob, envelope: e }) },
    { name: 'leave', envelope: leave.envelope, open: (e, k = keys) => openLeave({ keys: k, roster, envelope: e }) },
  );
  // A commit, as the last case (opened by Bob against his state).
  const carolM = room.member('Carol');
  const { createCommit } = await import('../src/index.js');
  const commit = await createCommit({
    me: carol,
    state: carolM.state,
    epochKeys: carolM.keys,
    linkSecret: carolM.linkSecret,
    action: { kind: 'settings', timerSeconds: 60 },
  });
  if (!commit.ok) throw new Error(commit.code);
  cases.push({
    name: 'commit',
    envelope: commit.envelope,
    open: (e, k = keys) => openCommit({ me: bob, state: bobM.state, epochKeys: k, linkSecret: bobM.linkSecret, envelope: e }),
  });
});

describe('every epoch-room envelope', () => {
  it('opens for its recipient', async () => {
    for (const c of cases) expect(await c.open(c.envelope), c.name).toMatchObject({ ok: true });
    const group = await caseNamed('group').open(caseNamed('group').envelope);
    expect(group.ok && dec((group as unknown as { payload: Uint8Array }).payload)).toBe('hello group');
    // PROTOCOL.md B.10: a group message is its payload plus 506 bytes for an RSA-3072 sender, whatever the room size.
    expect(caseNamed('group').envelope.length - enc('hello group').length).toBe(506);
  });

  it('any flipped bit fails: version, kind, IV, ciphertext, tag', async () => {
    for (const c of cases) {
      expect(await c.open(flip(c.envelope, 0)), c.name).toMatchObject({ ok: false, code: 'BAD_VERSION' });
      expect(await c.open(flip(c.envelope, 1)), c.name).toMatchObject({ ok: false, code: 'BAD_TYPE' });
      for (const at of [2, 13, 14, 40, c.envelope.length - 17, c.envelope.length - 1]) {
        expect(await c.open(flip(c.envelope, at, 0x80)), `${c.name} @${at}`).toMatchObject({ ok: false, code: 'BAD_TAG' });
      }
    }
  });

  it('another epoch, another context, another room: BAD_TAG', async () => {
    const sameSecretOtherMembership = await deriveEpochKeys(keys.roomId, keys.epoch, room.member('Alice').epochSecret, keys.head, new Uint8Array(32).fill(1));
    for (const c of cases) {
      expect(await c.open(c.envelope, nextKeys), c.name).toMatchObject({ ok: false, code: 'BAD_TAG' });
      expect(await c.open(c.envelope, sameSecretOtherMembership), c.name).toMatchObject({ ok: false, code: 'BAD_TAG' });
      expect(await c.open(c.envelope, otherKeys), c.name).toMatchObject({ ok: false, code: 'BAD_TAG' });
    }
  });

  it('truncated or padded: BAD_LENGTH or BAD_TAG, never accepted', async () => {
    for (const c of cases) {
      expect(await c.open(c.envelope.subarray(0, 1)), c.name).toMatchObject({ ok: false, code: 'BAD_LENGTH' });
      expect(await c.open(c.envelope.subarray(0, 29)), c.name).toMatchObject({ ok: false, code: 'BAD_LENGTH' });
      expect(await c.open(c.envelope.subarray(0, -1)), c.name).toMatchObject({ ok: false, code: 'BAD_TAG' });
      expect(await c.open(new Uint8Array([...c.envelope, 0])), c.name).toMatchObject({ ok: false, code: 'BAD_TAG' });
      // Inside the encryption: a member reseals a truncated or padded inner.
      const inner = await innerOf(c.envelope);
      expect(await c.open(await sealInner(keys, inner.subarray(0, -1))), c.name).toMatchObject({ ok: false, code: 'BAD_LENGTH' });
      expect(await c.open(await sealInner(keys, new Uint8Array([...inner, 0]))), c.name).toMatchObject({ ok: false, code: 'BAD_LENGTH' });
    }
  });

  it('a swapped inner type: WRONG_TYPE; a lobby type in an epoch room or an unknown one: BAD_TYPE', async () => {
    for (const c of cases) {
      for (const other of cases.filter((o) => o !== c))
        expect(await c.open(other.envelope), `${other.name} as ${c.name}`).toMatchObject({ ok: false, code: 'WRONG_TYPE' });
      const inner = await innerOf(c.envelope);
      for (const type of [0x10, 0x11, 0x12, 0x00, 0x06, 0xff]) {
        const swapped = inner.slice();
        swapped[0] = type;
        expect(await c.open(await sealInner(keys, swapped)), `${c.name} as ${type}`).toMatchObject({ ok: false, code: 'BAD_TYPE' });
      }
    }
  });

  it('nothing in the clear links a person across rooms: no signature, identity id or member id appears in the envelope bytes', async () => {
    const needles = [
      alice.public.id,
      encodePublicIdentity(alice.public).subarray(0, 64),
      await epochMemberId(keys, alice.public.id),
      keys.context,
      keys.roomId,
    ];
    for (const c of cases) {
      const raw = Buffer.from(c.envelope);
      const decoded = decodeInner(await innerOf(c.envelope), 'epoch');
      if (!decoded.ok) throw new Error(decoded.code);
      const signature = decoded.decoded.signature ?? decoded.decoded.entry!.subarray(-384);
      expect(raw.indexOf(Buffer.from(signature)), `${c.name}: signature`).toBe(-1);
      for (const needle of needles) expect(raw.indexOf(Buffer.from(needle)), `${c.name}: identifier`).toBe(-1);
    }
  });

  it("no 384-byte window of a group or direct envelope verifies as the sender's signature", async () => {
    const pss = createPublicKey({ key: Buffer.from(alice.public.signingSpki), format: 'der', type: 'spki' });
    for (const name of ['group', 'direct']) {
      const c = caseNamed(name);
      const decoded = decodeInner(await innerOf(c.envelope), 'epoch');
      if (!decoded.ok) throw new Error(decoded.code);
      const signed = Buffer.concat([Buffer.from('sealroom/v2/signature'), keys.context, decoded.decoded.signed!]);
      const check = (sig: Uint8Array) => nodeVerify('sha256', signed, { key: pss, padding: nodeConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
      expect(check(decoded.decoded.signature!)).toBe(true); // the oracle works on the real signature
      for (let at = 0; at + 384 <= c.envelope.length; at += 1) expect(check(c.envelope.subarray(at, at + 384))).toBe(false);
    }
  });
});

describe('senders and recipients', () => {
  it('a sender who is not a member of this epoch: UNKNOWN_SENDER', async () => {
    const without: EpochRoster = { ...roster, byMemberId: new Map([...roster.byMemberId].filter(([, m]) => m.identity.displayName !== 'Alice')) };
    expect(await openGroup({ keys, roster: without, envelope: caseNamed('group').envelope, ring: bobRing })).toMatchObject({
      ok: false,
      code: 'UNKNOWN_SENDER',
    });
    expect(await openDirect({ keys, roster: without, me: bob, envelope: caseNamed('direct').envelope })).toMatchObject({ ok: false, code: 'UNKNOWN_SENDER' });
    expect(
      await openSenderKeyDistribution({ keys, roster: without, me: bob, envelope: caseNamed('sender-key').envelope, ring: emptySenderKeyRing() }),
    ).toMatchObject({ ok: false, code: 'UNKNOWN_SENDER' });
    expect(await openLeave({ keys, roster: without, envelope: caseNamed('leave').envelope })).toMatchObject({ ok: false, code: 'UNKNOWN_SENDER' });
  });

  it('a member who claims another sender: BAD_SIGNATURE', async () => {
    // Carol holds the epoch keys: she puts Bob's member id on a message she signs.
    const bobId = await epochMemberId(keys, bob.public.id);
    for (const name of ['group', 'direct', 'sender-key', 'leave']) {
      const decoded = decodeInner(await innerOf(caseNamed(name).envelope), 'epoch');
      if (!decoded.ok) throw new Error(decoded.code);
      const signed = decoded.decoded.signed!.slice();
      signed.set(bobId, 1);
      const forged = await sealInner(keys, await withSignature(carol, keys.context, signed));
      const opened = await caseNamed(name).open(forged);
      expect(opened.ok, name).toBe(false);
      // Addressed to Bob from Bob: a direct or sender key fails on the signature first.
      expect((opened as { code: string }).code, name).toBe('BAD_SIGNATURE');
    }
  });

  it('addressed to someone else: WRONG_RECIPIENT', async () => {
    expect(await openDirect({ keys, roster, me: carol, envelope: caseNamed('direct').envelope })).toMatchObject({ ok: false, code: 'WRONG_RECIPIENT' });
    expect(await openSenderKeyDistribution({ keys, roster, me: carol, envelope: caseNamed('sender-key').envelope, ring: emptySenderKeyRing() })).toMatchObject({
      ok: false,
      code: 'WRONG_RECIPIENT',
    });
  });

  it("a wrapped key lifted into another sender's envelope names the wrong sender: BAD_KEY", async () => {
    for (const name of ['direct', 'sender-key']) {
      const decoded = decodeInner(await innerOf(caseNamed(name).envelope), 'epoch');
      if (!decoded.ok) throw new Error(decoded.code);
      const signed = decoded.decoded.signed!.slice();
      signed.set(await epochMemberId(keys, carol.public.id), 1);
      const lifted = await sealInner(keys, await withSignature(carol, keys.context, signed));
      expect(await caseNamed(name).open(lifted), name).toMatchObject({ ok: false, code: 'BAD_KEY' });
    }
  });

  it('a peek of other keys is refused like its bytes would be', async () => {
    const peek = await peekSealed(otherKeys, await sealInner(otherKeys, await innerOf(caseNamed('group').envelope)));
    if (!peek.ok) throw new Error(peek.code);
    expect(await openGroup({ keys, roster, envelope: peek.peek, ring: bobRing })).toMatchObject({ ok: false, code: 'BAD_TAG' });
    const mine = await peekSealed(keys, caseNamed('group').envelope);
    if (!mine.ok) throw new Error(mine.code);
    expect(mine.peek).toMatchObject({ type: 'group', sequence: 0, content: 'message' });
    expect(await openGroup({ keys, roster, envelope: mine.peek, ring: bobRing })).toMatchObject({ ok: true });
  });
});

describe('replay and ordering', () => {
  it('a group message twice: DUPLICATE; a distribution twice: KEY_ALREADY_KNOWN', async () => {
    const once = await openGroup({ keys, roster, envelope: caseNamed('group').envelope, ring: bobRing });
    if (!once.ok) throw new Error(once.code);
    expect(await openGroup({ keys, roster, envelope: caseNamed('group').envelope, ring: once.ring })).toMatchObject({ ok: false, code: 'DUPLICATE' });
    expect(await openSenderKeyDistribution({ keys, roster, me: bob, envelope: caseNamed('sender-key').envelope, ring: bobRing })).toMatchObject({
      ok: false,
      code: 'KEY_ALREADY_KNOWN',
    });
  });

  it('out of order opens; resealed (new message id) an old sequence is TOO_OLD; beyond the jump bound TOO_FAR_AHEAD; BEFORE_KEY', async () => {
    let key = createSenderKey({ now: 0 });
    const bobMember = roster.byIdentityId.get(Buffer.from(bob.public.id).toString('base64url'))!;
    const sealed = [];
    let dist: Uint8Array | undefined;
    for (let i = 0; i < 4; i += 1) {
      // Bob receives the chain as it stands after message 0: message 0 was "before his key".
      if (i === 1) dist = (await sealSenderKeyDistribution({ keys, me: carol, recipient: bobMember, senderKey: key })).envelope;
      const s = await sealGroup({ keys, me: carol, senderKey: key, payload: enc(`m${i}`) });
      sealed.push(s);
      key = s.senderKey;
    }
    const got = await openSenderKeyDistribution({ keys, roster, me: bob, envelope: dist!, ring: emptySenderKeyRing() });
    if (!got.ok) throw new Error(got.code);
    expect(await openGroup({ keys, roster, envelope: sealed[0]!.envelope, ring: got.ring })).toMatchObject({ ok: false, code: 'BEFORE_KEY' });
    const third = await openGroup({ keys, roster, envelope: sealed[3]!.envelope, ring: got.ring });
    if (!third.ok) throw new Error(third.code);
    const first = await openGroup({ keys, roster, envelope: sealed[1]!.envelope, ring: third.ring });
    expect(first.ok && dec(first.payload)).toBe('m1');
    if (!first.ok) return;
    // Sequence 1 again under a fresh message id (Carol reseals it): its key is used up.
    const again = await sealGroup({
      keys,
      me: carol,
      senderKey: { ...key, sequence: 1, chainKey: (await import('../src/index.js')).toBase64Url(new Uint8Array(32)) },
      payload: enc('x'),
    });
    expect(await openGroup({ keys, roster, envelope: again.envelope, ring: first.ring })).toMatchObject({ ok: false, code: 'TOO_OLD' });
    const far = await sealGroup({ keys, me: carol, senderKey: { ...key, sequence: 4 + MAX_FORWARD_JUMP + 1 }, payload: enc('x') });
    expect(await openGroup({ keys, roster, envelope: far.envelope, ring: first.ring })).toMatchObject({ ok: false, code: 'TOO_FAR_AHEAD' });
    const other = await sealGroup({ keys, me: carol, senderKey: createSenderKey({ now: 0 }), payload: enc('x') });
    expect(await openGroup({ keys, roster, envelope: other.envelope, ring: first.ring })).toMatchObject({ ok: false, code: 'UNKNOWN_SENDER_KEY' });
  });

  it('a leave proposal naming another epoch than its room: WRONG_EPOCH', async () => {
    const signed = new Uint8Array([0x05, ...(await epochMemberId(keys, alice.public.id)), ...new Uint8Array(16), 0, 0, 0, keys.epoch + 1]);
    const forged = await sealInner(keys, await withSignature(alice, keys.context, signed));
    expect(await openLeave({ keys, roster, envelope: forged })).toMatchObject({ ok: false, code: 'WRONG_EPOCH' });
  });

  it('an unknown content kind: BAD_ENCODING; a mallory-signed group message claiming Alice: BAD_SIGNATURE', async () => {
    const decoded = decodeInner(await innerOf(caseNamed('group').envelope), 'epoch');
    if (!decoded.ok) throw new Error(decoded.code);
    const inner = decoded.decoded.inner.slice();
    inner[57] = 0x09;
    expect(await openGroup({ keys, roster, envelope: await sealInner(keys, inner), ring: bobRing })).toMatchObject({ ok: false, code: 'BAD_ENCODING' });
    const forged = await sealInner(keys, await withSignature(mallory, keys.context, decoded.decoded.signed!));
    expect(await openGroup({ keys, roster, envelope: forged, ring: bobRing })).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });
});

/** The inner plaintext of an envelope sealed under `keys`. */
async function innerOf(envelope: Uint8Array): Promise<Uint8Array> {
  const peek = await peekSealed(keys, envelope);
  if (!peek.ok) throw new Error(peek.code);
  return peek.peek.decoded.inner;
}

export type { SealedErrorCode };
