/**
 * Fuzz: the membership log (PROTOCOL.md B.8) — decodeEntry, applyEntry, verifyLog.
 *
 * A real log with every action (genesis; adds by a member, through the link and after a
 * knock; a role change; settings; a link policy; a leave carried by a removal; a removal)
 * is mutated entry by entry and as a list; random entries are decoded; and members and
 * outsiders sign structurally valid entries of hostile values. Entry decoding round-trips
 * and is canonical; every refusal has a code of LogErrorCode; a mutated entry is never
 * applied; and a state applyEntry accepts keeps the roster's invariants.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_TIMER_SECONDS,
  applyEntry,
  decodeEntry,
  importPublicIdentityJson,
  membershipHash,
  sealLeave,
  verifyLog,
  type LocalIdentity,
  type LogState,
} from '../../src/index.js';
import { compareBytes, concat, fromBase64Url, readU64, toBase64Url, toHex, u16 } from '../../src/bytes.js';
import { encodePublicIdentity } from '../../src/identity.js';
import { MAX_IDENTITY_ENCODING_BYTES, linkPolicyOf, type LogAction } from '../../src/log-actions.js';
import { encodeUnsignedEntry, signEntry, type EntryFields } from '../../src/log-entry.js';
import { planAction } from '../../src/log-state.js';
import { SimRoom, loadIdentities } from '../v2-fixtures.js';
import { LOG_CODES } from './codes.js';
import { expectRefused, expectTotal, fuzzParameters, mutatedBytes, sameBytes } from './support.js';

/** Bytes of a u64 field (a link expiry). */
const U64_BYTES = 8;

/** Properties that sign an entry per run run a tenth as often. */
const RSA_PER_RUN = 10;
const MAX_RANDOM_BYTES = 1_200;
/** RSA-PSS-3072 signatures are 384 bytes; the format allows up to 8192-bit keys. */
const MIN_SIGNATURE_BYTES = 384;
const MAX_SIGNATURE_BYTES = 1_024;

let people: { alice: LocalIdentity; bob: LocalIdentity; carol: LocalIdentity; dave: LocalIdentity };
/** The whole log and the state after each prefix: states[k] is the state at epoch k. */
let entries: Uint8Array[];
let states: LogState[];
let roomId: Uint8Array;
/** The epoch at which hostile entries are applied: Alice and Bob admins, Carol a member, approval and single use. */
const HOSTILE_EPOCH = 5;
/** Carol's genuine leave proposal of that epoch, and the log of another room by the same creator. */
let carolLeave: Uint8Array;
let otherRoomEntries: Uint8Array[];

beforeAll(async () => {
  const [alice, bob, carol, dave] = await loadIdentities(4);
  people = { alice: alice!, bob: bob!, carol: carol!, dave: dave! };
  const room = await SimRoom.create(alice!, { name: 'Log room' });
  await room.admit('Alice', bob!, 'member');
  await room.admit('Alice', carol!, 'link');
  await room.commit('Alice', { kind: 'role', member: bob!.public.id, role: 'admin' });
  await room.commit('Bob', { kind: 'settings', timerSeconds: 3_600 });
  await room.commit('Alice', { kind: 'link', policy: { approval: true, singleUse: true, expiresAt: 0 } });
  carolLeave = (await sealLeave({ keys: room.member('Carol').keys, me: carol! })).proposal;
  await room.commit('Bob', { kind: 'remove', member: carol!.public.id, leaveProposal: carolLeave });
  await room.commit('Alice', { kind: 'remove', member: bob!.public.id });
  await room.admit('Alice', dave!, 'knock');
  entries = room.member('Alice').entries;
  roomId = room.roomId;
  states = [];
  for (let k = 1; k <= entries.length; k += 1) {
    const verified = await verifyLog(entries.slice(0, k), roomId);
    if (!verified.ok) throw new Error(`fixture: log prefix ${k} refused: ${verified.code}`);
    states.push(verified.state);
  }
  const other = await SimRoom.create(alice!, { name: 'Log room' });
  await other.admit('Alice', bob!);
  otherRoomEntries = other.member('Alice').entries;
});

