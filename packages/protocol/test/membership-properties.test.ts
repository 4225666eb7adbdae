/**
 * fast-check over the membership log: random sequences of adds, removals, leave-removals,
 * role, settings and link changes, from random authorised and unauthorised authors (members
 * and outsiders), applied by every member on its own copy of the state. Every member that
 * received the same commits ends with the same roster, membership hash and link secret; an
 * unauthorised commit is refused by everyone with the code an independent model predicts,
 * and by createCommit before it is built.
 *
 * Cost: every accepted commit is one RSA-PSS signature, one RSA-OAEP share per member and,
 * per member, one verification and one RSA-OAEP decryption. Identities come from the test
 * pool; runs and sequence lengths are kept modest.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_TIMER_SECONDS,
  createCommit,
  createRoom,
  deriveLobbyKeys,
  openCommit,
  openWelcome,
  sealKnock,
  sealLeave,
  sealWelcome,
  verifyLog,
  type CommitAction,
  type LocalIdentity,
  type LogErrorCode,
} from '../src/index.js';
import { dangerouslyBuildCommitForTests, toLogAction } from '../src/commit.js';
import { loadIdentities, type SimMember } from './v2-fixtures.js';

/** Runs per property and the longest sequence: about 2 × 20 × 10 commits in all. */
const RUNS = 20;
const MAX_OPS = 10;

let people: LocalIdentity[];

beforeAll(async () => {
  people = await loadIdentities(7);
});

type Op =
  | { kind: 'add'; author: number; target: number; via: 'member' | 'link' | 'knock' }
  | { kind: 'remove'; author: number; target: number }
  | { kind: 'leave'; author: number; target: number; stale: boolean }
  | { kind: 'role'; author: number; target: number; role: 'member' | 'admin' }
  | { kind: 'settings'; author: number; timerSeconds: number }
  | { kind: 'link'; author: number; approval: boolean; singleUse: boolean };

/**
 * Authors and targets are drawn at play time: `pick` chooses among current members or among
 * outsiders (falling back to the other group when one is empty), `n` which of them.
 */
interface Pick {
  pick: 'member' | 'outsider';
  n: number;
}
type Drawn<T> = { [K in keyof T]: K extends 'author' | 'target' ? Pick : T[K] };
type OpDraw = Op extends infer O ? (O extends Op ? Drawn<O> : never) : never;

const author = fc.record({
  pick: fc.constantFrom('member' as const, 'member' as const, 'member' as const, 'member' as const, 'outsider' as const),
  n: fc.nat(6),
});
/** Mostly someone who can be the target: an outsider to add, a member to remove or promote. */
const target = fc.record({ pick: fc.constantFrom('member' as const, 'member' as const, 'member' as const, 'outsider' as const), n: fc.nat(6) });
const newcomer = fc.record({ pick: fc.constantFrom('outsider' as const, 'outsider' as const, 'outsider' as const, 'member' as const), n: fc.nat(6) });
const opDraw: fc.Arbitrary<OpDraw> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), author, target: newcomer, via: fc.constantFrom('member' as const, 'link' as const, 'knock' as const) }),
  fc.record({ kind: fc.constant('remove' as const), author, target }),
  fc.record({ kind: fc.constant('leave' as const), author, target, stale: fc.boolean() }),
  fc.record({ kind: fc.constant('role' as const), author, target, role: fc.constantFrom('member' as const, 'admin' as const) }),
  fc.record({ kind: fc.constant('settings' as const), author, timerSeconds: fc.oneof(fc.nat(MAX_TIMER_SECONDS), fc.constant(MAX_TIMER_SECONDS + 1)) }),
  fc.record({ kind: fc.constant('link' as const), author, approval: fc.boolean(), singleUse: fc.boolean() }),
);

function resolve(draw: OpDraw, members: ReadonlySet<number>): Op {
  const choose = (p: Pick): number => {
    const inside = [...members].sort((a, b) => a - b);
    const outside = [0, 1, 2, 3, 4, 5, 6].filter((i) => !members.has(i));
    const from = (p.pick === 'member' && inside.length > 0) || outside.length === 0 ? inside : outside;
    return from[p.n % from.length]!;
  };
  const out: Record<string, unknown> = { ...draw };
  out.author = choose(draw.author);
  if ('target' in draw) out.target = choose(draw.target);
  return out as Op;
}

/** The rules of PROTOCOL.md B.8, written independently of log-state.ts: the expected code, or undefined for a valid commit. */
class Model {
  readonly members = new Map<number, { role: 'member' | 'admin'; joinedAt: number }>([[0, { role: 'admin', joinedAt: 0 }]]);
  readonly removed = new Set<number>();
  approval = false;
  singleUse = false;
  epoch = 0;

