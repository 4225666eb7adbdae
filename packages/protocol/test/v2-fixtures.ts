/**
 * Fixtures of the v2 tests: identities from a pre-generated pool (test keys; RSA-3072 key
 * generation would cost about two seconds per identity per test file), and a simulated room
 * whose members each hold their own copy of the log state and receive the same commits.
 */
import { readFileSync } from 'node:fs';
import {
  createCommit,
  createRoom,
  deriveLobbyKeys,
  importPublicIdentityJson,
  openCommit,
  openKnock,
  openWelcome,
  sealKnock,
  sealWelcome,
  type CommitAction,
  type CreatedCommit,
  type EpochKeys,
  type LinkPolicy,
  type LocalIdentity,
  type LogState,
  type OpenedCommit,
} from '../src/index.js';
import { importPrivateKeys } from '../src/identity.js';
import { fromBase64Url } from '../src/bytes.js';

interface PoolIdentity {
  displayName: string;
  encryptionSpki: string;
  signingSpki: string;
  encryptionPkcs8: string;
  signingPkcs8: string;
}

const pool = (JSON.parse(readFileSync(new URL('./fixtures/identities.json', import.meta.url), 'utf8')) as { identities: PoolIdentity[] }).identities;

export const b64 = (text: string): Uint8Array => {
  const out = fromBase64Url(text);
  if (out === undefined) throw new Error('bad base64url in fixtures');
  return out;
};

/** Local identities from the pool, in pool order: Alice, Bob, Carol, Dave, Erin, Frank, Grace, Mallory. */
export async function loadIdentities(count: number): Promise<LocalIdentity[]> {
  if (count > pool.length) throw new Error(`the pool has ${pool.length} identities`);
  return Promise.all(
    pool.slice(0, count).map(async (p) => {
      const imported = await importPublicIdentityJson({ v: 1, displayName: p.displayName, encryptionSpki: p.encryptionSpki, signingSpki: p.signingSpki });
      if (!imported.ok) throw new Error(imported.code);
      return { public: imported.identity, ...(await importPrivateKeys(b64(p.encryptionPkcs8), b64(p.signingPkcs8))) };
    }),
  );
}

/** Copy with one byte XOR-ed. */
export function flip(data: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const out = data.slice();
  const at = index < 0 ? out.length + index : index;
  out[at] = (out[at] ?? 0) ^ mask;
  return out;
}

export const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
export const dec = (data: Uint8Array): string => new TextDecoder().decode(data);

/** One member's view of the room. */
export interface SimMember {
  me: LocalIdentity;
  state: LogState;
  keys: EpochKeys;
  epochSecret: Uint8Array;
  linkSecret: Uint8Array;
  entries: Uint8Array[];
  secrets?: Uint8Array;
}

/** A room in which every member applies every commit itself. */
export class SimRoom {
  readonly members = new Map<string, SimMember>();
  /** Every commit envelope published, with the epoch room it was sealed for. */
  readonly published: Array<{ epoch: number; envelope: Uint8Array }> = [];
  /** Members removed, with the keys they held last. */
  readonly gone = new Map<string, SimMember>();

  static async create(creator: LocalIdentity, options: { name?: string; timerSeconds?: number; linkPolicy?: LinkPolicy } = {}): Promise<SimRoom> {
    const created = await createRoom({ me: creator, name: options.name ?? 'Test room', ...options });
    const room = new SimRoom(created.roomId);
    room.members.set(creator.public.displayName, {
      me: creator,
      state: created.state,
      keys: created.epochKeys,
      epochSecret: created.epochSecret,
      linkSecret: created.linkSecret,
      entries: [created.genesis],
    });
    return room;
  }

  private constructor(readonly roomId: Uint8Array) {}

  member(name: string): SimMember {
    const m = this.members.get(name);
    if (m === undefined) throw new Error(`${name} is not a member`);
    return m;
  }

  /** `author` commits `action`; every member opens it. Throws when any step refuses. */
  async commit(authorName: string, action: CommitAction): Promise<CreatedCommit> {
    const author = this.member(authorName);
    const created = await createCommit({ me: author.me, state: author.state, epochKeys: author.keys, linkSecret: author.linkSecret, action });
    if (!created.ok) throw new Error(`${authorName} cannot commit ${action.kind}: ${created.code}`);
    await this.deliver(created.envelope);
    return created;
  }

  /** Every member (the author too: it opens its own commit like anyone) opens `envelope` as the next commit. */
  async deliver(envelope: Uint8Array): Promise<Map<string, OpenedCommit>> {
    const epoch = [...this.members.values()][0]!.state.epoch;
    this.published.push({ epoch, envelope });
    const results = new Map<string, OpenedCommit>();
    for (const [name, m] of [...this.members]) {
      const opened = await openCommit({ me: m.me, state: m.state, epochKeys: m.keys, linkSecret: m.linkSecret, envelope });
      if (!opened.ok) throw new Error(`${name} refused a commit: ${opened.code} ${opened.detail ?? ''}`);
      results.set(name, opened);
      this.advance(name, opened);
    }
    return results;
  }

  /** Applies an opened (or own) commit to a member's view. */
  advance(name: string, c: OpenedCommit | CreatedCommit): void {
    const m = this.member(name);
    if ('removedMe' in c && c.removedMe) {
      this.gone.set(name, m);
      this.members.delete(name);
      return;
    }
    const next = c as CreatedCommit;
    this.members.set(name, {
      ...m,
      state: next.state,
      keys: next.epochKeys,
      epochSecret: next.epochSecret,
      linkSecret: next.linkSecret,
      entries: [...m.entries, next.entry],
      secrets: next.secrets,
    });
  }

  /** `adderName` adds `person` (knock in the lobby, add commit, welcome). */
  async admit(adderName: string, person: LocalIdentity, via: 'member' | 'link' | 'knock' = 'member'): Promise<void> {
    const lobbyKeys = await deriveLobbyKeys(this.member(adderName).linkSecret);
    const knock = await sealKnock({ lobbyKeys, me: person });
    const opened = await openKnock({ lobbyKeys, envelope: knock.envelope });
    if (!opened.ok) throw new Error(`knock refused: ${opened.code}`);
    await this.commit(adderName, { kind: 'add', identity: opened.identity, via });
    const adder = this.member(adderName);
    const welcome = await sealWelcome({
      lobbyKeys,
      me: adder.me,
      knockId: knock.knockId,
      knocker: opened.identity,
      state: adder.state,
      entries: adder.entries,
      secrets: adder.secrets!,
      epochSecret: adder.epochSecret,
      linkSecret: adder.linkSecret,
    });
    const joined = await openWelcome({ lobbyKeys, me: person, knockId: knock.knockId, roomId: this.roomId, envelope: welcome.envelope });
    if (!joined.ok) throw new Error(`welcome refused: ${joined.code} ${joined.detail ?? ''}`);
    const w = joined;
    this.members.set(person.public.displayName, {
      me: person,
      state: w.state,
      keys: w.epochKeys,
      epochSecret: w.epochSecret,
      linkSecret: w.linkSecret,
      entries: w.entries,
      secrets: w.secrets,
    });
  }
}
