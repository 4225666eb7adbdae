/**
 * The state of a room at epoch n — roster (public identity, role, joined-at epoch), settings,
 * link policy, removal record — as a pure function of log entries 0..n (PROTOCOL.md B.8).
 * Every member applies the same entries with the same checks in the same order, so members
 * who received the same commits agree on who is in the room.
 *
 * The state is plain JSON (identities in their JSON form, bytes as base64url), so a client
 * can persist it sealed at rest and hand it back as is.
 */
import { IDENTITY_ID_BYTES } from './constants.js';
import { MAX_ROSTER_MEMBERS } from './constants-v2.js';
import { compareBytes, equalBytes, fromBase64Url, toBase64Url, type Bytes } from './bytes.js';
import { groupContext, membershipHash } from './epoch-keys.js';
import { fail, type LogErrorCode, type Result } from './errors.js';
import { importPublicIdentity, publicIdentityToJson } from './identity.js';
import { decodeLeaveProposal, verifyLeaveProposal } from './leave.js';
import { decodeRoomName, linkPolicyOf, roleOf, timerOk, viaOf, type LinkPolicy, type LogAction } from './log-actions.js';
import { ZERO_HASH, decodeEntry, entryHash, roomIdOf, verifyEntrySignature, type LogEntry } from './log-entry.js';
import type { LogChange, LogState, RosterMember } from './log-types.js';
import { rosterIdentity } from './roster.js';

export type { EpochRecord, LogChange, LogState, RosterMember } from './log-types.js';

/** A verified entry and the state after it. */
export interface AppliedEntry {
  state: LogState;
  entry: LogEntry;
  entryHash: Bytes;
  change: LogChange;
  /** The entry makes a new link secret (removal, link change, add under a single-use policy). */
  linkReset: boolean;
}

/** @internal The effect of an action on the state, before hashes and signature. */
export interface ActionPlan {
  members: RosterMember[];
  removed: string[];
  timerSeconds: number;
  link: LinkPolicy;
  linkReset: boolean;
  change: LogChange;
  membershipHash: Bytes;
}

/** The member with this identity id (bytes or base64url), if any. */
export function findMember(state: LogState, id: Uint8Array | string): RosterMember | undefined {
  const key = typeof id === 'string' ? id : toBase64Url(id);
  return state.members.find((m) => m.id === key);
}

/** Whether a knock arriving at `now` (ms) finds the link expired. */
export function linkExpired(state: LogState, now: number): boolean {
  return state.link.expiresAt !== 0 && now >= state.link.expiresAt;
}

function idBytes(id: string): Bytes {
  const raw = fromBase64Url(id);
  if (raw === undefined || raw.length !== IDENTITY_ID_BYTES) throw new RangeError(`corrupt log state: id ${id}`);
  return raw;
}

function sortMembers(members: RosterMember[]): RosterMember[] {
  return members.sort((a, b) => compareBytes(idBytes(a.id), idBytes(b.id)));
}

function hashOf(members: readonly RosterMember[]): Promise<Bytes> {
  return membershipHash(members.map((m) => ({ id: idBytes(m.id), role: m.role })));
}

/** Who may author: the role checks of the action table. Undefined = allowed. */
function authorityProblem(state: LogState, author: RosterMember, action: LogAction): string | undefined {
  const admin = author.role === 'admin';
  switch (action.kind) {
    case 'add':
      return (action.via === 0x02 || state.link.approval) && !admin ? 'add needs an admin under approval' : undefined;
    case 'remove':
      return action.proposal === undefined && !admin ? 'removal needs an admin or a leave proposal' : undefined;
    case 'role':
    case 'link':
      return admin ? undefined : `${action.kind} needs an admin`;
    case 'settings':
    case 'genesis':
      return undefined;
  }
}

