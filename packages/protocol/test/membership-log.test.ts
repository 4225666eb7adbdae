/**
 * The membership log and commits, adversarially: every check of the entry rules (B.8) and
 * of the secrets part (B.9) refuses with its code, in order; unauthorised authors are
 * refused; a removal really removes (no key, no link); members agree.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyEntry,
  createCommit,
  createRoom,
  deriveEpochKeys,
  entryHash,
  genesisState,
  openCommit,
  sealGroup,
  createSenderKey,
  sealLeave,
  verifyLog,
  type CommitAction,
  type LocalIdentity,
  type PublicIdentity,
} from '../src/index.js';
import { dangerouslyBuildCommitForTests, toLogAction, type DangerousCommitTamper } from '../src/commit.js';
import { ZERO_HASH, signEntry } from '../src/log-entry.js';
import { encodePublicIdentity } from '../src/identity.js';
import { membershipHash } from '../src/epoch-keys.js';
import { SimRoom, b64, flip, loadIdentities } from './v2-fixtures.js';

let alice: LocalIdentity, bob: LocalIdentity, carol: LocalIdentity, dave: LocalIdentity, erin: LocalIdentity, mallory: LocalIdentity;
let room: SimRoom;

beforeAll(async () => {
  [alice, bob, carol, dave, erin, , , mallory] = (await loadIdentities(8)) as [
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
    LocalIdentity,
  ];
  room = await SimRoom.create(alice, { name: 'Incident 42' });
  await room.admit('Alice', bob);
  await room.admit('Alice', carol);
  await room.admit('Bob', dave, 'link');
});

/** A commit by `author` built without author-side checks, as `receiver` opens it. */
async function forged(authorName: string, action: CommitAction, tamper: DangerousCommitTamper = {}, as = 'Bob', signer?: LocalIdentity) {
  const author = room.member(authorName);
  const receiver = room.member(as);
  const built = await dangerouslyBuildCommitForTests({
    me: signer ?? author.me,
    state: author.state,
    epochKeys: author.keys,
    linkSecret: author.linkSecret,
    action: toLogAction(action),
    tamper,
  });
  return openCommit({ me: receiver.me, state: receiver.state, epochKeys: receiver.keys, linkSecret: receiver.linkSecret, envelope: built.envelope });
}

const settings = (timerSeconds = 60): CommitAction => ({ kind: 'settings', timerSeconds });

