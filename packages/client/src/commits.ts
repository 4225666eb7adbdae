/**
 * My membership and settings changes (PROTOCOL B.14.3): each is an intent, kept in the room
 * record until done, committed one at a time. A commit is published (pinned) in the
 * current epoch's relay room; the first valid commit for an epoch in that room's cursor
 * order wins. Once the relay acknowledged mine at cursor c, it counts as confirmed only
 * when everything before c in that room has been processed without another commit for the
 * epoch: then it is applied like any member's commit, exactly where it sits in cursor
 * order. If another commit came first, mine is stale for everyone: it is dropped and its
 * intent planned again in the new epoch (an add of a knocker added meanwhile is done, a
 * timer already set needs nothing, a removal is committed again).
 */
import {
  createCommit,
  equalBytes,
  importPublicIdentityJson,
  fromBase64Url,
  type CommitAction,
  type CreatedCommit,
  type UnlockedIdentity,
} from '@sealroom/protocol';
import type { ClientErrorCode } from './errors.js';
import { SealroomClientError } from './errors.js';
import type { TaskLock } from './lock.js';
import type { Clock } from './platform.js';
import type { CommitIntent, RoomRecord } from './records.js';
import type { PublishOptions } from './relay-port.js';
import type { RelayRoom } from './relay-rooms.js';
import type { RoomLog } from './room-log.js';
import type { Roster } from './roster.js';
import { TransportError } from './transport-errors.js';

/** Relay refusals after which the same commit may succeed later (PROTOCOL A.7). */
const RETRYABLE: ReadonlySet<string> = new Set(['RATE_LIMITED', 'UNAVAILABLE', 'NOT_JOINED']);
/** Wait before trying a refused commit again, ms. */
const RETRY_PAUSE_MS = 1_000;

/** How other parts ask for a commit nobody waits on (an admission, a leave to commit). */
export interface CommitRequests {
  enqueue(intent: CommitIntent): void;
}

export interface CommitPort {
  readonly me: UnlockedIdentity;
  readonly log: RoomLog;
  readonly roster: Roster;
  readonly lock: TaskLock;
  readonly clock: Clock;
  /** I am a member and the current epoch's relay room is ready. */
  canCommit(): boolean;
  currentRoom(): RelayRoom | undefined;
  publish(relayRoom: string, envelope: Uint8Array, options: PublishOptions): Promise<number>;
  /** Moves the room to the epoch a confirmed commit of mine starts (as for any commit). Caller holds the lock. */
  advance(cursor: number, commit: CreatedCommit): Promise<void>;
  /** What follows a committed intent (the welcome of an add). Caller holds the lock. */
  committed(intent: CommitIntent): Promise<void>;
  persistSoon(): void;
}

interface PendingCommit {
  intent: CommitIntent;
  created: CreatedCommit;
  /** The epoch it ends. */
  epoch: number;
  /** Where the relay put it, once acknowledged. */
  cursor?: number;
}

type Plan = { action: CommitAction } | { done: true } | { refused: ClientErrorCode };

export class Commits implements CommitRequests {
  private pending: PendingCommit | undefined;
  private running = false;
  private readonly waiters = new Map<CommitIntent, { resolve: () => void; reject: (error: Error) => void }>();

  constructor(
    private readonly port: CommitPort,
    private readonly record: RoomRecord,
  ) {}

  /** A commit of mine is out and not yet applied: group sends wait (they would be stale). */
  get inFlight(): boolean {
    return this.pending !== undefined;
  }

  /** Whether a removal (or a leave to commit) waits: group sends wait for it, the leaver must not read on. */
  get removalQueued(): boolean {
    return this.record.commitIntents.some((i) => i.kind === 'remove' || i.kind === 'leave');
  }