  expected(o: Op): LogErrorCode | undefined {
    const author = this.members.get(o.author);
    if (author === undefined) return 'NOT_MEMBER';
    const admin = author.role === 'admin';
    switch (o.kind) {
      case 'add':
        if ((o.via === 'knock' || this.approval) && !admin) return 'NOT_ALLOWED';
        if (this.members.has(o.target)) return 'BAD_ACTION';
        if (this.removed.has(o.target) && !(o.via === 'member' && admin)) return 'BAD_ACTION';
        return undefined;
      case 'remove':
        if (!admin) return 'NOT_ALLOWED';
        return !this.members.has(o.target) || o.target === o.author || o.target === 0 ? 'BAD_ACTION' : undefined;
      case 'leave':
        return o.target === o.author || o.stale ? 'BAD_ACTION' : undefined;
      case 'role':
        if (!admin) return 'NOT_ALLOWED';
        return !this.members.has(o.target) || o.target === 0 ? 'BAD_ACTION' : undefined;
      case 'settings':
        return o.timerSeconds > MAX_TIMER_SECONDS ? 'BAD_ACTION' : undefined;
      case 'link':
        return admin ? undefined : 'NOT_ALLOWED';
    }
  }

  apply(o: Op): void {
    this.epoch += 1;
    if (o.kind === 'add') this.members.set(o.target, { role: o.target === 0 ? 'admin' : 'member', joinedAt: this.epoch });
    if (o.kind === 'remove') {
      this.members.delete(o.target);
      this.removed.add(o.target);
    }
    if (o.kind === 'leave') this.members.delete(o.target);
    if (o.kind === 'role') this.members.get(o.target)!.role = o.role;
    if (o.kind === 'link') [this.approval, this.singleUse] = [o.approval, o.singleUse];
  }
}