// ---- structural decoding ---------------------------------------------------------------------

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const u32Value = fc.oneof(fc.nat(16), fc.constant(0xffff_ffff), fc.nat({ max: 0xffff_ffff }));
const u64Value = fc.oneof(fc.constant(0), fc.constant(Number.MAX_SAFE_INTEGER), fc.maxSafeNat());
const actionArbitrary: fc.Arbitrary<LogAction> = fc.oneof(
  fc.record({
    kind: fc.constant('genesis' as const),
    creator: fc.uint8Array({ maxLength: MAX_IDENTITY_ENCODING_BYTES }),
    nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    name: fc.uint8Array({ maxLength: 128 }),
    timerSeconds: u32Value,
    linkFlags: fc.nat(255),
    linkExpiresAt: u64Value,
  }),
  fc.record({ kind: fc.constant('add' as const), identity: fc.uint8Array({ maxLength: MAX_IDENTITY_ENCODING_BYTES }), via: fc.nat(255) }),
  fc.record({ kind: fc.constant('remove' as const), target: hash, proposal: fc.option(fc.uint8Array({ minLength: 1, maxLength: 600 }), { nil: undefined }) }),
  fc.record({ kind: fc.constant('role' as const), target: hash, role: fc.nat(255) }),
  fc.record({ kind: fc.constant('settings' as const), timerSeconds: u32Value }),
  fc.record({ kind: fc.constant('link' as const), flags: fc.nat(255), expiresAt: u64Value }),
) as fc.Arbitrary<LogAction>;

const fieldsArbitrary: fc.Arbitrary<EntryFields> = fc.record({
  roomId: hash,
  epoch: u32Value,
  prev: hash,
  author: hash,
  action: actionArbitrary,
  membershipHash: hash,
  secretsHash: hash,
});
const signatureArbitrary = fc.uint8Array({ minLength: MIN_SIGNATURE_BYTES, maxLength: MAX_SIGNATURE_BYTES });

function encodeEntry(fields: EntryFields, signature: Uint8Array): Uint8Array {
  return concat(encodeUnsignedEntry(fields), u16(signature.length), signature);
}

describe('decodeEntry', () => {
  it('round-trips any structurally valid entry', () => {
    fc.assert(
      fc.property(fieldsArbitrary, signatureArbitrary, (fields, signature) => {
        const bytes = encodeEntry(fields, signature);
        const decoded = decodeEntry(bytes);
        if (!decoded.ok) throw new Error(`${decoded.code} ${decoded.detail ?? ''}`);
        const { entry } = decoded;
        expect({ ...entry, bytes: undefined, signed: undefined }).toEqual({ ...fields, signature, bytes: undefined, signed: undefined });
        expect(entry.bytes).toEqual(bytes);
        expect(concat(entry.signed, u16(entry.signature.length), entry.signature)).toEqual(bytes);
      }),
      fuzzParameters(),
    );
  });

  it('is total on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: MAX_RANDOM_BYTES }), (data) => expectTotal(decodeEntry(data), LOG_CODES)),
      fuzzParameters(),
    );
  });

  it('is canonical: a mutated entry decodes, if at all, only to fields that encode back to exactly its bytes', () => {
    fc.assert(
      fc.property(
        mutatedBytes(() => entries),
        ({ bytes }) => {
          const decoded = decodeEntry(bytes);
          expectTotal(decoded, LOG_CODES);
          if (!decoded.ok) return;
          const again = encodeEntry(decoded.entry, decoded.entry.signature);
          const { action } = decoded.entry;
          const expiry = action.kind === 'genesis' ? action.linkExpiresAt : action.kind === 'link' ? action.expiresAt : 0;
          if (expiry !== undefined) {
            expect(again).toEqual(bytes);
            return;
          }
          // A link expiry past 2^53 − 1 decodes as `undefined` (which no link policy accepts,
          // so applyEntry refuses the entry) and encodes as 0: the bytes may differ there only.
          expect(linkPolicyOf(0, expiry)).toBeUndefined();
          expect(again.length).toBe(bytes.length);
          const differ = [...again.keys()].filter((i) => again[i] !== bytes[i]);
          const window = [differ[0]! - 1, differ[0]!].find(
            (w) =>
              w >= 0 &&
              readU64(bytes, w) === undefined &&
              differ.every((i) => i >= w && i < w + U64_BYTES) &&
              again.subarray(w, w + U64_BYTES).every((b) => b === 0),
          );
          expect(window, 'a non-canonical field other than an out-of-range expiry').toBeDefined();
        },
      ),
      fuzzParameters(),
    );
  });
});

