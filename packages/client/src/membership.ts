/**
 * What membership changes do to a room (PROTOCOL C.4, C.5, C.10): a member admitted, a
 * member gone (left or removed), me removed or leaving, and the room's timer set — each
 * shown in the timeline, announced as events, and followed through by the parts it
 * concerns (sender keys rotate, presence forgets, transfers end, the outbox empties).
 */
import { fromBase64Url, shortFingerprint, toBase64Url, type ControlAction } from '@sealroom/protocol';
import type { MemberInfo, RoomSummary } from './api.js';
import type { EventHub } from './events.js';
import type { FileTransfers } from './files.js';
import type { Outbox } from './outbox.js';
import type { Presence } from './presence.js';
import type { ControlIntent, MemberRecord, RoomRecord } from './records.js';
import type { RoomStatus } from './room-status.js';
import type { Roster } from './roster.js';
import type { SenderKeys } from './sender-key-rotation.js';
import type { TimelineWriter } from './timeline.js';
import { SECOND_MS } from '@sealroom/units';

/** Milliseconds per second, for the disappearing timer's wire unit (seconds). */

/** The part of the room record membership changes. */
export type MembershipState = Pick<
  RoomRecord,
  'id' | 'name' | 'creatorId' | 'active' | 'removedBy' | 'disappearingMs' | 'joinCursor' | 'joinedAt' | 'lastActivityAt'
>;

/** The parts a membership change reaches, each through the narrow face it needs. */
export interface MembershipPort {
  readonly roster: Pick<Roster, 'drop' | 'size'>;
  readonly timeline: TimelineWriter;
  readonly presence: Pick<Presence, 'isOnline' | 'forget' | 'emit' | 'stop'>;
  readonly senderKeys: Pick<SenderKeys, 'forgetMember' | 'forgetAll'>;
  readonly outbox: Pick<Outbox, 'queueLocked' | 'clear'>;
  readonly files: Pick<FileTransfers, 'onMemberGone' | 'stopAll'>;
  readonly status: Pick<RoomStatus, 'ready' | 'wake'>;
  readonly events: EventHub;
  /** Tells the relay I leave the room. */
  leaveRelayRoom(): void;
  /** The room went inactive (left or removed): the client may stop its transport. */
  onInactive(): void;
}

export class Membership {
  constructor(
    private readonly port: MembershipPort,
    private readonly state: MembershipState,
    /** My identity id and display name. */
    private readonly me: { id: string; name: string },
  ) {}

  /** The room as the public API shows it in a room list. */
  summary(): RoomSummary {
    const r = this.state;
    return {
      id: r.id,
      name: r.name,
      createdBy: r.creatorId,
      disappearingMs: r.disappearingMs,
      memberCount: this.port.roster.size,
      active: r.active,
      joinedAt: r.joinedAt,
      lastActivityAt: r.lastActivityAt,
    };
  }

  /** Announces the room's summary (member count, timer, active). */
  emitRoom(): void {
    this.port.events.emit('room', { roomId: this.state.id, summary: this.summary() });
  }

  /** A member as the public API shows it. */
  memberInfo(record: MemberRecord): MemberInfo {
    const isMe = record.id === this.me.id;
    return {
      id: record.id,
      displayName: record.identity.displayName,
      fingerprint: shortFingerprint(fromBase64Url(record.id)!),
      isMe,
      isCreator: record.id === this.state.creatorId,
      verified: record.verified,
      online: isMe ? this.port.status.ready : this.port.presence.isOnline(record.id),
      joinedAt: record.joinedAt,
    };
  }

  /** The roster admitted a member whose announcement arrived at `cursor`. Caller holds the lock. */
  async admitted(record: MemberRecord, cursor: number): Promise<void> {
    const { timeline, events, outbox } = this.port;
    await timeline.add({ kind: 'system', event: { type: 'member-joined', member: record.id, name: record.identity.displayName } });
    events.emit('member-joined', { roomId: this.state.id, member: this.memberInfo(record) });
    this.emitRoom();
    // They may not know me (my announcement can be gone from retention, or they joined after
    // it): announce myself again. Only members new to me trigger this, so it terminates.
    if (this.state.joinCursor !== 0 && cursor > this.state.joinCursor) await outbox.queueLocked({ k: 'announce' });
  }

  /** A member's control verified (`by`: its identity id). Caller holds the lock. */
  async onControl(action: ControlAction, by: string): Promise<void> {
    if (action.kind === 'settings') return this.applyTimer(toTimerMs(action.disappearingAfterSeconds), by);
    const targetId = action.kind === 'leave' ? by : toBase64Url(action.target);
    if (targetId === this.me.id) {
      if (action.kind === 'remove') await this.removedMe(by);
      return;
    }
    await this.drop(targetId, action.kind === 'leave' ? null : by);
  }

  /** The relay acknowledged a control of mine. Caller holds the lock. */
  async onOwnControl(action: ControlIntent): Promise<void> {
    if (action.kind === 'leave') {
      await this.port.timeline.add({ kind: 'system', event: { type: 'member-left', member: this.me.id, name: this.me.name } });
      this.port.leaveRelayRoom();
      await this.deactivate(null);
    } else if (action.kind === 'remove') {
      await this.drop(action.target, this.me.id);
    } else {
      await this.applyTimer(toTimerMs(action.disappearingAfterSeconds), this.me.id);
    }
  }

  private async applyTimer(ms: number | null, by: string): Promise<void> {
    this.state.disappearingMs = ms;
    await this.port.timeline.add({ kind: 'system', event: { type: 'timer-set', by, disappearingMs: ms } });
    this.emitRoom();
  }

  /** A member left (`removedBy` null) or was removed. */
  private async drop(id: string, removedBy: string | null): Promise<void> {
    const { roster, presence, senderKeys, timeline, events, files } = this.port;
    const live = roster.drop(id, removedBy);
    if (live === undefined) return;
    presence.forget(id);
    senderKeys.forgetMember(live);
    const info = this.memberInfo(live.record);
    const name = live.record.identity.displayName;
    if (removedBy === null) {
      await timeline.add({ kind: 'system', event: { type: 'member-left', member: id, name } });
      events.emit('member-left', { roomId: this.state.id, member: info });
    } else {
      await timeline.add({ kind: 'system', event: { type: 'member-removed', member: id, name, by: removedBy } });
      events.emit('member-removed', { roomId: this.state.id, member: info, by: removedBy });
    }
    files.onMemberGone(id);
    this.emitRoom();
    presence.emit();
  }

  private async removedMe(by: string): Promise<void> {
    await this.port.timeline.add({ kind: 'system', event: { type: 'removed-me', by } });
    await this.deactivate(by);
    this.port.events.emit('removed-me', { roomId: this.state.id, by });
  }

  private async deactivate(removedBy: string | null): Promise<void> {
    this.state.active = false;
    this.state.removedBy = removedBy;
    this.port.senderKeys.forgetAll();
    // Presence ends; expiry does not: disappearing messages go on the timer also when I left.
    this.port.presence.stop();
    await this.port.outbox.clear();
    this.port.files.stopAll('ROOM_INACTIVE');
    this.port.status.wake();
    this.port.onInactive();
    this.emitRoom();
  }
}

/** The timer in ms from its wire form in seconds (0: off). */
function toTimerMs(seconds: number): number | null {
  return seconds === 0 ? null : seconds * SECOND_MS;
}