describe('genesis', () => {
  it('binds the creator: the room id is the hash of a genesis signed by the creator', async () => {
    const created = await createRoom({ me: alice, name: 'Mine', timerSeconds: 30, linkPolicy: { approval: true, singleUse: false, expiresAt: 0 } });
    const verified = await genesisState(created.genesis, created.roomId);
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    expect(verified.state.members.map((m) => [m.identity.displayName, m.role])).toEqual([['Alice', 'admin']]);
    expect(verified.state).toMatchObject({
      epoch: 0,
      name: 'Mine',
      timerSeconds: 30,
      link: { approval: true },
      creator: Buffer.from(alice.public.id).toString('base64url'),
    });
    // Anyone else's genesis with the same name is another room: a link "as creator" cannot point here.
    const other = await createRoom({ me: mallory, name: 'Mine' });
    expect(await genesisState(other.genesis, created.roomId)).toMatchObject({ ok: false, code: 'WRONG_ROOM' });
  });

  it('refuses a tampered or forged genesis with the code of the first failing check', async () => {
    const { genesis, roomId } = await createRoom({ me: alice, name: 'Mine' });
    expect(await genesisState(flip(genesis, 0), roomId)).toMatchObject({ code: 'BAD_VERSION' });
    expect(await genesisState(genesis.subarray(0, -1), roomId)).toMatchObject({ code: 'BAD_LENGTH' });
    expect(await genesisState(new Uint8Array([...genesis, 0]), roomId)).toMatchObject({ code: 'BAD_LENGTH' });
    expect(await genesisState(flip(genesis, -1), roomId)).toMatchObject({ code: 'BAD_SIGNATURE' });
    const fields = {
      roomId: ZERO_HASH,
      epoch: 0,
      prev: ZERO_HASH,
      author: alice.public.id,
      action: {
        kind: 'genesis' as const,
        creator: encodePublicIdentity(alice.public),
        nonce: new Uint8Array(16),
        name: new TextEncoder().encode('x'),
        timerSeconds: 0,
        linkFlags: 0,
        linkExpiresAt: 0,
      },
      membershipHash: await membershipHash([{ id: alice.public.id, role: 'admin' }]),
      secretsHash: ZERO_HASH,
    };
    const check = async (entry: Uint8Array) => genesisState(entry, new Uint8Array(await (await import('../src/log-entry.js')).roomIdOf(entry)));
    expect(await check(await signEntry(alice, fields))).toMatchObject({ ok: true });
    // Mallory signs a genesis naming Alice as creator: she is not its author.
    expect(await check(await signEntry(mallory, { ...fields, author: mallory.public.id }))).toMatchObject({ code: 'NOT_ALLOWED' });
    expect(await check(await signEntry(mallory, fields))).toMatchObject({ code: 'BAD_SIGNATURE' });
    expect(await check(await signEntry(alice, { ...fields, epoch: 1 }))).toMatchObject({ code: 'BAD_ACTION' });
    expect(await check(await signEntry(alice, { ...fields, secretsHash: new Uint8Array(32).fill(1) }))).toMatchObject({ code: 'BAD_ACTION' });
    expect(await check(await signEntry(alice, { ...fields, action: { ...fields.action, timerSeconds: 365 * 86400 + 1 } }))).toMatchObject({
      code: 'BAD_ACTION',
    });
    expect(await check(await signEntry(alice, { ...fields, action: { ...fields.action, linkFlags: 0x04 } }))).toMatchObject({ code: 'BAD_ACTION' });
    expect(await check(await signEntry(alice, { ...fields, action: { ...fields.action, name: new TextEncoder().encode('a\u202eb') } }))).toMatchObject({
      code: 'BAD_ACTION',
    });
    expect(await check(await signEntry(alice, { ...fields, membershipHash: await membershipHash([{ id: alice.public.id, role: 'member' }]) }))).toMatchObject({
      code: 'BAD_MEMBERSHIP',
    });
  });
});