/**
 * @internal Steps "author is a member" (`NOT_MEMBER`) → "author allowed" (`NOT_ALLOWED`) →
 * "body valid against the state" (`BAD_ACTION`) for entry `epoch` on `state`, and the roster
 * and settings that result.
 */
export async function planAction(state: LogState, authorId: Uint8Array, action: LogAction, epoch: number): Promise<Result<ActionPlan, LogErrorCode>> {
  const author = findMember(state, authorId);
  if (author === undefined) return fail('NOT_MEMBER');
  const problem = authorityProblem(state, author, action);
  if (problem !== undefined) return fail('NOT_ALLOWED', problem);
  const by = author.id;
  let members = state.members.slice();
  let removed = state.removed;
  let { timerSeconds, link } = state;
  let linkReset = false;
  let change: LogChange;
  const bad = (detail: string) => fail('BAD_ACTION', detail);
  switch (action.kind) {
    case 'genesis':
      return bad('a genesis is only entry 0');
    case 'add': {
      const via = viaOf(action.via);
      if (via === undefined) return bad('unknown via');
      const imported = await importPublicIdentity(action.identity);
      if (!imported.ok) return bad(`identity: ${imported.code}`);
      const id = toBase64Url(imported.identity.id);
      if (findMember(state, id) !== undefined) return bad('already a member');
      // A removed identity comes back only by an admin's deliberate add, never by the link.
      if (state.removed.includes(id) && !(via === 'member' && author.role === 'admin')) return bad('in the removal record');
      if (members.length >= MAX_ROSTER_MEMBERS) return bad('roster full');
      // The creator is an admin from genesis and stays one, also after leaving and coming back.
      members.push({ id, identity: publicIdentityToJson(imported.identity), role: id === state.creator ? 'admin' : 'member', joinedAt: epoch });
      members = sortMembers(members);
      linkReset = state.link.singleUse;
      change = { kind: 'add', by, member: id, via };
      break;
    }
    case 'remove': {
      const target = findMember(state, action.target);
      if (target === undefined) return bad('target not a member');
      // The author of a commit knows the next epoch secret: it can never be the one removed.
      if (target.id === by) return bad('target is the author');
      if (action.proposal === undefined) {
        if (target.id === state.creator) return bad('the creator cannot be removed');
      } else {
        const proposal = decodeLeaveProposal(action.proposal);
        const proposalEpoch = proposal?.epoch;
        if (proposal === undefined || proposalEpoch === undefined) return bad('leave proposal structure');
        if (proposalEpoch > state.epoch || proposalEpoch < target.joinedAt) return bad('leave proposal epoch');
        const record = state.epochs[proposalEpoch];
        if (record === undefined) return bad('leave proposal epoch');
        const context = await groupContext(idBytes(state.roomId), proposalEpoch, fromBase64Url(record.head)!, fromBase64Url(record.membershipHash)!);
        if (!(await verifyLeaveProposal(await rosterIdentity(target), proposal, context))) return bad('leave proposal signature');
      }
      members = members.filter((m) => m.id !== target.id);
      if (action.proposal === undefined && !removed.includes(target.id)) removed = [...removed, target.id];
      linkReset = true;
      change = { kind: 'remove', by, member: target.id, left: action.proposal !== undefined };
      break;
    }
    case 'role': {
      const target = findMember(state, action.target);
      const role = roleOf(action.role);
      if (target === undefined) return bad('target not a member');
      if (target.id === state.creator) return bad("the creator's role cannot change");
      if (role === undefined) return bad('unknown role');
      members = members.map((m) => (m.id === target.id ? { ...m, role } : m));
      change = { kind: 'role', by, member: target.id, role };
      break;
    }
    case 'settings':
      if (!timerOk(action.timerSeconds)) return bad('timer out of range');
      timerSeconds = action.timerSeconds;
      change = { kind: 'settings', by, timerSeconds };
      break;
    case 'link': {
      const policy = linkPolicyOf(action.flags, action.expiresAt);
      if (policy === undefined) return bad('link policy');
      link = policy;
      linkReset = true;
      change = { kind: 'link', by, policy };
      break;
    }
  }
  return { ok: true, members, removed, timerSeconds, link, linkReset, change, membershipHash: await hashOf(members) };
}

