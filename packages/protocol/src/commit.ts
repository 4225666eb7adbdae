/**
 * Commits (PROTOCOL.md B.9): a signed log entry that ends epoch n and starts epoch n + 1,
 * with its secrets part, sealed as inner type 0x01 in epoch n's relay room:
 *
 *   inner = u8(0x01) ‖ vec32(entry) ‖ vec32(secrets)
 *
 * Every commit makes a fresh epoch secret; removals, link changes and adds under a
 * single-use policy also make a fresh link secret, otherwise the link secret carries over.
 * Receivers enforce both: a removal that keeps the old link is refused.
 */
import { ADD_VIA, INNER_TYPE, LINK_SECRET_BYTES, ROLE, type AddVia, type Role } from './constants-v2.js';
import { concat, equalBytes, fromBase64Url, toBase64Url, u32, u8, type Bytes } from './bytes.js';
import { createEpochSecret, createLinkSecret, epochKeyMaterial, membershipHash, type EpochKeys } from './epoch-keys.js';
import { fail, type CommitErrorCode, type LogErrorCode, type Result } from './errors.js';
import { encodePublicIdentity, type LocalIdentity, type PublicIdentity } from './identity.js';
import { linkFlags, type LinkPolicy, type LogAction } from './log-actions.js';
import { signEntry } from './log-entry.js';
import { applyEntry, findMember, planAction, type AppliedEntry, type LogChange, type LogState } from './log-state.js';
import { rosterIdentity } from './roster.js';
import { openSecrets, sealSecrets } from './secrets.js';
import { neverThrows, openAs, sealInner, type SealedPeek } from './sealed.js';
import { importAesKey, sha256 } from './webcrypto.js';

/** A membership or settings change, as the client asks for it. Members are named by identity id. */
export type CommitAction =
  | { kind: 'add'; identity: PublicIdentity; via: AddVia }
  | { kind: 'remove'; member: Uint8Array; leaveProposal?: Uint8Array }
  | { kind: 'role'; member: Uint8Array; role: Role }
  | { kind: 'settings'; timerSeconds: number }
  | { kind: 'link'; policy: LinkPolicy };

/** What a commit gives its author: publish `envelope` in epoch n's relay room (pinned). */
export interface CreatedCommit {
  envelope: Uint8Array;
  /** The entry (append it to the log once the commit is confirmed) and its hash. */
  entry: Uint8Array;
  entryHash: Uint8Array;
  /** The secrets part: keep the latest one, a welcome needs it. */
  secrets: Uint8Array;
  /** State, secrets and keys of epoch n + 1. */
  state: LogState;
  change: LogChange;
  linkReset: boolean;
  epochSecret: Uint8Array;
  linkSecret: Uint8Array;
  epochKeys: EpochKeys;
}

/** What opening a commit gives a member: the new epoch, or the news that I was removed. */
export type OpenedCommit = {
  entry: Uint8Array;
  entryHash: Uint8Array;
  secrets: Uint8Array;
  state: LogState;
  change: LogChange;
  linkReset: boolean;
} & ({ removedMe: true } | { removedMe: false; epochSecret: Uint8Array; linkSecret: Uint8Array; epochKeys: EpochKeys });

/** @internal The wire form of a commit action. */
export function toLogAction(action: CommitAction): LogAction {
  switch (action.kind) {
    case 'add':
      return { kind: 'add', identity: encodePublicIdentity(action.identity), via: ADD_VIA[action.via] };
    case 'remove':
      return { kind: 'remove', target: action.member as Bytes, proposal: action.leaveProposal as Bytes | undefined };
    case 'role':
      return { kind: 'role', target: action.member as Bytes, role: ROLE[action.role] };
    case 'settings':
      return { kind: 'settings', timerSeconds: action.timerSeconds };
    case 'link':
      return { kind: 'link', flags: linkFlags(action.policy), expiresAt: action.policy.expiresAt };
  }
}

/**
 * @internal Deliberate misbehaviour for adversarial tests: builds and signs a commit without
 * the author-side checks. Never exported from the package.
 */
