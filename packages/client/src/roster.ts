/**
 * Who is in a room (PROTOCOL C.4): the members whose announcements verified, by identity id
 * and by room-scoped member id. Trust on first use, per room and never merged: a second
 * identity under a name already in the room is added as a separate member and flagged, and
 * so is a new identity under the name of a verified member who left. Removals bind for good.
 */
import { importPublicIdentityJson, publicIdentityToJson, roomMember, toBase64Url, type RoomKeys, type RoomMember } from '@sealroom/protocol';
import type { MemberRecord, RoomRecord } from './records.js';
import type { Warn } from './warnings.js';

/** A member as the room knows it: its stored record and its imported public keys. */
export interface LiveMember {
  record: MemberRecord;
  member: RoomMember;
}

/** The part of the room record the roster keeps. */
export type RosterState = Pick<RoomRecord, 'members' | 'removed' | 'formerlyVerified'>;

/** What the other parts of a room read from the roster. */
export interface RosterView {
  readonly size: number;
  get(identityId: string): LiveMember | undefined;
  has(identityId: string): boolean;
  values(): IterableIterator<LiveMember>;
  isRemoved(identityId: string): boolean;
  isDeparting(identityId: string): boolean;
}

/**
 * The form in which two display names count as the same for clash warnings. Readers do not
 * tell "Bob" from "bob" or fullwidth "Ｂｏｂ", so neither may an impostor's name slip past.
 */
function nameKey(displayName: string): string {
  return displayName.normalize('NFKC').toLowerCase();
}

export class Roster implements RosterView {
  private readonly byIdentity = new Map<string, LiveMember>();
  /** Room-scoped member id (b64) → identity id (b64). */
  private readonly byMemberId = new Map<string, string>();
  /**
   * Targets of my own removals that are published but not yet acknowledged (the roster drops
   * them on the ack). They get no sender key, and the key they hold is rotated away, already.
   */
  private readonly departing = new Set<string>();

  private constructor(
    private readonly state: RosterState,
    /** My own identity id. */
    private readonly myId: string,
    private readonly warn: Warn,
  ) {}

  /** The stored members, their public keys imported again (a member whose keys no longer import is left out). */
  static async load(state: RosterState, keys: RoomKeys, myId: string, warn: Warn): Promise<Roster> {
    const roster = new Roster(state, myId, warn);
    for (const record of state.members) {
      const imported = await importPublicIdentityJson(record.identity);
      if (!imported.ok) continue;
      roster.set({ record, member: await roomMember(keys, imported.identity) });
    }
    return roster;
  }

  get size(): number {
    return this.byIdentity.size;
  }

  get(identityId: string): LiveMember | undefined {
    return this.byIdentity.get(identityId);
  }

  has(identityId: string): boolean {
    return this.byIdentity.has(identityId);
  }

  values(): IterableIterator<LiveMember> {
    return this.byIdentity.values();
  }

  /** The member behind an envelope's header sender (a room-scoped member id, b64). */
  bySender(memberId: string): LiveMember | undefined {
    const identityId = this.byMemberId.get(memberId);
    return identityId === undefined ? undefined : this.byIdentity.get(identityId);
  }

  isRemoved(identityId: string): boolean {
    return this.state.removed.includes(identityId);
  }

  markDeparting(identityId: string): void {
    this.departing.add(identityId);
  }

  isDeparting(identityId: string): boolean {
    return this.departing.has(identityId);
  }

  /**
   * Admits the identity of a verified join announcement, trusting it on first use. Returns
   * its new record, or undefined when it is not new here: already a member, or removed by
   * the creator (warned: a removed member announced itself again).
   */
  admit(member: RoomMember, now: number): MemberRecord | undefined {
    const identity = member.identity;
    const id = toBase64Url(identity.id);
    if (this.isRemoved(id)) {
      this.warn('unknown-sender', id, 'REMOVED_MEMBER', 'a removed member announced itself again');
      return undefined;
    }
    if (this.byIdentity.has(id)) return undefined;
    const name = nameKey(identity.displayName);
    const clash = [...this.byIdentity.values()].find((m) => nameKey(m.record.identity.displayName) === name);
    // A verified member who left and "comes back" on another key is the key change the
    // warning exists for, even though nobody in the room holds the name right now.
    const verifiedBefore = this.state.formerlyVerified?.find((former) => former.id !== id && nameKey(former.name) === name);
    const record: MemberRecord = { id, memberId: toBase64Url(member.memberId), identity: publicIdentityToJson(identity), joinedAt: now, verified: false };
    this.set({ record, member });
    this.state.members.push(record);
    if (clash !== undefined) {
      // My own entry counts as verified, but someone taking my name is a clash, not a key change.
      const detail = `a new identity uses the name of an existing member (${clash.record.id})`;
      if (clash.record.verified && clash.record.id !== this.myId) this.warn('key-changed', id, 'KEY_CHANGED', detail);
      else this.warn('name-clash', id, 'NAME_CLASH', detail);
    } else if (verifiedBefore !== undefined) {
      this.warn('key-changed', id, 'KEY_CHANGED', `a new identity uses the name of a verified member who left (${verifiedBefore.id})`);
    }
    return record;
  }

  /**
   * A member left (`removedBy` null) or was removed. The removal is recorded even for someone
   * I have not met: it can reach me before (or without) their announcement, which must not
   * then let them in. Returns the member dropped, if it was in the roster.
   */
  drop(identityId: string, removedBy: string | null): LiveMember | undefined {
    this.departing.delete(identityId);
    if (removedBy !== null && !this.state.removed.includes(identityId)) this.state.removed.push(identityId);
    const live = this.byIdentity.get(identityId);
    if (live === undefined) return undefined;
    this.byIdentity.delete(identityId);
    this.byMemberId.delete(live.record.memberId);
    this.state.members = this.state.members.filter((m) => m.id !== identityId);
    if (live.record.verified && identityId !== this.myId) {
      const former = (this.state.formerlyVerified ??= []);
      if (!former.some((f) => f.id === identityId)) former.push({ id: identityId, name: live.record.identity.displayName });
    }
    return live;
  }

  /** Identity ids of the other members whose `@name` appears in the text. */
  findMentions(text: string): string[] {
    const found: string[] = [];
    for (const live of this.byIdentity.values()) {
      if (live.record.id === this.myId) continue;
      if (text.includes(`@${live.record.identity.displayName}`)) found.push(live.record.id);
    }
    return found;
  }

  private set(live: LiveMember): void {
    this.byIdentity.set(live.record.id, live);
    this.byMemberId.set(live.record.memberId, live.record.id);
  }
}
