/**
 * Leaving (PROTOCOL B.14.4). A member leaves with a signed leave proposal; it never commits
 * its own removal (the author of a commit knows the next epoch secret). Every remaining
 * member that sees the proposal commits a removal carrying it, after the random delay, unless
 * a commit removing that member came first. Until then remaining members send no group
 * message (their outboxes wait), so the one who left cannot read what follows.
 */
import { toBase64Url } from '@sealroom/protocol';
import type { CommitRequests } from './commits.js';
import type { Clock } from './platform.js';
import { raceDelayMs } from './race-delay.js';
import type { RoomRecord } from './records.js';
import type { Roster } from './roster.js';
import { leaveSeenKey, type SeenIds } from './seen-ids.js';
import type { Warn } from './warnings.js';

export interface LeavingPort {
  readonly myId: string;
  readonly roster: Pick<Roster, 'has'>;
  readonly seen: SeenIds;
  readonly clock: Clock;
  readonly commits: CommitRequests;
  readonly warn: Warn;
  locked(task: () => Promise<void>): Promise<void>;
  persistSoon(): void;
}

export class Leaving {
  /** Members whose removal I am about to commit after my random delay. */
  private readonly scheduled = new Set<string>();

  constructor(
    private readonly port: LeavingPort,
    private readonly record: RoomRecord,
  ) {}

  /** Whether a member's leave waits to be committed: group sends hold until then. */
  get pending(): boolean {
    return this.record.pendingLeaves.length > 0;
  }

  /**
   * A member's verified leave proposal (from the current or previous epoch's room: it stays
   * valid for any later removal while the member stays). Caller holds the lock.
   */
  onProposal(member: string, proposal: Uint8Array, messageId: Uint8Array): void {
    const { roster, seen, warn } = this.port;
    if (member === this.port.myId) return;
    const key = leaveSeenKey(toBase64Url(messageId));
    if (seen.has(key)) return warn('replay', member, 'DUPLICATE', 'a leave proposal was replayed');
    seen.remember(key, true);
    if (!roster.has(member) || this.record.pendingLeaves.some((l) => l.member === member)) return;
    this.record.pendingLeaves.push({ member, proposal: toBase64Url(proposal) });
    this.port.persistSoon();
    this.schedule(member);
  }

  /** After an epoch change: leaves still waiting get their removal committed again if needed. */
  afterEpoch(): void {
    for (const leave of this.record.pendingLeaves) this.schedule(leave.member);
  }

  private schedule(member: string): void {
    if (this.scheduled.has(member)) return;
    this.scheduled.add(member);
    this.port.clock.setTimeout(() => {
      void this.port.locked(async () => {
        this.scheduled.delete(member);
        const leave = this.record.pendingLeaves.find((l) => l.member === member);
        if (leave === undefined || !this.port.roster.has(member) || this.record.status !== 'member') return;
        this.port.commits.enqueue({ kind: 'leave', member, proposal: leave.proposal });
      });
    }, raceDelayMs());
  }
}