export interface DangerousCommitTamper {
  epoch?: number;
  prev?: Uint8Array;
  roomId?: Uint8Array;
  membershipHash?: Uint8Array;
  /** Who gets a share (default: the roster the action would produce). */
  recipients?: (roster: PublicIdentity[]) => PublicIdentity[];
  /** Applied to the secrets part before the entry commits to its hash (a consistent lie). */
  secretsBeforeSigning?: (secrets: Uint8Array) => Uint8Array;
  /** Applied to the secrets part after the entry committed to its hash. */
  secretsAfterSigning?: (secrets: Uint8Array) => Uint8Array;
  /** Applied to the signed entry. */
  entryAfterSigning?: (entry: Uint8Array) => Uint8Array;
  /** The link secret to seal (default: per the reset rule). */
  linkSecret?: Uint8Array;
}

/**
 * The roster an action produces. For an author who is not allowed (only adversarial tests
 * build such commits; createCommit refuses them first) it is computed as if the author
 * were an admin, keeping the author's real role.
 */
async function rosterAfter(
  state: LogState,
  author: Uint8Array,
  action: LogAction,
  epoch: number,
): Promise<{ members: LogState['members']; membershipHash: Uint8Array; linkReset: boolean } | undefined> {
  const plan = await planAction(state, author, action, epoch);
  if (plan.ok) return plan;
  const me = findMember(state, author);
  if (plan.code !== 'NOT_ALLOWED' || me === undefined) return undefined;
  const privileged = await planAction(
    { ...state, members: state.members.map((m) => (m.id === me.id ? { ...m, role: 'admin' as const } : m)) },
    author,
    action,
    epoch,
  );
  if (!privileged.ok) return undefined;
  const members = privileged.members.map((m) => (m.id === me.id ? { ...m, role: me.role } : m));
  return { members, membershipHash: await membershipHash(members.map((m) => ({ id: fromBase64Url(m.id)!, role: m.role }))), linkReset: privileged.linkReset };
}

async function buildCommit(options: {
  me: LocalIdentity;
  state: LogState;
  epochKeys: EpochKeys;
  linkSecret: Uint8Array;
  action: LogAction;
  tamper?: DangerousCommitTamper;
}): Promise<{ envelope: Bytes; entry: Bytes; secrets: Bytes; epochSecret: Bytes; linkSecret: Uint8Array }> {
  const { me, state, epochKeys, action, tamper = {} } = options;
  if (epochKeys.epoch !== state.epoch || toBase64Url(epochKeys.roomId) !== state.roomId) throw new RangeError('epoch keys are not of the state');
  if (options.linkSecret.length !== LINK_SECRET_BYTES) throw new RangeError('link secret must be 32 bytes');
  const epoch = tamper.epoch ?? state.epoch + 1;
  const plan = await rosterAfter(state, me.public.id, action, epoch);
  const roster = await Promise.all((plan?.members ?? state.members).map(rosterIdentity));
  const recipients = tamper.recipients?.(roster) ?? roster;
  const linkSecret = tamper.linkSecret ?? (plan?.linkReset === true ? createLinkSecret() : options.linkSecret);
  const epochSecret = createEpochSecret() as Bytes;
  const roomId = fromBase64Url(state.roomId)!;
  // The link-wrap key depends only on the room, the epoch and its secret, not on the entry.
  const linkWrapKey = await importAesKey((await epochKeyMaterial(roomId, epoch, epochSecret)).linkWrapKey);
  let secrets = await sealSecrets({ roomId, epoch, epochSecret, linkSecret, recipients, linkWrapKey });
  if (tamper.secretsBeforeSigning !== undefined) secrets = tamper.secretsBeforeSigning(secrets) as Bytes;
  const membershipHash = tamper.membershipHash ?? plan?.membershipHash ?? fromBase64Url(state.epochs[state.epoch]!.membershipHash)!;
  let entry = await signEntry(me, {
    roomId: tamper.roomId ?? roomId,
    epoch,
    prev: tamper.prev ?? fromBase64Url(state.epochs[state.epoch]!.head)!,
    author: me.public.id,
    action,
    membershipHash,
    secretsHash: await sha256(secrets),
  });
  if (tamper.secretsAfterSigning !== undefined) secrets = tamper.secretsAfterSigning(secrets) as Bytes;
  if (tamper.entryAfterSigning !== undefined) entry = tamper.entryAfterSigning(entry) as Bytes;
  const inner = concat(u8(INNER_TYPE.commit), u32(entry.length), entry, u32(secrets.length), secrets);
  return { envelope: await sealInner(epochKeys, inner), entry, secrets, epochSecret, linkSecret };
}