/** Plays a sequence: each member applies every commit itself. */
async function play(draws: readonly OpDraw[]): Promise<{ accepted: number; refused: number }> {
  const model = new Model();
  const created = await createRoom({ me: people[0]!, name: 'Property room' });
  const views = new Map<number, SimMember>([
    [
      0,
      {
        me: people[0]!,
        state: created.state,
        keys: created.epochKeys,
        epochSecret: created.epochSecret,
        linkSecret: created.linkSecret,
        entries: [created.genesis],
      },
    ],
  ]);
  /** Leave proposals made earlier, by member index, to try them again after the member came back. */
  const oldProposals = new Map<number, Uint8Array>();
  let accepted = 0;
  let refused = 0;
  for (const draw of draws) {
    const o = resolve(draw, new Set(views.keys()));
    // Leave ops need a proposal by a current member (or an old one of a past membership).
    if (o.kind === 'leave' && !views.has(o.target)) continue;
    if (o.kind === 'leave' && o.stale && !oldProposals.has(o.target)) continue;
    const expected = model.expected(o);
    const any = views.get(o.author) ?? [...views.values()][0]!;
    let action: CommitAction;
    switch (o.kind) {
      case 'add':
        action = { kind: 'add', identity: people[o.target]!.public, via: o.via };
        break;
      case 'remove':
        action = { kind: 'remove', member: people[o.target]!.public.id };
        break;
      case 'leave': {
        const target = views.get(o.target)!;
        const proposal = o.stale ? oldProposals.get(o.target)! : (await sealLeave({ keys: target.keys, me: target.me })).proposal;
        action = { kind: 'remove', member: people[o.target]!.public.id, leaveProposal: proposal };
        break;
      }
      case 'role':
        action = { kind: 'role', member: people[o.target]!.public.id, role: o.role };
        break;
      case 'settings':
        action = { kind: 'settings', timerSeconds: o.timerSeconds };
        break;
      case 'link':
        action = { kind: 'link', policy: { approval: o.approval, singleUse: o.singleUse, expiresAt: 0 } };
        break;
    }
    let envelope: Uint8Array;
    if (expected === undefined) {
      const made = await createCommit({ me: any.me, state: any.state, epochKeys: any.keys, linkSecret: any.linkSecret, action });
      expect(made, `${o.kind} by ${o.author}`).toMatchObject({ ok: true });
      if (!made.ok) return { accepted, refused };
      envelope = made.envelope;
    } else {
      if (views.has(o.author))
        expect(await createCommit({ me: any.me, state: any.state, epochKeys: any.keys, linkSecret: any.linkSecret, action })).toMatchObject({
          ok: false,
          code: expected,
        });
      envelope = (
        await dangerouslyBuildCommitForTests({
          me: people[o.author]!,
          state: any.state,
          epochKeys: any.keys,
          linkSecret: any.linkSecret,
          action: toLogAction(action),
        })
      ).envelope;
    }
    const before = new Map([...views].map(([i, v]) => [i, v.state]));
    for (const [index, view] of [...views]) {
      const opened = await openCommit({ me: view.me, state: view.state, epochKeys: view.keys, linkSecret: view.linkSecret, envelope });
      if (expected !== undefined) {
        expect(opened, `${o.kind} by ${o.author} as seen by ${index}`).toMatchObject({ ok: false, code: expected });
        continue;
      }
      if (!opened.ok) throw new Error(`${index} refused a valid ${o.kind}: ${opened.code} ${opened.detail ?? ''}`);
      if (opened.removedMe) {
        if (o.kind === 'leave') oldProposals.set(index, (action as { leaveProposal: Uint8Array }).leaveProposal);
        views.delete(index);
      } else {
        views.set(index, {
          ...view,
          state: opened.state,
          keys: opened.epochKeys,
          epochSecret: opened.epochSecret,
          linkSecret: opened.linkSecret,
          entries: [...view.entries, opened.entry],
          secrets: opened.secrets,
        });
      }
    }
    if (expected !== undefined) {
      refused += 1;
      // A refused commit changes nothing anywhere.
      for (const [i, view] of views) expect(view.state).toBe(before.get(i));
      continue;
    }
    accepted += 1;
    model.apply(o);
    if (o.kind === 'add') {
      // The newcomer gets the log from the author and verifies it back to genesis.
      const adder = views.get(o.author)!;
      const lobbyKeys = await deriveLobbyKeys(adder.linkSecret);
      const knock = await sealKnock({ lobbyKeys, me: people[o.target]! });
      const welcome = await sealWelcome({
        lobbyKeys,
        me: adder.me,
        knockId: knock.knockId,
        knocker: people[o.target]!.public,
        state: adder.state,
        entries: adder.entries,
        secrets: adder.secrets!,
        epochSecret: adder.epochSecret,
        linkSecret: adder.linkSecret,
      });
      const joined = await openWelcome({ lobbyKeys, me: people[o.target]!, knockId: knock.knockId, roomId: created.roomId, envelope: welcome.envelope });
      if (!joined.ok) throw new Error(`welcome refused: ${joined.code}`);
      views.set(o.target, {
        me: people[o.target]!,
        state: joined.state,
        keys: joined.epochKeys,
        epochSecret: joined.epochSecret,
        linkSecret: joined.linkSecret,
        entries: joined.entries,
        secrets: joined.secrets,
      });
    }
    // Everyone agrees: state, membership hash, relay room, link secret; and the model agrees.
    const all = [...views.values()];
    for (const view of all) {
      expect(view.state).toEqual(all[0]!.state);
      expect(view.keys.relayRoomId).toEqual(all[0]!.keys.relayRoomId);
      expect(view.linkSecret).toEqual(all[0]!.linkSecret);
    }
    const roster = all[0]!.state.members.map((m) => [people.findIndex((p) => p.public.displayName === m.identity.displayName), m.role, m.joinedAt]);
    expect(new Set(roster.map(([i]) => i))).toEqual(new Set(model.members.keys()));
    for (const [i, role, joinedAt] of roster) expect(model.members.get(i as number)).toEqual({ role, joinedAt });
    expect(new Set(views.keys())).toEqual(new Set(model.members.keys()));
  }
  // The log every member holds verifies from genesis to the state it holds.
  for (const view of views.values()) expect(await verifyLog(view.entries, created.roomId)).toMatchObject({ ok: true, state: view.state });
  return { accepted, refused };
}

describe('membership log properties', () => {
  it("members who receive the same commits agree; unauthorised commits are refused with the model's code", async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opDraw, { minLength: 1, maxLength: MAX_OPS }), async (draws) => {
        const r = await play(draws);
        accepted += r.accepted;
        refused += r.refused;
      }),
      { numRuns: RUNS },
    );
    // Both sides of the property were exercised (typically about 30 accepted and 50 refused).
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it('biased to admins: long sequences of mostly accepted commits', async () => {
    const admin = fc.record({ pick: fc.constant('member' as const), n: fc.constant(0) });
    const adminDraw: fc.Arbitrary<OpDraw> = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        author: admin,
        target: fc.record({ pick: fc.constant('outsider' as const), n: fc.nat(6) }),
        via: fc.constantFrom('member' as const, 'link' as const),
      }),
      fc.record({ kind: fc.constant('remove' as const), author: admin, target: fc.record({ pick: fc.constant('member' as const), n: fc.nat(6) }) }),
      fc.record({
        kind: fc.constant('leave' as const),
        author: admin,
        target: fc.record({ pick: fc.constant('member' as const), n: fc.nat(6) }),
        stale: fc.boolean(),
      }),
      fc.record({
        kind: fc.constant('role' as const),
        author: admin,
        target: fc.record({ pick: fc.constant('member' as const), n: fc.nat(6) }),
        role: fc.constantFrom('member' as const, 'admin' as const),
      }),
      opDraw,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(adminDraw, { minLength: 4, maxLength: MAX_OPS }), async (draws) => {
        await play(draws);
      }),
      { numRuns: RUNS },
    );
  });
});