  /** Queues a change the user asked for; resolves once it is committed (or needed nothing). Caller holds the lock. */
  request(intent: CommitIntent): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiters.set(intent, { resolve, reject }));
    this.record.commitIntents.push(intent);
    this.port.persistSoon();
    this.kick();
    return done;
  }

  enqueue(intent: CommitIntent): void {
    const same = (i: CommitIntent) => JSON.stringify(i) === JSON.stringify(intent);
    if (this.record.commitIntents.some(same)) return;
    this.record.commitIntents.push(intent);
    this.port.persistSoon();
    this.kick();
  }

  /** Tries the queued intents (after a reconnect, after an epoch change). */
  kick(): void {
    void this.run();
  }

  /**
   * An envelope at `cursor` of the current epoch's relay room is about to be processed: a
   * commit of mine acknowledged before it takes effect first. Caller holds the lock.
   */
  async before(cursor: number): Promise<void> {
    const p = this.pending;
    if (p?.cursor !== undefined && cursor > p.cursor && this.port.log.state?.epoch === p.epoch) await this.port.advance(p.cursor, p.created);
  }

  /** The room moved to a new epoch by `entry`: mine confirmed, or mine is stale. Caller holds the lock. */
  async afterEpoch(entry: Uint8Array): Promise<void> {
    const p = this.pending;
    if (p === undefined) return;
    this.pending = undefined;
    if (equalBytes(p.created.entry, entry)) await this.finish(p.intent);
    this.kick();
  }

  /**
   * The current epoch's relay room is caught up after a (re)connect: a commit of mine that
   * was never acknowledged and did not show up in the catch-up was not stored. Caller holds the lock.
   */
  onReady(): void {
    const p = this.pending;
    if (p !== undefined && p.cursor === undefined && this.port.log.state?.epoch === p.epoch) this.pending = undefined;
    this.kick();
  }

  /** I left or was removed: nothing of mine will be committed. */
  stop(): void {
    this.pending = undefined;
    for (const waiter of this.waiters.values()) waiter.reject(new SealroomClientError('ROOM_INACTIVE'));
    this.waiters.clear();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const intent = this.record.commitIntents[0];
        if (intent === undefined || this.pending !== undefined || !this.port.canCommit()) return;
        if ((await this.attempt(intent)) === 'wait') return;
      }
    } finally {
      this.running = false;
    }
  }

  private async attempt(intent: CommitIntent): Promise<'next' | 'wait'> {
    const { lock, log } = this.port;
    const planned = await lock.run(async (): Promise<'next' | 'wait' | { room: RelayRoom; created: CreatedCommit; ack: Promise<number> }> => {
      if (this.record.commitIntents[0] !== intent || this.pending !== undefined) return 'next';
      const room = this.port.currentRoom();
      if (room === undefined || !this.port.canCommit()) return 'wait';
      const plan = await this.plan(intent);
      if ('done' in plan) return (await this.finish(intent), 'next');
      if ('refused' in plan) return (await this.finish(intent, plan.refused), 'next');
      const state = log.memberState;
      const created = await createCommit({ me: this.port.me, state, epochKeys: log.current!, linkSecret: log.linkSecret!, action: plan.action });
      if (!created.ok) return (await this.finish(intent, created.code === 'NOT_ALLOWED' ? 'NOT_ADMIN' : 'CHANGE_REFUSED'), 'next');
      this.pending = { intent, created, epoch: state.epoch };
      return { room, created, ack: this.port.publish(room.roomId, created.envelope, { pinned: true }) };
    });
    if (typeof planned === 'string') return planned;
    let cursor: number;
    try {
      cursor = await planned.ack;
    } catch (error) {
      const code = error instanceof TransportError ? error.code : 'SEND_FAILED';
      // Not acknowledged: the relay may have it or not. After a reconnect the catch-up shows
      // it (then it is applied as any commit) or not (onReady plans it again).
      if (code === 'DISCONNECTED' || code === 'NOT_CONNECTED') return 'wait';
      await lock.run(async () => {
        if (this.pending?.created === planned.created) this.pending = undefined;
        if (!RETRYABLE.has(code)) await this.finish(intent, 'CHANGE_REFUSED');
      });
      if (RETRYABLE.has(code)) await new Promise<void>((resolve) => this.port.clock.setTimeout(resolve, RETRY_PAUSE_MS));
      return 'next';
    }
    await lock.run(async () => {
      if (this.pending?.created === planned.created) this.pending.cursor = cursor;
    });
    await planned.room.settledBefore(cursor);
    await lock.run(async () => {
      const p = this.pending;
      if (p?.created === planned.created && log.state?.epoch === p.epoch) await this.port.advance(cursor, p.created);
    });
    return 'next';
  }

  /** What an intent needs now, in the current epoch. */
  private async plan(intent: CommitIntent): Promise<Plan> {
    const { roster, log } = this.port;
    const state = log.memberState;
    const member = (id: string) => fromBase64Url(id)!;
    switch (intent.kind) {
      case 'add': {
        if (roster.has(intent.identityId)) return { done: true };
        const imported = await importPublicIdentityJson(intent.identity);
        if (!imported.ok) return { refused: 'CHANGE_REFUSED' };
        return { action: { kind: 'add', identity: imported.identity, via: intent.via } };
      }
      case 'remove':
        return roster.has(intent.member) ? { action: { kind: 'remove', member: member(intent.member) } } : { done: true };
      case 'leave':
        return roster.has(intent.member)
          ? { action: { kind: 'remove', member: member(intent.member), leaveProposal: fromBase64Url(intent.proposal)! } }
          : { done: true };
      case 'role': {
        const target = roster.get(intent.member);
        if (target === undefined) return { refused: 'UNKNOWN_MEMBER' };
        return target.role === intent.role ? { done: true } : { action: { kind: 'role', member: member(intent.member), role: intent.role } };
      }
      case 'timer':
        return state.timerSeconds === intent.seconds ? { done: true } : { action: { kind: 'settings', timerSeconds: intent.seconds } };
      case 'link': {
        const policy = { approval: intent.approval, singleUse: intent.singleUse, expiresAt: intent.expiresAt };
        const same = state.link.approval === policy.approval && state.link.singleUse === policy.singleUse && state.link.expiresAt === policy.expiresAt;
        // Another admin's link change since I asked already made a new link with this policy.
        if (same && state.linkEpoch > intent.baseLinkEpoch) return { done: true };
        return { action: { kind: 'link', policy } };
      }
    }
  }

  private async finish(intent: CommitIntent, refused?: ClientErrorCode): Promise<void> {
    this.record.commitIntents = this.record.commitIntents.filter((i) => i !== intent);
    this.port.persistSoon();
    const waiter = this.waiters.get(intent);
    this.waiters.delete(intent);
    if (refused !== undefined) {
      waiter?.reject(new SealroomClientError(refused));
      return;
    }
    await this.port.committed(intent);
    waiter?.resolve();
  }
}