describe('commits: each check of the entry rules, in order', () => {
  it('a valid commit advances every member to the same state', async () => {
    const before = room.member('Carol').state.epoch;
    await room.commit('Carol', settings(120));
    const states = [...room.members.values()].map((m) => m.state);
    expect(states.every((s) => s.epoch === before + 1 && s.timerSeconds === 120)).toBe(true);
    for (const s of states) expect(s).toEqual(states[0]);
    const keys = [...room.members.values()].map((m) => Buffer.from(m.keys.relayRoomId).toString('hex'));
    expect(new Set(keys).size).toBe(1);
  });

  it('wrong room, stale and future epochs, wrong prev', async () => {
    expect(await forged('Carol', settings(), { roomId: new Uint8Array(32).fill(3) })).toMatchObject({ ok: false, code: 'WRONG_ROOM' });
    const n = room.member('Carol').state.epoch;
    expect(await forged('Carol', settings(), { epoch: n })).toMatchObject({ ok: false, code: 'STALE_COMMIT' });
    expect(await forged('Carol', settings(), { epoch: n + 2 })).toMatchObject({ ok: false, code: 'FUTURE_COMMIT' });
    expect(await forged('Carol', settings(), { prev: new Uint8Array(32).fill(7) })).toMatchObject({ ok: false, code: 'STALE_COMMIT' });
  });

  it('a replayed commit is stale, and the loser of a race is stale for everyone', async () => {
    const carol = room.member('Carol');
    const first = await createCommit({ me: carol.me, state: carol.state, epochKeys: carol.keys, linkSecret: carol.linkSecret, action: settings(5) });
    const dave = room.member('Dave');
    const second = await createCommit({ me: dave.me, state: dave.state, epochKeys: dave.keys, linkSecret: dave.linkSecret, action: settings(6) });
    if (!first.ok || !second.ok) throw new Error('commit refused');
    const bobBefore = room.member('Bob');
    await room.deliver(first.envelope);
    const bob = room.member('Bob');
    // Both were sealed in the previous epoch room: opened with that epoch's keys against the new state.
    expect(await openCommit({ me: bob.me, state: bob.state, epochKeys: bobBefore.keys, linkSecret: bob.linkSecret, envelope: second.envelope })).toMatchObject({
      ok: false,
      code: 'STALE_COMMIT',
    });
    expect(await openCommit({ me: bob.me, state: bob.state, epochKeys: bobBefore.keys, linkSecret: bob.linkSecret, envelope: first.envelope })).toMatchObject({
      ok: false,
      code: 'STALE_COMMIT',
    });
    // Under the new epoch's keys the old envelope does not even open.
    expect(await openCommit({ me: bob.me, state: bob.state, epochKeys: bob.keys, linkSecret: bob.linkSecret, envelope: first.envelope })).toMatchObject({
      ok: false,
      code: 'BAD_TAG',
    });
  });

  it('an author who is not a member: NOT_MEMBER', async () => {
    expect(await forged('Carol', settings(), {}, 'Bob', mallory)).toMatchObject({ ok: false, code: 'NOT_MEMBER' });
  });

  it('unauthorised authors: NOT_ALLOWED', async () => {
    const carolId = carol.public.id;
    expect(await forged('Bob', { kind: 'remove', member: carolId })).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    expect(await forged('Bob', { kind: 'role', member: carolId, role: 'admin' })).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    expect(await forged('Bob', { kind: 'link', policy: { approval: false, singleUse: false, expiresAt: 0 } })).toMatchObject({
      ok: false,
      code: 'NOT_ALLOWED',
    });
    expect(await forged('Bob', { kind: 'add', identity: erin.public, via: 'knock' })).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    // An admin's policy with an impossible expiry is an invalid body, not an exception.
    const a = room.member('Alice');
    expect(
      await createCommit({
        me: a.me,
        state: a.state,
        epochKeys: a.keys,
        linkSecret: a.linkSecret,
        action: { kind: 'link', policy: { approval: false, singleUse: false, expiresAt: -1 } },
      }),
    ).toMatchObject({ ok: false, code: 'BAD_ACTION' });
    expect(
      await createCommit({ me: a.me, state: a.state, epochKeys: a.keys, linkSecret: a.linkSecret, action: { kind: 'settings', timerSeconds: 1.5 } }),
    ).toMatchObject({ ok: false, code: 'BAD_ACTION' });
    // And the author-side API refuses the same before anything is built.
    const b = room.member('Bob');
    expect(
      await createCommit({ me: b.me, state: b.state, epochKeys: b.keys, linkSecret: b.linkSecret, action: { kind: 'remove', member: carolId } }),
    ).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
  });

  it('bodies that are invalid against the state: BAD_ACTION', async () => {
    const aliceId = alice.public.id;
    expect(await forged('Alice', { kind: 'remove', member: aliceId })).toMatchObject({ code: 'BAD_ACTION' }); // the author itself
    expect(await forged('Alice', { kind: 'remove', member: mallory.public.id })).toMatchObject({ code: 'BAD_ACTION' }); // not a member
    expect(await forged('Alice', { kind: 'add', identity: bob.public, via: 'member' })).toMatchObject({ code: 'BAD_ACTION' }); // already a member
    expect(await forged('Alice', { kind: 'role', member: mallory.public.id, role: 'admin' })).toMatchObject({ code: 'BAD_ACTION' });
    expect(await forged('Alice', settings(365 * 86400 + 1))).toMatchObject({ code: 'BAD_ACTION' });
    const badIdentity = { ...bob.public, encryptionSpki: bob.public.signingSpki } as PublicIdentity;
    expect(await forged('Alice', { kind: 'add', identity: badIdentity, via: 'member' })).toMatchObject({ code: 'BAD_ACTION' });
  });

  it('the membership hash must be that of the resulting roster: BAD_MEMBERSHIP', async () => {
    expect(await forged('Carol', settings(), { membershipHash: new Uint8Array(32).fill(1) })).toMatchObject({ ok: false, code: 'BAD_MEMBERSHIP' });
    // An admin adding Erin but committing to the roster without her.
    const unchanged = b64(room.member('Alice').state.epochs.at(-1)!.membershipHash);
    expect(await forged('Alice', { kind: 'add', identity: erin.public, via: 'member' }, { membershipHash: unchanged })).toMatchObject({
      code: 'BAD_MEMBERSHIP',
    });
  });

  it('signature: BAD_SIGNATURE; truncated entry: BAD_LENGTH', async () => {
    expect(await forged('Carol', settings(), { entryAfterSigning: (e) => flip(e, -1) })).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    expect(await forged('Carol', settings(), { entryAfterSigning: (e) => flip(e, 200) })).toMatchObject({ ok: false });
    expect(await forged('Carol', settings(), { entryAfterSigning: (e) => e.subarray(0, -1) })).toMatchObject({ ok: false, code: 'BAD_LENGTH' });
    expect(await forged('Carol', settings(), { entryAfterSigning: (e) => flip(e, 0, 0x03) })).toMatchObject({ ok: false, code: 'BAD_VERSION' });
  });
});