/** Rethrows caller errors (corrupt trusted state); anything untrusted is already a code. */
async function guarded<T extends object>(run: () => Promise<Result<T, LogErrorCode>>): Promise<Result<T, LogErrorCode>> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RangeError) throw error;
    return fail('BAD_ACTION', 'unexpected');
  }
}

/**
 * Verifies a genesis entry and returns the state at epoch 0. Checks, in order: structure
 * (`BAD_VERSION`, `BAD_LENGTH`) → a genesis: action 0, epoch 0, zero room id, prev and
 * secrets hash, valid creator identity, room name, timer and link policy (`BAD_ACTION`) →
 * author = the creator's identity id (`NOT_ALLOWED`) → membership hash of {creator: admin}
 * (`BAD_MEMBERSHIP`) → signature length and signature (`BAD_LENGTH`, `BAD_SIGNATURE`) → its
 * hash is the expected room id (`WRONG_ROOM`). Never throws on untrusted input.
 */
export function genesisState(genesis: Uint8Array, expectedRoomId: Uint8Array): Promise<Result<AppliedEntry, LogErrorCode>> {
  return guarded(async () => {
    const decoded = decodeEntry(genesis);
    if (!decoded.ok) return decoded;
    const entry = decoded.entry;
    const action = entry.action;
    if (action.kind !== 'genesis') return fail('BAD_ACTION', 'entry 0 is not a genesis');
    if (entry.epoch !== 0 || !equalBytes(entry.prev, ZERO_HASH) || !equalBytes(entry.roomId, ZERO_HASH) || !equalBytes(entry.secretsHash, ZERO_HASH)) {
      return fail('BAD_ACTION', 'genesis fields');
    }
    const creator = await importPublicIdentity(action.creator);
    if (!creator.ok) return fail('BAD_ACTION', `creator: ${creator.code}`);
    const name = decodeRoomName(action.name);
    const link = linkPolicyOf(action.linkFlags, action.linkExpiresAt);
    if (name === undefined || !timerOk(action.timerSeconds) || link === undefined) return fail('BAD_ACTION', 'genesis settings');
    if (!equalBytes(entry.author, creator.identity.id)) return fail('NOT_ALLOWED', 'author is not the creator');
    const hash = await membershipHash([{ id: creator.identity.id, role: 'admin' }]);
    if (!equalBytes(entry.membershipHash, hash)) return fail('BAD_MEMBERSHIP');
    if (entry.signature.length !== creator.identity.signatureBytes) return fail('BAD_LENGTH', 'signature');
    if (!(await verifyEntrySignature(creator.identity, entry))) return fail('BAD_SIGNATURE');
    const roomId = await roomIdOf(entry.bytes);
    if (!equalBytes(roomId, expectedRoomId)) return fail('WRONG_ROOM', 'genesis does not hash to the room id');
    const head = await entryHash(entry.bytes);
    const creatorId = toBase64Url(creator.identity.id);
    const state: LogState = {
      v: 2,
      roomId: toBase64Url(roomId),
      epoch: 0,
      creator: creatorId,
      name,
      timerSeconds: action.timerSeconds,
      link,
      linkEpoch: 0,
      members: [{ id: creatorId, identity: publicIdentityToJson(creator.identity), role: 'admin', joinedAt: 0 }],
      removed: [],
      epochs: [{ head: toBase64Url(head), membershipHash: toBase64Url(hash) }],
    };
    return { ok: true, state, entry, entryHash: head, change: { kind: 'genesis', by: creatorId }, linkReset: false };
  });
}