// ---- applying entries --------------------------------------------------------------------------

/** The invariants of a log state (log-types.ts): what no accepted entry may break. */
async function expectInvariants(state: LogState): Promise<void> {
  const ids = state.members.map((m) => fromBase64Url(m.id)!);
  for (let i = 1; i < ids.length; i += 1) expect(compareBytes(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
  expect(state.members.length).toBeGreaterThan(0);
  for (const m of state.members) {
    const imported = await importPublicIdentityJson(m.identity);
    expect(imported.ok && imported.identity.idHex).toBe(toHex(fromBase64Url(m.id)!));
    expect(['member', 'admin']).toContain(m.role);
    if (m.id === state.creator) expect(m.role).toBe('admin');
    expect(m.joinedAt).toBeLessThanOrEqual(state.epoch);
  }
  expect(new Set(state.removed).size).toBe(state.removed.length);
  expect(state.epochs.length).toBe(state.epoch + 1);
  const record = state.epochs[state.epoch]!;
  expect(record.membershipHash).toBe(toBase64Url(await membershipHash(state.members.map((m) => ({ id: fromBase64Url(m.id)!, role: m.role })))));
  expect(Number.isInteger(state.timerSeconds) && state.timerSeconds >= 0 && state.timerSeconds <= MAX_TIMER_SECONDS).toBe(true);
  expect(Number.isSafeInteger(state.link.expiresAt) && state.link.expiresAt >= 0).toBe(true);
}

describe('applyEntry', () => {
  it('refuses every mutation of every real entry, on the state it was made for', async () => {
    const applied = entries.slice(1);
    await fc.assert(
      fc.asyncProperty(
        mutatedBytes(() => applied),
        async ({ index, bytes }) => expectRefused(await applyEntry(states[index]!, bytes), LOG_CODES),
      ),
      fuzzParameters(),
    );
  });

  it('is total on random bytes, whatever the state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.uint8Array({ maxLength: MAX_RANDOM_BYTES }), async (k, data) =>
        expectRefused(await applyEntry(states[k % states.length]!, data), LOG_CODES),
      ),
      fuzzParameters(),
    );
  });

  it('refuses structurally valid entries with random fields and signatures', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fieldsArbitrary, signatureArbitrary, async (k, fields, signature) => {
        const state = states[k % states.length]!;
        // Mostly this room, the next epoch and the current head, so the checks after those run.
        const bytes = encodeEntry({ ...fields, roomId, epoch: state.epoch + 1, prev: fromBase64Url(state.epochs[state.epoch]!.head)! }, signature);
        expectRefused(await applyEntry(state, bytes), LOG_CODES);
        expectRefused(await applyEntry(state, encodeEntry(fields, signature)), LOG_CODES);
      }),
      fuzzParameters(),
    );
  });

  it('a member or an outsider signing hostile values: applied exactly when the rules allow, and then the invariants hold', async () => {
    const state = states[HOSTILE_EPOCH]!;
    const ids = () => [people.alice, people.bob, people.carol, people.dave].map((p) => p.public.id);
    const identity = fc.oneof(
      fc.constantFrom(...[people.alice, people.bob, people.carol, people.dave].map((p) => encodePublicIdentity(p.public))),
      fc.constantFrom(people.dave, people.carol).map((p) => encodePublicIdentity(p.public).map((b, i) => (i === 5 ? b ^ 1 : b))),
      fc.uint8Array({ maxLength: 64 }),
    );
    const target = fc.oneof(
      fc.nat(3).map((i) => ids()[i]!),
      hash,
    );
    const proposal = fc.oneof(
      fc.constant(undefined),
      fc.constant(carolLeave),
      fc.nat({ max: 700 }).map((i) => carolLeave.map((b, j) => (j === i % carolLeave.length ? b ^ 0x80 : b))),
      fc.uint8Array({ minLength: 1, maxLength: 64 }),
    );
    const action: fc.Arbitrary<LogAction> = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), identity, via: fc.nat(3) }),
      fc.record({ kind: fc.constant('remove' as const), target, proposal }),
      fc.record({ kind: fc.constant('role' as const), target, role: fc.nat(3) }),
      fc.record({ kind: fc.constant('settings' as const), timerSeconds: fc.oneof(fc.nat(MAX_TIMER_SECONDS + 1), u32Value) }),
      fc.record({ kind: fc.constant('link' as const), flags: fc.nat(7), expiresAt: u64Value }),
    ) as fc.Arbitrary<LogAction>;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('alice', 'bob', 'carol', 'dave' as const), action, fc.boolean(), async (who, act, rightHash) => {
        const author = people[who];
        const epoch = state.epoch + 1;
        const plan = await planAction(state, author.public.id, act, epoch);
        const fields: EntryFields = {
          roomId,
          epoch,
          prev: fromBase64Url(state.epochs[state.epoch]!.head)!,
          author: author.public.id,
          action: act,
          membershipHash: rightHash && plan.ok ? plan.membershipHash : new Uint8Array(32).fill(7),
          secretsHash: new Uint8Array(32).fill(9),
        };
        const applied = await applyEntry(state, await signEntry(author, fields));
        if (!plan.ok) {
          expectRefused(applied, [plan.code]);
          return;
        }
        if (!rightHash) {
          expectRefused(applied, ['BAD_MEMBERSHIP']);
          return;
        }
        if (!applied.ok) throw new Error(`a permitted entry was refused: ${applied.code} ${applied.detail ?? ''}`);
        expect(applied.state.members).toEqual(plan.members);
        await expectInvariants(applied.state);
      }),
      fuzzParameters(RSA_PER_RUN),
    );
  });
});

