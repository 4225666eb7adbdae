/**
 * Who is in a room and how far to trust them (PROTOCOL C.4). Membership is exactly the
 * roster of the current epoch in the log: nothing else adds or removes anyone. On top of it
 * this device keeps its own marks — verified after comparing safety numbers, names of
 * verified members who are gone — and flags names that could pass for another member's
 * (names.ts): two identities are never merged.
 */
import { fromBase64Url, shortFingerprint, type EpochMember, type RosterMember } from '@sealroom/protocol';
import type { MemberInfo, Role } from './api.js';
import { isMixedScript, namesClash } from './names.js';
import type { RoomRecord } from './records.js';
import type { RoomLog } from './room-log.js';
import type { Warn } from './warnings.js';

/** The part of the room record the roster keeps. */
export type RosterState = Pick<RoomRecord, 'verified' | 'formerlyVerified' | 'memberSince'>;

/** What the other parts of a room read from the roster. */
export interface RosterView {
  readonly size: number;
  ids(): string[];
  has(identityId: string): boolean;
  /** The member as the current epoch's envelopes name it (member id, imported keys). */
  epochMember(identityId: string): EpochMember | undefined;
  displayName(identityId: string): string | undefined;
  isAdmin(identityId: string): boolean;
  isRemoved(identityId: string): boolean;
}

export class Roster implements RosterView {
  constructor(
    private readonly log: RoomLog,
    private readonly state: RosterState,
    /** My own identity id. */
    private readonly myId: string,
    private readonly warn: Warn,
  ) {}

  private get members(): readonly RosterMember[] {
    return this.log.state?.members ?? [];
  }

  get size(): number {
    return this.members.length;
  }

  ids(): string[] {
    return this.members.map((m) => m.id);
  }

  has(identityId: string): boolean {
    return this.members.some((m) => m.id === identityId);
  }

  get(identityId: string): RosterMember | undefined {
    return this.members.find((m) => m.id === identityId);
  }

  epochMember(identityId: string): EpochMember | undefined {
    return this.log.roster?.byIdentityId.get(identityId);
  }

  displayName(identityId: string): string | undefined {
    return this.get(identityId)?.identity.displayName;
  }

  isAdmin(identityId: string): boolean {
    return this.get(identityId)?.role === 'admin';
  }

  isRemoved(identityId: string): boolean {
    return this.log.state?.removed.includes(identityId) ?? false;
  }

  isVerified(identityId: string): boolean {
    return identityId === this.myId || this.state.verified.includes(identityId);
  }

  setVerified(identityId: string, verified: boolean): void {
    this.state.verified = this.state.verified.filter((id) => id !== identityId);
    if (verified) this.state.verified.push(identityId);
  }

  /** Another current member whose name reads the same as this one's. */
  clashOf(identityId: string, name: string): RosterMember | undefined {
    return this.members.find((m) => m.id !== identityId && namesClash(m.identity.displayName, name));
  }

  /** Records when this device first saw a member (for display only). */
  markSeen(identityId: string, now: number): void {
    this.state.memberSince[identityId] ??= now;
  }

  info(member: RosterMember, online: boolean, creator: string): MemberInfo {
    const name = member.identity.displayName;
    return {
      id: member.id,
      displayName: name,
      fingerprint: shortFingerprint(fromBase64Url(member.id)!),
      isMe: member.id === this.myId,
      isCreator: member.id === creator,
      role: member.role as Role,
      verified: this.isVerified(member.id),
      online,
      joinedAt: this.state.memberSince[member.id] ?? 0,
      nameClash: this.clashOf(member.id, name) !== undefined,
      mixedScript: isMixedScript(name),
    };
  }

  /**
   * A member was added: flag its name when it reads like another member's (`name-clash`),
   * like a verified member's who is gone (`key-changed`: perhaps that person on a new key),
   * or mixes scripts (`mixed-script`). My own entry is verified, but someone taking my name
   * is a clash, not a key change.
   */
  checkNewcomer(identityId: string): void {
    if (identityId === this.myId) return;
    const name = this.displayName(identityId);
    if (name === undefined) return;
    const clash = this.clashOf(identityId, name);
    if (clash !== undefined) {
      const verified = this.isVerified(clash.id) && clash.id !== this.myId ? ' (a member you verified)' : '';
      this.warn('name-clash', identityId, 'NAME_CLASH', `a new member's name reads like ${clash.id}'s${verified}`);
    } else {
      const former = this.state.formerlyVerified.find((f) => f.id !== identityId && namesClash(f.name, name));
      if (former !== undefined)
        this.warn('key-changed', identityId, 'KEY_CHANGED', `a new identity uses the name of a verified member who is gone (${former.id})`);
    }
    if (isMixedScript(name)) this.warn('mixed-script', identityId, 'MIXED_SCRIPT', 'the name mixes scripts');
  }

  /** A member left or was removed: remember its name if I had verified it. */
  onGone(member: RosterMember): void {
    if (member.id === this.myId || !this.state.verified.includes(member.id)) return;
    if (!this.state.formerlyVerified.some((f) => f.id === member.id)) this.state.formerlyVerified.push({ id: member.id, name: member.identity.displayName });
  }

  /** Identity ids of the other members whose `@name` appears in the text. */
  findMentions(text: string): string[] {
    return this.members.filter((m) => m.id !== this.myId && text.includes(`@${m.identity.displayName}`)).map((m) => m.id);
  }
}