/**
 * Verifies entry k = state.epoch + 1 against the state at epoch k − 1 and returns the state
 * at epoch k. Checks, in order (first failure wins): version (`BAD_VERSION`) → structure
 * (`BAD_LENGTH`; unknown action `BAD_ACTION`) → room id (`WRONG_ROOM`) → epoch
 * (`STALE_COMMIT` if ≤ current, `FUTURE_COMMIT` if beyond the next) → prev = current head
 * (`STALE_COMMIT`) → author is a member (`NOT_MEMBER`) → author allowed (`NOT_ALLOWED`) →
 * body valid against the state (`BAD_ACTION`) → membership hash of the resulting roster
 * (`BAD_MEMBERSHIP`) → signature length (`BAD_LENGTH`) → signature (`BAD_SIGNATURE`).
 * The secrets part is openCommit's business. Never throws on untrusted input.
 */
export function applyEntry(state: LogState, entryBytes: Uint8Array): Promise<Result<AppliedEntry, LogErrorCode>> {
  return guarded(async () => {
    const decoded = decodeEntry(entryBytes);
    if (!decoded.ok) return decoded;
    const entry = decoded.entry;
    if (!equalBytes(entry.roomId, idBytes(state.roomId))) return fail('WRONG_ROOM');
    if (entry.epoch <= state.epoch) return fail('STALE_COMMIT', `epoch ${entry.epoch} at ${state.epoch}`);
    if (entry.epoch > state.epoch + 1) return fail('FUTURE_COMMIT', `epoch ${entry.epoch} at ${state.epoch}`);
    const current = state.epochs[state.epoch];
    if (current === undefined) throw new RangeError('corrupt log state: epochs');
    if (!equalBytes(entry.prev, idBytes(current.head))) return fail('STALE_COMMIT', 'prev is not the current head');
    const plan = await planAction(state, entry.author, entry.action, entry.epoch);
    if (!plan.ok) return plan;
    if (!equalBytes(entry.membershipHash, plan.membershipHash)) return fail('BAD_MEMBERSHIP');
    const author = await rosterIdentity(findMember(state, entry.author)!);
    if (entry.signature.length !== author.signatureBytes) return fail('BAD_LENGTH', 'signature');
    if (!(await verifyEntrySignature(author, entry))) return fail('BAD_SIGNATURE');
    const head = await entryHash(entry.bytes);
    const next: LogState = {
      ...state,
      epoch: entry.epoch,
      timerSeconds: plan.timerSeconds,
      link: plan.link,
      linkEpoch: plan.linkReset ? entry.epoch : state.linkEpoch,
      members: plan.members,
      removed: plan.removed,
      epochs: [...state.epochs, { head: toBase64Url(head), membershipHash: toBase64Url(plan.membershipHash) }],
    };
    return { ok: true, state: next, entry, entryHash: head, change: plan.change, linkReset: plan.linkReset };
  });
}

/**
 * Verifies a whole log (a snapshot from a member) from its genesis, which must hash to
 * `expectedRoomId`, and returns the state after the last entry and that entry. A failure's `detail` names
 * the entry index. Never throws on untrusted input.
 */
export async function verifyLog(
  entries: readonly Uint8Array[],
  expectedRoomId: Uint8Array,
): Promise<Result<{ state: LogState; last: LogEntry }, LogErrorCode>> {
  const [genesis, ...rest] = entries;
  if (genesis === undefined) return fail('BAD_LENGTH', 'empty log');
  const first = await genesisState(genesis, expectedRoomId);
  if (!first.ok) return fail(first.code, `entry 0${first.detail === undefined ? '' : `: ${first.detail}`}`);
  let state = first.state;
  let last = first.entry;
  for (const [index, entry] of rest.entries()) {
    const applied = await applyEntry(state, entry);
    if (!applied.ok) return fail(applied.code, `entry ${index + 1}${applied.detail === undefined ? '' : `: ${applied.detail}`}`);
    state = applied.state;
    last = applied.entry;
  }
  return { ok: true, state, last };
}