// ---- whole logs --------------------------------------------------------------------------------

type ListEdit =
  | { kind: 'drop'; at: number }
  | { kind: 'duplicate'; at: number }
  | { kind: 'swap'; at: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'foreign'; at: number; from: number }
  | { kind: 'mutate'; at: number; mutation: Uint8Array };

const listEdit: fc.Arbitrary<ListEdit> = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('foreign' as const), at: fc.nat(), from: fc.nat() }),
  fc.record({ kind: fc.constant('mutate' as const), at: fc.nat(), mutation: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
);

function applyListEdit(list: Uint8Array[], edit: ListEdit): Uint8Array[] {
  if (list.length === 0) return list;
  const at = edit.at % list.length;
  const out = list.slice();
  switch (edit.kind) {
    case 'drop':
      out.splice(at, 1);
      return out;
    case 'duplicate':
      out.splice(at, 0, out[at]!);
      return out;
    case 'swap':
      if (at + 1 < out.length) [out[at], out[at + 1]] = [out[at + 1]!, out[at]!];
      return out;
    case 'truncate':
      return out.slice(0, at);
    case 'foreign':
      out[at] = otherRoomEntries[edit.from % otherRoomEntries.length]!;
      return out;
    case 'mutate': {
      const entry = out[at]!.slice();
      for (const [i, m] of edit.mutation.entries()) {
        const index = (m * 37 + i * 101) % entry.length;
        entry[index] = entry[index]! ^ (m | 1);
      }
      out[at] = entry;
      return out;
    }
  }
}

describe('verifyLog', () => {
  it('accepts exactly the non-empty prefixes of the real log under its room id', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(listEdit, { minLength: 1, maxLength: 3 }), async (edits) => {
        const list = edits.reduce(applyListEdit, entries);
        const isPrefix = list.length > 0 && list.length <= entries.length && list.every((e, i) => sameBytes(e, entries[i]!));
        const verified = await verifyLog(list, roomId);
        if (isPrefix) expect(verified.ok && verified.state).toEqual(states[list.length - 1]);
        else expectRefused(verified, LOG_CODES);
      }),
      fuzzParameters(RSA_PER_RUN),
    );
  });

  it('refuses the real log under any other room id, and any list of random entries', async () => {
    await fc.assert(
      fc.asyncProperty(hash, fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 4 }), async (otherId, random) => {
        if (!sameBytes(otherId, roomId)) expectRefused(await verifyLog(entries.slice(0, 1 + (otherId[0]! % entries.length)), otherId), LOG_CODES);
        expectRefused(await verifyLog(random, roomId), LOG_CODES);
        if (random.length > 0) expectRefused(await verifyLog([entries[0]!, ...random], roomId), LOG_CODES);
      }),
      fuzzParameters(),
    );
  });
});