/** @internal {@link buildCommit} without any check, for adversarial tests only. */
export function dangerouslyBuildCommitForTests(options: Parameters<typeof buildCommit>[0]) {
  return buildCommit(options);
}

/**
 * Creates a commit that applies `action` to the state at epoch n, as `me`. Refuses exactly
 * what every receiver would refuse (`NOT_MEMBER`, `NOT_ALLOWED`, `BAD_ACTION`), so nothing
 * invalid leaves. `epochKeys` are epoch n's (the commit is sealed in `R_n`); `linkSecret` is
 * the current link secret. Throws `RangeError` on keys of another epoch.
 */
export async function createCommit(options: {
  me: LocalIdentity;
  state: LogState;
  epochKeys: EpochKeys;
  linkSecret: Uint8Array;
  action: CommitAction;
}): Promise<Result<CreatedCommit, LogErrorCode>> {
  const { me, state } = options;
  const action = toLogAction(options.action);
  const plan = await planAction(state, me.public.id, action, state.epoch + 1);
  if (!plan.ok) return plan;
  const built = await buildCommit({ ...options, action });
  const applied = await applyEntry(state, built.entry);
  if (!applied.ok) throw new Error(`own commit refused: ${applied.code}`);
  const opened = await openSecrets(me, applied.state, built.secrets, applied.entry.secretsHash);
  if (!opened.ok || opened.removedMe) throw new Error('own commit secrets do not open');
  return {
    ok: true,
    ...commitView(built.entry, built.secrets, applied),
    epochSecret: opened.epochSecret,
    linkSecret: opened.linkSecret,
    epochKeys: opened.epochKeys,
    envelope: built.envelope,
  };
}

function commitView(entry: Uint8Array, secrets: Uint8Array, applied: AppliedEntry) {
  return { entry, entryHash: applied.entryHash, secrets, state: applied.state, change: applied.change, linkReset: applied.linkReset };
}

/**
 * Opens a commit found in epoch n's relay room. Checks, in order: outer layer and inner
 * structure (`BAD_LENGTH`, `BAD_VERSION`, `BAD_TYPE`, `BAD_TAG`, `WRONG_TYPE`) → the entry
 * against the state at epoch n (every check of {@link applyEntry}, in its order) → the
 * secrets part (`BAD_SECRETS`, `BAD_LENGTH`, `BAD_KEY`, `BAD_TAG`; see openSecrets) → the
 * link-reset rule: a fresh link secret exactly when the action demands one (`BAD_SECRETS`).
 * When the commit removes me it succeeds with `removedMe: true` (no keys). Never throws.
 */
export function openCommit(options: {
  me: LocalIdentity;
  state: LogState;
  epochKeys: EpochKeys;
  /** The current link secret, to check that the commit reset it or kept it as it must. */
  linkSecret: Uint8Array;
  envelope: Uint8Array | SealedPeek;
}): Promise<Result<OpenedCommit, CommitErrorCode>> {
  return neverThrows(async () => {
    const { me, state, epochKeys } = options;
    const opened = await openAs(epochKeys, options.envelope, 'commit');
    if (!opened.ok) return opened;
    const { entry, secrets } = opened.decoded;
    const applied = await applyEntry(state, entry!);
    if (!applied.ok) return applied;
    const view = commitView(entry!, secrets!, applied);
    const keys = await openSecrets(me, applied.state, secrets!, applied.entry.secretsHash);
    if (!keys.ok) return keys;
    if (keys.removedMe) return { ok: true, ...view, removedMe: true };
    // A removal that keeps the old link would let the removed member knock again with a
    // fresh identity; a reset nobody asked for would break everyone's shared link.
    if (equalBytes(keys.linkSecret, options.linkSecret) === applied.linkReset)
      return fail('BAD_SECRETS', applied.linkReset ? 'link not reset' : 'link reset without reason');
    return { ok: true, ...view, removedMe: false, epochSecret: keys.epochSecret, linkSecret: keys.linkSecret, epochKeys: keys.epochKeys };
  });
}
