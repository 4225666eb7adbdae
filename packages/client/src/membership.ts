/**
 * What membership changes look like to the user (PROTOCOL C.4, C.9): the room's summary and
 * member list, a timeline item and events for every change the log commits ("Alice removed
 * Mallory; the invite link was reset"), and the end of my membership — left or removed —
 * after which every key of the room is forgotten and only its history stays.
 */
import { toHex, type LogChange } from '@sealroom/protocol';
import { SECOND_MS } from '@sealroom/units';
import type { LinkPolicy, MemberInfo, MembershipChange, MembershipStatus, RoomSummary, SystemEvent } from './api.js';
import type { EventHub } from './events.js';
import type { FileTransfers } from './files.js';
import type { Outbox } from './outbox.js';
import type { Clock } from './platform.js';
import type { Presence } from './presence.js';
import type { RoomRecord } from './records.js';
import type { SentLog } from './resend-after-commit.js';
import type { RoomLog } from './room-log.js';
import type { RoomStatus } from './room-status.js';
import type { Roster } from './roster.js';
import type { SenderKeys } from './sender-key-rotation.js';
import type { TimelineWriter } from './timeline.js';

/** The parts the end of a membership reaches, each through the narrow face it needs. */
export interface MembershipPort {
  readonly log: RoomLog;
  readonly roster: Roster;
  readonly timeline: TimelineWriter;
  readonly presence: Pick<Presence, 'isOnline' | 'forget' | 'emit' | 'stop'>;
  readonly senderKeys: Pick<SenderKeys, 'forgetMember' | 'forgetAll'>;
  readonly outbox: Pick<Outbox, 'clear'>;
  readonly sentLog: Pick<SentLog, 'clear'>;
  readonly files: Pick<FileTransfers, 'onMemberGone' | 'stopAll'>;
  readonly status: Pick<RoomStatus, 'ready' | 'wake'>;
  readonly events: EventHub;
  readonly clock: Clock;
  /** Whether this device is catching up on membership (a commit's new epoch room, a re-welcome). */
  catchingUp(): boolean;
  pendingKnocks(): number;
  /** The room is no longer mine to take part in: its relay rooms go. */
  unbindAll(): void;
  /** The room went inactive (left or removed): the client may stop its transport. */
  onInactive(): void;
  persist(): Promise<void>;
}

/** The timer in ms from its log form in seconds (0: off). */
export function timerMs(seconds: number): number | null {
  return seconds === 0 ? null : seconds * SECOND_MS;
}

/** A link policy as the API shows it. */
export function apiPolicy(policy: { approval: boolean; singleUse: boolean; expiresAt: number }): LinkPolicy {
  return { approval: policy.approval, singleUse: policy.singleUse, expiresAt: policy.expiresAt === 0 ? null : policy.expiresAt };
}

/**
 * How a link I held is remembered once its room removed me: its SHA-256, enough to recognise
 * the link if the user opens it again (the link itself was reset by the removal).
 */
export async function linkTag(linkSecret: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', linkSecret as Uint8Array<ArrayBuffer>)));
}

export class Membership {
  constructor(
    private readonly port: MembershipPort,
    private readonly record: RoomRecord,
    /** My identity id. */
    private readonly myId: string,
  ) {}

  status(): MembershipStatus {
    switch (this.record.status) {
      case 'knocking':
        return 'knocking';
      case 'left':
        return 'left';
      case 'removed':
        return 'removed';
      case 'member':
        return this.port.catchingUp() ? 'catching-up' : 'current';
    }
  }

  /** The room as the public API shows it in a room list. */
  summary(): RoomSummary {
    const r = this.record;
    const state = this.port.log.state;
    const member = r.status === 'member' && state !== null;
    const me = member ? state.members.find((m) => m.id === this.myId) : undefined;
    const admins = (state?.members ?? []).filter((m) => m.role === 'admin').map((m) => m.id);
    if (state !== null) admins.sort((a, b) => (a === state.creator ? -1 : b === state.creator ? 1 : 0));
    return {
      id: r.id,
      name: state?.name ?? r.name,
      createdBy: state?.creator ?? '',
      disappearingMs: r.disappearingMs,
      memberCount: state?.members.length ?? 0,
      active: member,
      status: this.status(),
      myRole: me?.role ?? null,
      admins: member ? admins : [],
      linkPolicy: member ? apiPolicy(state.link) : null,
      epoch: state?.epoch ?? null,
      knockDeclined: r.knock?.declined ?? null,
      pendingKnocks: this.port.pendingKnocks(),
      joinedAt: r.joinedAt,
      lastActivityAt: r.lastActivityAt,
    };
  }

  emitRoom(): void {
    this.port.events.emit('room', { roomId: this.record.id, summary: this.summary() });
  }

  members(): MemberInfo[] {
    const state = this.port.log.state;
    // While knocking (a welcome being adopted included) nobody is a member yet, me included.
    if (state === null || this.record.status === 'knocking') return [];
    return state.members.map((m) => this.port.roster.info(m, m.id === this.myId ? this.port.status.ready : this.port.presence.isOnline(m.id), state.creator));
  }

