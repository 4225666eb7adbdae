/**
 * Lobbies, adversarially: knocks (bad signature, bad identity, other lobby), declines, and
 * welcomes — a log that does not hash to the link's room id (a member re-sharing the link
 * "as creator"), a roster without me, a tampered share, a wrong adder signature.
 */
import { createPublicKey, publicEncrypt, constants as nodeConstants, randomBytes as nodeRandom, createCipheriv } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createRoom,
  deriveLobbyKeys,
  openDecline,
  openKnock,
  openWelcome,
  peekSealed,
  sealDecline,
  sealKnock,
  sealWelcome,
  type LobbyKeys,
  type LocalIdentity,
  type PublicIdentity,
  type SealingKeys,
} from '../src/index.js';
import { dangerouslyBuildCommitForTests, toLogAction } from '../src/commit.js';
import { encodePublicIdentity } from '../src/identity.js';
import { decodeInner, sealInner } from '../src/sealed.js';
import { pssSign } from '../src/webcrypto.js';
import { SimRoom, b64, flip, loadIdentities } from './v2-fixtures.js';

let alice: LocalIdentity, bob: LocalIdentity, carol: LocalIdentity, dave: LocalIdentity, grace: LocalIdentity, mallory: LocalIdentity;
let room: SimRoom;
let lobby: LobbyKeys;

beforeAll(async () => {
  [alice, bob, carol, dave, , , grace, mallory] = (await loadIdentities(8)) as [
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
  ];
  room = await SimRoom.create(alice, { name: 'Lobby test' });
  await room.admit('Alice', bob);
  await room.admit('Alice', mallory);
  lobby = await deriveLobbyKeys(room.member('Alice').linkSecret);
});

const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const u16 = (n: number) => Buffer.from([n >>> 8, n & 0xff]);
const vec32 = (b: Uint8Array) => Buffer.concat([u32(b.length), b]);