describe('commits: the secrets part', () => {
  it('secrets that do not match the signed hash: BAD_SECRETS', async () => {
    expect(await forged('Carol', settings(), { secretsAfterSigning: (s) => flip(s, 40) })).toMatchObject({ ok: false, code: 'BAD_SECRETS' });
  });

  it('a missing share, an extra share, a share for a non-member: every member refuses', async () => {
    for (const as of ['Alice', 'Bob', 'Dave']) {
      expect(await forged('Carol', settings(), { recipients: (r) => r.filter((x) => x.displayName !== 'Dave') }, as)).toMatchObject({
        ok: false,
        code: 'BAD_SECRETS',
      });
      expect(await forged('Carol', settings(), { recipients: (r) => [...r, mallory.public] }, as)).toMatchObject({ ok: false, code: 'BAD_SECRETS' });
      expect(await forged('Carol', settings(), { recipients: (r) => r.map((x) => (x.displayName === 'Dave' ? mallory.public : x)) }, as)).toMatchObject({
        ok: false,
        code: 'BAD_SECRETS',
      });
    }
  });

  it('a share that does not decrypt for me: BAD_KEY (the others are not fooled either way)', async () => {
    const swap = (r: PublicIdentity[]) => r.map((x) => (x.displayName === 'Bob' ? { ...x, encryptionKey: carol.public.encryptionKey } : x));
    expect(await forged('Carol', settings(), { recipients: swap }, 'Bob')).toMatchObject({ ok: false, code: 'BAD_KEY' });
  });

  it('my own share from an earlier commit, replayed in a new one, names the wrong epoch: BAD_KEY', async () => {
    const earlier = room.member('Bob').secrets!;
    const replay = (secrets: Uint8Array) => replaceShare(secrets, bob.public.id, earlier);
    expect(await forged('Carol', settings(), { secretsBeforeSigning: replay }, 'Bob')).toMatchObject({ ok: false, code: 'BAD_KEY' });
    // The others cannot tell (it is not their share) and accept it: only Bob's keys are at stake.
    expect(await forged('Carol', settings(), { secretsBeforeSigning: replay }, 'Dave')).toMatchObject({ ok: true });
  });

  it('a removal must reset the link, and nothing else may: BAD_SECRETS', async () => {
    const current = room.member('Alice').linkSecret;
    expect(await forged('Alice', { kind: 'remove', member: dave.public.id }, { linkSecret: current })).toMatchObject({ ok: false, code: 'BAD_SECRETS' });
    expect(await forged('Carol', settings(), { linkSecret: new Uint8Array(32).fill(9) })).toMatchObject({ ok: false, code: 'BAD_SECRETS' });
  });

  it('a commit of another type, or of another epoch, is not a commit', async () => {
    const carolM = room.member('Carol');
    const group = await sealGroup({ keys: carolM.keys, me: carolM.me, senderKey: createSenderKey({ now: 0 }), payload: new Uint8Array(1) });
    const bobM = room.member('Bob');
    expect(await openCommit({ me: bobM.me, state: bobM.state, epochKeys: bobM.keys, linkSecret: bobM.linkSecret, envelope: group.envelope })).toMatchObject({
      ok: false,
      code: 'WRONG_TYPE',
    });
    const elsewhere = await deriveEpochKeys(bobM.keys.roomId, bobM.keys.epoch, new Uint8Array(32), bobM.keys.head, bobM.keys.membershipHash);
    expect(await openCommit({ me: bobM.me, state: bobM.state, epochKeys: elsewhere, linkSecret: bobM.linkSecret, envelope: group.envelope })).toMatchObject({
      ok: false,
      code: 'BAD_TAG',
    });
  });
});