  memberInfo(identityId: string): MemberInfo | undefined {
    return this.members().find((m) => m.id === identityId);
  }

  /**
   * A commit was applied (mine or another member's): the timeline item, the events. `before`
   * names the members as they were, so a departed member is still named. Caller holds the lock.
   */
  async onChange(change: LogChange, linkReset: boolean, epoch: number, names: ReadonlyMap<string, string>): Promise<void> {
    const { timeline, events } = this.port;
    const roomId = this.record.id;
    const at = this.port.clock.now();
    const name = (id: string) => names.get(id) ?? this.port.roster.displayName(id) ?? 'a former member';
    let api: MembershipChange | undefined;
    let item: SystemEvent | undefined;
    switch (change.kind) {
      case 'genesis':
        return;
      case 'add': {
        api = { kind: 'joined', member: change.member, name: name(change.member), by: change.by, via: change.via, linkReset };
        item = { type: 'member-joined', member: change.member, name: name(change.member), by: change.by };
        break;
      }
      case 'remove': {
        const gone = name(change.member);
        api = change.left
          ? { kind: 'left', member: change.member, name: gone, by: change.by, linkReset: true }
          : { kind: 'removed', member: change.member, name: gone, by: change.by, linkReset: true };
        item = change.left
          ? { type: 'member-left', member: change.member, name: gone, linkReset: true }
          : { type: 'member-removed', member: change.member, name: gone, by: change.by, linkReset: true };
        break;
      }
      case 'role':
        api = { kind: 'role', member: change.member, name: name(change.member), role: change.role, by: change.by };
        item = { type: 'role-changed', member: change.member, name: name(change.member), role: change.role, by: change.by };
        break;
      case 'settings': {
        const ms = timerMs(change.timerSeconds);
        api = { kind: 'timer', disappearingMs: ms, by: change.by };
        item = { type: 'timer-set', by: change.by, disappearingMs: ms };
        break;
      }
      case 'link':
        api = { kind: 'link', policy: apiPolicy(change.policy), by: change.by, linkReset: true };
        item = { type: 'link-changed', by: change.by, policy: apiPolicy(change.policy) };
        break;
    }
    await timeline.add({ kind: 'system', event: item });
    events.emit('membership', { roomId, change: api, epoch, at });
    if (change.kind === 'add') {
      const info = this.memberInfo(change.member);
      if (info !== undefined) events.emit('member-joined', { roomId, member: info });
    } else if (change.kind === 'remove') {
      const info = this.goneInfo(change.member, name(change.member));
      if (change.left) events.emit('member-left', { roomId, member: info });
      else events.emit('member-removed', { roomId, member: info, by: change.by });
    } else if (change.kind === 'role') {
      const info = this.memberInfo(change.member);
      if (info !== undefined) events.emit('member-updated', { roomId, member: info });
    }
    this.emitRoom();
    this.port.presence.emit();
  }

  /** A member that left the roster, as the events name it. */
  private goneInfo(identityId: string, displayName: string): MemberInfo {
    return {
      id: identityId,
      displayName,
      fingerprint: '',
      isMe: false,
      isCreator: false,
      role: 'member',
      verified: false,
      online: false,
      joinedAt: 0,
      nameClash: false,
      mixedScript: false,
    };
  }

  /** A commit removed me. Caller holds the lock. */
  async removedMe(by: string): Promise<void> {
    const link = this.port.log.linkSecret;
    if (link !== null) this.record.formerLinks.push(await linkTag(link));
    await this.port.timeline.add({ kind: 'system', event: { type: 'removed-me', by } });
    await this.deactivate('removed', by);
    this.port.events.emit('removed-me', { roomId: this.record.id, by });
  }

  /** My leave proposal reached the relay. Caller holds the lock. */
  async left(myName: string): Promise<void> {
    await this.port.timeline.add({ kind: 'system', event: { type: 'member-left', member: this.myId, name: myName } });
    await this.deactivate('left', null);
  }

  private async deactivate(status: 'left' | 'removed', removedBy: string | null): Promise<void> {
    const r = this.record;
    r.status = status;
    r.removedBy = removedBy;
    r.epochRoom = null;
    r.previousRoom = null;
    r.lobbies = [];
    r.knock = null;
    r.pendingKnocks = [];
    r.pendingLeaves = [];
    r.commitIntents = [];
    this.port.log.forgetSecrets();
    this.port.senderKeys.forgetAll();
    // Presence ends; expiry does not: disappearing messages go on the timer also when I left.
    this.port.presence.stop();
    await this.port.outbox.clear();
    this.port.sentLog.clear();
    this.port.files.stopAll('ROOM_INACTIVE');
    this.port.unbindAll();
    await this.port.log.persist();
    await this.port.persist();
    this.port.status.wake();
    this.port.onInactive();
    this.emitRoom();
  }
}