/** An independent encoder of the welcome (PROTOCOL.md B.12), so tests can lie in any field. */
async function forgeWelcome(o: {
  lobbyKeys: LobbyKeys;
  signer: LocalIdentity;
  adderId?: Uint8Array;
  knockId: Uint8Array;
  knocker: PublicIdentity;
  roomId: Uint8Array;
  epoch: number;
  epochSecret: Uint8Array;
  linkSecret: Uint8Array;
  secrets: Uint8Array;
  entries: Uint8Array[];
}): Promise<Uint8Array> {
  const unsigned = Buffer.concat([
    o.roomId,
    u32(o.epoch),
    o.epochSecret,
    o.linkSecret,
    vec32(o.secrets),
    u32(o.entries.length),
    ...o.entries.map(vec32),
    o.adderId ?? o.signer.public.id,
  ]);
  const signature = await pssSign(o.signer.signingKey, Buffer.concat([Buffer.from('sealroom/v2/welcome'), o.lobbyKeys.relayRoomId, o.knockId, unsigned]));
  const payload = Buffer.concat([unsigned, u16(signature.length), signature]);
  const w = nodeRandom(32);
  const rsa = createPublicKey({ key: Buffer.from(o.knocker.encryptionSpki), format: 'der', type: 'spki' });
  const wrapped = publicEncrypt(
    { key: rsa, padding: nodeConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from('sealroom/v2/welcome') },
    Buffer.concat([w, o.knockId]),
  );
  const iv = nodeRandom(12);
  const cipher = createCipheriv('aes-256-gcm', w, iv);
  cipher.setAAD(Buffer.concat([o.lobbyKeys.relayRoomId, o.knockId]));
  const ct = Buffer.concat([cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
  return sealInner(o.lobbyKeys, Buffer.concat([Buffer.from([0x11]), o.knockId, u16(wrapped.length), wrapped, iv, u32(ct.length), ct]));
}

/** The inner plaintext of an envelope sealed under `keys`. */
async function innerOf(keys: SealingKeys, envelope: Uint8Array): Promise<Uint8Array> {
  const peek = await peekSealed(keys, envelope);
  if (!peek.ok) throw new Error(peek.code);
  return peek.peek.decoded.inner;
}

/** Alice adds Carol (who knocked with `knockId`); returns what an honest welcome would carry. */
async function addCarol() {
  const knock = await sealKnock({ lobbyKeys: lobby, me: carol });
  await room.commit('Alice', { kind: 'add', identity: carol.public, via: 'link' });
  const a = room.member('Alice');
  return { knockId: knock.knockId, a };
}

describe('knocks', () => {
  it("open to the knocker's verified identity", async () => {
    const knock = await sealKnock({ lobbyKeys: lobby, me: dave });
    const opened = await openKnock({ lobbyKeys: lobby, envelope: knock.envelope });
    expect(opened.ok && opened.identity.idHex).toBe(dave.public.idHex);
    expect(opened.ok && opened.knockId).toEqual(knock.knockId);
  });

  it('a bad signature, a bad identity, another lobby, an epoch room', async () => {
    const knock = await sealKnock({ lobbyKeys: lobby, me: dave });
    const peek = decodeInner(await innerOf(lobby, knock.envelope), 'lobby');
    if (!peek.ok) throw new Error(peek.code);
    const inner = peek.decoded.inner;
    expect(await openKnock({ lobbyKeys: lobby, envelope: await sealInner(lobby, flip(inner, -1)) })).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    // Dave's knock re-sent with Mallory's identity: the signature is Dave's.
    const identity = encodePublicIdentity(mallory.public);
    const swapped = Buffer.concat([inner.subarray(0, 17), u16(identity.length), identity, inner.subarray(17 + 2 + peek.decoded.identity!.length)]);
    expect(await openKnock({ lobbyKeys: lobby, envelope: await sealInner(lobby, swapped) })).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    // An identity that fails B.1 (the same key twice).
    const same = Buffer.from(encodePublicIdentity({ ...dave.public, signingSpki: dave.public.encryptionSpki }));
    const bad = Buffer.concat([inner.subarray(0, 17), u16(same.length), same, inner.subarray(17 + 2 + peek.decoded.identity!.length)]);
    expect(await openKnock({ lobbyKeys: lobby, envelope: await sealInner(lobby, bad) })).toMatchObject({ ok: false, code: 'BAD_IDENTITY' });
    expect(await openKnock({ lobbyKeys: await deriveLobbyKeys(new Uint8Array(32)), envelope: knock.envelope })).toMatchObject({ ok: false, code: 'BAD_TAG' });
    expect(await openKnock({ lobbyKeys: lobby, envelope: await sealInner(room.member('Alice').keys, inner) })).toMatchObject({ ok: false, code: 'BAD_TAG' });
    const inEpochRoom = await peekSealed(room.member('Alice').keys, await sealInner(room.member('Alice').keys, inner));
    expect(inEpochRoom).toMatchObject({ ok: false, code: 'BAD_TYPE' });
  });

  it('declines are hints: they open, carry a known reason, and nothing else', async () => {
    const knockId = new Uint8Array(16).fill(4);
    const { envelope } = await sealDecline({ lobbyKeys: lobby, knockId, reason: 'link-used' });
    expect(await openDecline({ lobbyKeys: lobby, envelope })).toMatchObject({ ok: true, reason: 'link-used', knockId });
    expect(await openKnock({ lobbyKeys: lobby, envelope })).toMatchObject({ ok: false, code: 'WRONG_TYPE' });
    expect(await openDecline({ lobbyKeys: lobby, envelope: await sealInner(lobby, new Uint8Array([0x12, ...knockId, 9])) })).toMatchObject({
      ok: false,
      code: 'BAD_ENCODING',
    });
    expect(await openDecline({ lobbyKeys: lobby, envelope: await sealInner(lobby, new Uint8Array([0x12, ...knockId])) })).toMatchObject({
      ok: false,
      code: 'BAD_LENGTH',
    });
  });
});

describe('welcomes', () => {
  it('an honest welcome opens; a second open by someone else or for another knock fails', async () => {
    const { knockId, a } = await addCarol();
    const { envelope } = await sealWelcome({
      lobbyKeys: lobby,
      me: alice,
      knockId,
      knocker: carol.public,
      state: a.state,
      entries: a.entries,
      secrets: a.secrets!,
      epochSecret: a.epochSecret,
      linkSecret: a.linkSecret,
    });
    const opened = await openWelcome({ lobbyKeys: lobby, me: carol, knockId, roomId: room.roomId, envelope });
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(opened.state).toEqual(a.state);
    expect(opened.epochKeys.relayRoomId).toEqual(a.keys.relayRoomId);
    expect(opened.adder).toBe(Buffer.from(alice.public.id).toString('base64url'));
    expect(await openWelcome({ lobbyKeys: lobby, me: carol, knockId: new Uint8Array(16), roomId: room.roomId, envelope })).toMatchObject({
      ok: false,
      code: 'WRONG_RECIPIENT',
    });
    expect(await openWelcome({ lobbyKeys: lobby, me: dave, knockId, roomId: room.roomId, envelope })).toMatchObject({ ok: false, code: 'BAD_KEY' });
    expect(
      await openWelcome({ lobbyKeys: await deriveLobbyKeys(new Uint8Array(32).fill(1)), me: carol, knockId, roomId: room.roomId, envelope }),
    ).toMatchObject({ ok: false, code: 'BAD_TAG' });
    room.members.set('Carol', {
      me: carol,
      state: opened.state,
      keys: opened.epochKeys,
      epochSecret: opened.epochSecret,
      linkSecret: opened.linkSecret,
      entries: opened.entries,
      secrets: opened.secrets,
    });
  });

  it('a member re-sharing the link "as creator": her log is another room (WRONG_ROOM)', async () => {
    // Mallory makes a room of her own under the same name and welcomes Dave into it...
    const fake = await SimRoom.create(mallory, { name: 'Lobby test' });
    await fake.commit('Mallory', { kind: 'add', identity: dave.public, via: 'link' });
    const f = fake.member('Mallory');
    const knockId = new Uint8Array(16).fill(5);
    const honestFake = await sealWelcome({
      lobbyKeys: lobby,
      me: mallory,
      knockId,
      knocker: dave.public,
      state: f.state,
      entries: f.entries,
      secrets: f.secrets!,
      epochSecret: f.epochSecret,
      linkSecret: f.linkSecret,
    });
    // ...but Dave's link names the real room.
    expect(await openWelcome({ lobbyKeys: lobby, me: dave, knockId, roomId: room.roomId, envelope: honestFake.envelope })).toMatchObject({
      ok: false,
      code: 'WRONG_ROOM',
    });
    // Claiming the real room id over her own log does not help: the genesis does not hash to it.
    const lying = await forgeWelcome({
      lobbyKeys: lobby,
      signer: mallory,
      knockId,
      knocker: dave.public,
      roomId: room.roomId,
      epoch: f.state.epoch,
      epochSecret: f.epochSecret,
      linkSecret: f.linkSecret,
      secrets: f.secrets!,
      entries: f.entries,
    });
    expect(await openWelcome({ lobbyKeys: lobby, me: dave, knockId, roomId: room.roomId, envelope: lying })).toMatchObject({ ok: false, code: 'WRONG_ROOM' });
    // Nor does a real log with her genesis swapped in.
    const real = room.member('Alice');
    const spliced = await forgeWelcome({
      lobbyKeys: lobby,
      signer: mallory,
      knockId,
      knocker: dave.public,
      roomId: room.roomId,
      epoch: real.state.epoch,
      epochSecret: real.epochSecret,
      linkSecret: real.linkSecret,
      secrets: real.secrets!,
      entries: [f.entries[0]!, ...real.entries.slice(1)],
    });
    expect(await openWelcome({ lobbyKeys: lobby, me: dave, knockId, roomId: room.roomId, envelope: spliced })).toMatchObject({ ok: false, code: 'WRONG_ROOM' });
  });

  it('a roster without me: NOT_IN_ROSTER', async () => {
    const a = room.member('Alice');
    const knockId = new Uint8Array(16).fill(6);
    const envelope = await forgeWelcome({
      lobbyKeys: lobby,
      signer: alice,
      knockId,
      knocker: dave.public,
      roomId: room.roomId,
      epoch: a.state.epoch,
      epochSecret: a.epochSecret,
      linkSecret: a.linkSecret,
      secrets: a.secrets!,
      entries: a.entries,
    });
    expect(await openWelcome({ lobbyKeys: lobby, me: dave, knockId, roomId: room.roomId, envelope })).toMatchObject({ ok: false, code: 'NOT_IN_ROSTER' });
    // The roster is checked before the secrets part: a broken one does not change the answer.
    const broken = await forgeWelcome({
      lobbyKeys: lobby,
      signer: alice,
      knockId,
      knocker: dave.public,
      roomId: room.roomId,
      epoch: a.state.epoch,
      epochSecret: a.epochSecret,
      linkSecret: a.linkSecret,
      secrets: flip(a.secrets!, 40),
      entries: a.entries,
    });
    expect(await openWelcome({ lobbyKeys: lobby, me: dave, knockId, roomId: room.roomId, envelope: broken })).toMatchObject({
      ok: false,
      code: 'NOT_IN_ROSTER',
    });
  });

  it('a tampered share: the others accept the commit, the newcomer refuses the welcome (BAD_KEY)', async () => {
    const m = room.member('Mallory');
    // Mallory adds Dave, but seals "Dave's" share to Bob's key.
    const built = await dangerouslyBuildCommitForTests({
      me: mallory,
      state: m.state,
      epochKeys: m.keys,
      linkSecret: m.linkSecret,
      action: toLogAction({ kind: 'add', identity: dave.public, via: 'link' }),
      tamper: { recipients: (r) => r.map((x) => (x.displayName === 'Dave' ? { ...x, encryptionKey: bob.public.encryptionKey } : x)) },
    });
    await room.deliver(built.envelope);
    const after = room.member('Mallory');
    const knockId = new Uint8Array(16).fill(7);
    const { envelope } = await sealWelcome({
      lobbyKeys: lobby,
      me: mallory,
      knockId,
      knocker: dave.public,
      state: after.state,
      entries: after.entries,
      secrets: after.secrets!,
      epochSecret: after.epochSecret,
      linkSecret: after.linkSecret,
    });
    expect(await openWelcome({ lobbyKeys: lobby, me: dave, knockId, roomId: room.roomId, envelope })).toMatchObject({ ok: false, code: 'BAD_KEY' });
    // Stated secrets that are not the ones in the shares: BAD_KEY (epoch) and BAD_SECRETS (link).
    await room.commit('Alice', { kind: 'settings', timerSeconds: 1 });
    const a = room.member('Alice');
    const base = {
      lobbyKeys: lobby,
      signer: alice,
      knockId,
      knocker: carol.public,
      roomId: room.roomId,
      epoch: a.state.epoch,
      epochSecret: a.epochSecret,
      linkSecret: a.linkSecret,
      secrets: a.secrets!,
      entries: a.entries,
    };
    expect(await openWelcome({ lobbyKeys: lobby, me: carol, knockId, roomId: room.roomId, envelope: await forgeWelcome(base) })).toMatchObject({ ok: true });
    expect(
      await openWelcome({
        lobbyKeys: lobby,
        me: carol,
        knockId,
        roomId: room.roomId,
        envelope: await forgeWelcome({ ...base, epochSecret: new Uint8Array(32) }),
      }),
    ).toMatchObject({ ok: false, code: 'BAD_KEY' });
    expect(
      await openWelcome({
        lobbyKeys: lobby,
        me: carol,
        knockId,
        roomId: room.roomId,
        envelope: await forgeWelcome({ ...base, linkSecret: new Uint8Array(32) }),
      }),
    ).toMatchObject({ ok: false, code: 'BAD_SECRETS' });
    expect(
      await openWelcome({
        lobbyKeys: lobby,
        me: carol,
        knockId,
        roomId: room.roomId,
        envelope: await forgeWelcome({ ...base, secrets: flip(a.secrets!, 50) }),
      }),
    ).toMatchObject({ ok: false, code: 'BAD_SECRETS' });
    expect(
      await openWelcome({
        lobbyKeys: lobby,
        me: carol,
        knockId,
        roomId: room.roomId,
        envelope: await forgeWelcome({ ...base, entries: a.entries.slice(0, -1) }),
      }),
    ).toMatchObject({ ok: false, code: 'BAD_LENGTH' });
    expect(
      await openWelcome({
        lobbyKeys: lobby,
        me: carol,
        knockId,
        roomId: room.roomId,
        envelope: await forgeWelcome({ ...base, entries: [...a.entries.slice(0, -1), flip(a.entries.at(-1)!, -1)] }),
      }),
    ).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });

  it('a wrong adder signature: BAD_SIGNATURE; an adder who is not a member: NOT_MEMBER', async () => {
    const a = room.member('Alice');
    const knockId = new Uint8Array(16).fill(8);
    const base = {
      lobbyKeys: lobby,
      knockId,
      knocker: carol.public,
      roomId: room.roomId,
      epoch: a.state.epoch,
      epochSecret: a.epochSecret,
      linkSecret: a.linkSecret,
      secrets: a.secrets!,
      entries: a.entries,
    };
    expect(
      await openWelcome({
        lobbyKeys: lobby,
        me: carol,
        knockId,
        roomId: room.roomId,
        envelope: await forgeWelcome({ ...base, signer: bob, adderId: alice.public.id }),
      }),
    ).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    expect(
      await openWelcome({ lobbyKeys: lobby, me: carol, knockId, roomId: room.roomId, envelope: await forgeWelcome({ ...base, signer: grace }) }),
    ).toMatchObject({ ok: false, code: 'NOT_MEMBER' });
    // A welcome sealed for another lobby's knock id does not transfer.
    const other = await deriveLobbyKeys(new Uint8Array(32).fill(2));
    expect(
      await openWelcome({
        lobbyKeys: lobby,
        me: carol,
        knockId,
        roomId: room.roomId,
        envelope: await forgeWelcome({ ...base, signer: alice, lobbyKeys: other }),
      }),
    ).toMatchObject({ ok: false, code: 'BAD_TAG' });
  });

  it('a welcome at epoch 0 (no secrets part) is refused', async () => {
    const created = await createRoom({ me: alice, name: 'Zero' });
    const knockId = new Uint8Array(16).fill(9);
    const envelope = await forgeWelcome({
      lobbyKeys: created.lobbyKeys,
      signer: alice,
      knockId,
      knocker: alice.public,
      roomId: created.roomId,
      epoch: 0,
      epochSecret: created.epochSecret,
      linkSecret: created.linkSecret,
      secrets: new Uint8Array(0),
      entries: [created.genesis],
    });
    expect(await openWelcome({ lobbyKeys: created.lobbyKeys, me: alice, knockId, roomId: created.roomId, envelope })).toMatchObject({
      ok: false,
      code: 'BAD_SECRETS',
    });
    expect(b64(created.state.roomId)).toEqual(created.roomId);
  });
});