describe('roles, removals and leaves', () => {
  it('the creator cannot be removed, nor its role changed, even by another admin', async () => {
    await room.commit('Alice', { kind: 'role', member: carol.public.id, role: 'admin' });
    expect(room.member('Bob').state.members.find((m) => m.identity.displayName === 'Carol')?.role).toBe('admin');
    expect(await forged('Carol', { kind: 'remove', member: alice.public.id })).toMatchObject({ ok: false, code: 'BAD_ACTION' });
    expect(await forged('Carol', { kind: 'role', member: alice.public.id, role: 'member' })).toMatchObject({ ok: false, code: 'BAD_ACTION' });
  });

  it('approval mode: only admins add', async () => {
    await room.commit('Carol', { kind: 'link', policy: { approval: true, singleUse: false, expiresAt: 0 } });
    expect(await forged('Bob', { kind: 'add', identity: erin.public, via: 'member' })).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    expect(await forged('Bob', { kind: 'add', identity: erin.public, via: 'link' })).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    await room.commit('Carol', { kind: 'link', policy: { approval: false, singleUse: false, expiresAt: 0 } });
  });

  it('a removal removes: the removed member gets no share, no link, and cannot open the next epoch', async () => {
    const daveBefore = room.member('Dave');
    const link = room.member('Alice').linkSecret;
    const created = await room.commit('Alice', { kind: 'remove', member: dave.public.id });
    expect(created.change).toMatchObject({ kind: 'remove', left: false });
    expect(created.linkReset).toBe(true);
    expect(room.gone.has('Dave')).toBe(true);
    expect(room.member('Bob').linkSecret).not.toEqual(link);
    expect(room.member('Bob').state.removed).toContain(Buffer.from(dave.public.id).toString('base64url'));
    // Dave, with his old keys, cannot open the next commit.
    await room.commit('Carol', settings(7));
    const next = room.published.at(-1)!.envelope;
    expect(
      await openCommit({ me: dave, state: daveBefore.state, epochKeys: daveBefore.keys, linkSecret: daveBefore.linkSecret, envelope: next }),
    ).toMatchObject({ ok: false, code: 'BAD_TAG' });
  });

  it('an identity in the removal record comes back only by an admin adding it as a member', async () => {
    expect(await forged('Bob', { kind: 'add', identity: dave.public, via: 'link' })).toMatchObject({ ok: false, code: 'BAD_ACTION' });
    expect(await forged('Alice', { kind: 'add', identity: dave.public, via: 'link' })).toMatchObject({ ok: false, code: 'BAD_ACTION' });
    expect(await forged('Alice', { kind: 'add', identity: dave.public, via: 'member' }, { entryAfterSigning: (e) => flip(e, -1) })).toMatchObject({
      code: 'BAD_SIGNATURE',
    });
  });

  it('a leave proposal lets any member commit the removal; the leaver is not in the removal record', async () => {
    await room.admit('Alice', erin);
    const bobM = room.member('Bob');
    const leave = await sealLeave({ keys: bobM.keys, me: bob });
    // Erin is no admin: the proposal is her authority.
    expect(room.member('Erin').state.members.find((m) => m.identity.displayName === 'Erin')?.role).toBe('member');
    const created = await room.commit('Erin', { kind: 'remove', member: bob.public.id, leaveProposal: leave.proposal });
    expect(created.change).toMatchObject({ kind: 'remove', left: true });
    expect(created.linkReset).toBe(true);
    expect(room.member('Alice').state.removed).not.toContain(Buffer.from(bob.public.id).toString('base64url'));
    expect(room.gone.has('Bob')).toBe(true);
  });

  it("a leave proposal that is forged, another member's, or older than the membership: BAD_ACTION", async () => {
    const erinM = room.member('Erin');
    const leave = await sealLeave({ keys: erinM.keys, me: erin });
    expect(await forged('Carol', { kind: 'remove', member: erin.public.id, leaveProposal: flip(leave.proposal, -1) }, {}, 'Alice')).toMatchObject({
      code: 'BAD_ACTION',
    });
    expect(await forged('Carol', { kind: 'remove', member: alice.public.id, leaveProposal: leave.proposal }, {}, 'Alice')).toMatchObject({
      code: 'BAD_ACTION',
    });
    expect(await forged('Carol', { kind: 'remove', member: erin.public.id, leaveProposal: leave.proposal.subarray(1) }, {}, 'Alice')).toMatchObject({
      code: 'BAD_ACTION',
    });
    // The leaver can never commit its own removal: it would know the next epoch secret.
    expect(await forged('Erin', { kind: 'remove', member: erin.public.id, leaveProposal: leave.proposal }, {}, 'Alice')).toMatchObject({ code: 'BAD_ACTION' });
    await room.commit('Carol', { kind: 'remove', member: erin.public.id, leaveProposal: leave.proposal });
    // Erin comes back; the proposal of her earlier membership does not remove her again.
    await room.admit('Carol', erin);
    expect(await forged('Carol', { kind: 'remove', member: erin.public.id, leaveProposal: leave.proposal }, {}, 'Alice')).toMatchObject({ code: 'BAD_ACTION' });
    // A proposal stays valid in later epochs while its maker stays a member.
    const again = await sealLeave({ keys: room.member('Erin').keys, me: erin });
    await room.commit('Carol', settings(11));
    expect(await forged('Carol', { kind: 'remove', member: erin.public.id, leaveProposal: again.proposal }, {}, 'Alice')).toMatchObject({ ok: true });
  });

  it('the creator can leave; the room goes on with its other admins', async () => {
    await room.commit('Alice', { kind: 'role', member: carol.public.id, role: 'admin' });
    const aliceM = room.member('Alice');
    const leave = await sealLeave({ keys: aliceM.keys, me: alice });
    await room.commit('Carol', { kind: 'remove', member: alice.public.id, leaveProposal: leave.proposal });
    expect(room.gone.has('Alice')).toBe(true);
    await room.commit('Carol', settings(9));
  });

  it('the whole log verifies from genesis to the state every member holds', async () => {
    const m = room.member('Carol');
    const verified = await verifyLog(m.entries, room.roomId);
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    expect(verified.state).toEqual(m.state);
    expect(await entryHash(m.entries.at(-1)!)).toEqual(b64(m.state.epochs.at(-1)!.head));
    // Dropping an entry breaks the chain; a reordered log too.
    expect(await verifyLog([m.entries[0]!, ...m.entries.slice(2)], room.roomId)).toMatchObject({ ok: false, code: 'FUTURE_COMMIT' });
    expect(await verifyLog([m.entries[0]!, m.entries[2]!, m.entries[1]!, ...m.entries.slice(3)], room.roomId)).toMatchObject({
      ok: false,
      code: 'FUTURE_COMMIT',
    });
    expect(await applyEntry(m.state, m.entries[1]!)).toMatchObject({ ok: false, code: 'STALE_COMMIT' });
  });
});

/** A secrets part with `recipient`'s share taken from another secrets part (B.9 layout). */
function replaceShare(secrets: Uint8Array, recipient: Uint8Array, from: Uint8Array): Uint8Array {
  const shares = (data: Uint8Array) => {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const out: Array<{ id: string; bytes: Uint8Array }> = [];
    let at = 2;
    for (let i = 0; i < view.getUint16(0); i += 1) {
      const length = 32 + 2 + view.getUint16(at + 32);
      out.push({ id: Buffer.from(data.subarray(at, at + 32)).toString('hex'), bytes: data.subarray(at, at + length) });
      at += length;
    }
    return { out, rest: data.subarray(at) };
  };
  const target = Buffer.from(recipient).toString('hex');
  const replacement = shares(from).out.find((s) => s.id === target)!;
  const mine = shares(secrets);
  return new Uint8Array(Buffer.concat([secrets.subarray(0, 2), ...mine.out.map((s) => (s.id === target ? replacement.bytes : s.bytes)), mine.rest]));
}
