/**
 * Moving from epoch n to n + 1 (PROTOCOL B.14.5). A valid commit at cursor c in epoch n's
 * relay room — a member's, or a confirmed one of mine — is appended to the log; the room
 * derives epoch n + 1, joins its relay room from cursor 0 and keeps watching epoch n's as
 * the previous room until the next commit. Whoever left has its sender keys forgotten and
 * mine rotate before my next group send; what I sent in epoch n after c goes out again in
 * n + 1; what others sent in epoch n after c is refused (`STALE_EPOCH`): they had not seen
 * the commit. An honest member whose beat or key crossed the commit catches up at once and
 * sends again, so the note (one per member per epoch) waits STALE_GRACE_MS and is dropped
 * if that member is heard in the current epoch meanwhile; a member kept behind (a relay
 * withholding the commit from it) is noted.
 */
import {
  ENVELOPE_KIND,
  openCommit,
  openLeave,
  peekSealed,
  toBase64Url,
  type AppliedEntry,
  type CreatedCommit,
  type OpenedCommit,
  type SealedPeek,
  type UnlockedIdentity,
} from '@sealroom/protocol';
import { SECOND_MS } from '@sealroom/units';
import type { DeliveryState } from './api.js';
import type { Commits } from './commits.js';
import type { FileTransfers } from './files.js';
import type { Leaving } from './leaving.js';
import type { LobbyWatch } from './lobby.js';
import { linkTag, timerMs, type Membership } from './membership.js';
import type { Outbox } from './outbox.js';
import type { Clock } from './platform.js';
import type { Presence } from './presence.js';
import type { RoomRecord } from './records.js';
import type { SentLog } from './resend-after-commit.js';
import type { RoomLog } from './room-log.js';
import type { Persistence } from './room-persistence.js';
import type { Roster } from './roster.js';
import type { SenderKeys } from './sender-key-rotation.js';
import type { TimelineWriter } from './timeline.js';
import type { EventHub } from './events.js';
import type { Warn } from './warnings.js';

/** Hashes of links I held, kept to recognise an old link after a removal. */
const MAX_FORMER_LINKS = 32;
/** Stale-epoch notes remembered (one per member per epoch). */
const MAX_STALE_NOTES = 1_000;
/**
 * How long a member who sent into an ended epoch has to be heard in the current one before
 * it is noted as behind: well past the moment an honest member needs to open a commit, even
 * on a loaded device, and well within the time a person notices a missing message.
 */
export const STALE_GRACE_MS = 10 * SECOND_MS;

/** A commit ready to apply: an opened member's commit or a created one of mine. */
type NextEpoch = Pick<OpenedCommit & CreatedCommit, 'entry' | 'secrets' | 'state' | 'change' | 'linkReset' | 'epochSecret' | 'linkSecret' | 'epochKeys'>;

export interface EpochPort {
  readonly me: UnlockedIdentity;
  readonly myId: string;
  readonly log: RoomLog;
  readonly roster: Roster;
  readonly timeline: TimelineWriter;
  readonly senderKeys: Pick<SenderKeys, 'forgetMember' | 'epochEnded'>;
  readonly presence: Pick<Presence, 'forget'>;
  readonly files: Pick<FileTransfers, 'onMemberGone' | 'onChunk'>;
  readonly sentLog: Pick<SentLog, 'ended'>;
  readonly outbox: Pick<Outbox, 'queueLocked'>;
  readonly membership: Membership;
  readonly lobby: Pick<LobbyWatch, 'hasPendingIn' | 'refresh' | 'onAdded'>;
  readonly leaving: Pick<Leaving, 'onProposal' | 'afterEpoch'>;
  readonly commits: Pick<Commits, 'afterEpoch'>;
  readonly persistence: Persistence;
  readonly events: EventHub;
  readonly warn: Warn;
  readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  locked(task: () => Promise<void>): Promise<void>;
  now(): number;
  /** Binds and unbinds relay rooms to match the record. */
  syncRelays(): void;
}

export class Epochs {
  /** Stale notes waiting out their grace, by `epoch/member`. */
  private readonly pendingStale = new Map<string, unknown>();

  constructor(
    private readonly port: EpochPort,
    private readonly record: RoomRecord,
  ) {}

  /** A commit found at `cursor` in the current epoch's relay room. Caller holds the lock. */
  async onCommit(cursor: number, peek: SealedPeek): Promise<void> {
    const { log, me, warn } = this.port;
    const opened = await openCommit({ me, state: log.memberState, epochKeys: log.current!, linkSecret: log.linkSecret!, envelope: peek });
    if (!opened.ok) {
      // An old commit of this room again: refused by the log's order, whoever replays it.
      if (opened.code === 'STALE_COMMIT') return warn('replay', null, 'STALE_COMMIT', 'an old membership change was replayed');
      return warn('bad-message', null, opened.code, 'a membership change was refused');
    }
    if (opened.removedMe) {
      await this.keepEntry(opened);
      return this.port.membership.removedMe(opened.change.by);
    }
    await this.advance(cursor, opened);
  }

  /** Moves to the epoch `next` starts; `cursor` is where its commit sits in the current room. Caller holds the lock. */
  async advance(cursor: number, next: NextEpoch): Promise<void> {
    const { log, roster, senderKeys, presence, files, outbox, lobby } = this.port;
    const r = this.record;
    const before = log.memberState;
    const names = new Map(before.members.map((m) => [m.id, m.identity.displayName]));
    const oldLink = log.linkSecret;
    const oldLobby = log.currentLobby()?.relayRoomIdB64;
    await log.adoptCommit(next, oldLobby !== undefined && lobby.hasPendingIn(oldLobby));
    if (next.linkReset && oldLink !== null) {
      r.formerLinks.push(await linkTag(oldLink));
      r.formerLinks.splice(0, Math.max(0, r.formerLinks.length - MAX_FORMER_LINKS));
    }
    const epoch = next.state.epoch;
    const ended = r.epochRoom!;
    r.previousRoom = { ...ended, cursor: Math.max(ended.cursor, cursor), commitCursor: cursor };
    r.epochRoom = { room: next.epochKeys.relayRoomIdB64, epoch, cursor: 0, joinCursor: 0 };
    r.name = next.state.name;
    r.disappearingMs = timerMs(next.state.timerSeconds);
    senderKeys.epochEnded(ended.epoch, cursor);
    const now = this.port.now();
    for (const gone of before.members.filter((m) => !roster.has(m.id))) {
      senderKeys.forgetMember(gone.id);
      presence.forget(gone.id);
      files.onMemberGone(gone.id);
      roster.onGone(gone);
    }
    const added = next.state.members.filter((m) => !before.members.some((b) => b.id === m.id));
    for (const member of added) {
      roster.markSeen(member.id, now);
      lobby.onAdded(member.id);
    }
    r.pendingLeaves = r.pendingLeaves.filter((l) => roster.has(l.member));
    // What I sent in epoch n after its commit was refused by everyone: send it again.
    for (const intent of this.port.sentLog.ended(ended.epoch, cursor)) {
      if ((intent.k === 'group' || intent.k === 'direct') && intent.itemId !== undefined) {
        await this.port.timeline.update(intent.itemId, (item) => (item.kind === 'text' ? { ...item, state: 'pending' as DeliveryState } : item));
        this.port.events.emit('delivery', { roomId: r.id, id: intent.itemId, state: 'pending' });
      }
      await outbox.queueLocked(intent);
    }
    // The log record first: a room record that names an epoch the log lacks could not be loaded.
    await log.persist();
    await this.port.persistence.persist();
    await lobby.refresh();
    this.port.syncRelays();
    for (const member of added) roster.checkNewcomer(member.id);
    await this.port.membership.onChange(next.change, next.linkReset, epoch, names);
    await this.port.commits.afterEpoch(next.entry);
    this.port.leaving.afterEpoch();
  }

  /**
   * An envelope in the previous epoch's relay room, after the commit that ended it: its sender
   * had not seen the commit. Leave proposals stay valid for a later removal; chunks belong to
   * files offered before; commits there lost the race (or are replays). Caller holds the lock.
   */
  async onPrevious(cursor: number, envelope: Uint8Array): Promise<void> {
    const { log, warn } = this.port;
    const keys = log.previous;
    const roster = log.previousRoster;
    if (keys === null || roster === null || this.record.previousRoom === null) return;
    if (cursor <= this.record.previousRoom.commitCursor) return;
    if (envelope[1] === ENVELOPE_KIND.chunk) return this.port.files.onChunk(envelope);
    const peeked = await peekSealed(keys, envelope);
    if (!peeked.ok) return warn('bad-message', null, peeked.code, 'an envelope failed verification and was dropped');
    const peek = peeked.peek;
    if (peek.type === 'commit') return;
    if (peek.type === 'leave') {
      const opened = await openLeave({ keys, roster, envelope: peek });
      if (opened.ok) return this.port.leaving.onProposal(opened.sender.idB64, opened.proposal, opened.messageId);
      return warn('bad-message', null, opened.code, 'a leave proposal failed verification');
    }
    const sender = peek.sender === undefined ? undefined : roster.byMemberId.get(toBase64Url(peek.sender));
    if (sender === undefined || sender.idB64 === this.port.myId) return;
    // Sealed to someone else: not mine to judge (its sender's note comes with what it sent to all).
    if (peek.recipient !== undefined && !(await this.isToMe(peek.recipient))) return;
    await this.noteStale(this.record.previousRoom.epoch, sender.idB64, sender.identity.displayName);
  }

  private async isToMe(recipient: Uint8Array): Promise<boolean> {
    const mine = this.port.log.previousRoster?.byIdentityId.get(this.port.myId);
    return mine !== undefined && toBase64Url(mine.memberId) === toBase64Url(recipient);
  }

  /** `member` was heard in the current epoch: it has seen the commits, nothing to note. */
  heardInCurrent(member: string): void {
    for (const [key, timer] of this.pendingStale) {
      if (!key.endsWith(`/${member}`)) continue;
      this.port.clock.clearTimeout(timer);
      this.pendingStale.delete(key);
    }
  }

  /** Stops the grace timers (the room is closing). */
  stop(): void {
    for (const timer of this.pendingStale.values()) this.port.clock.clearTimeout(timer);
    this.pendingStale.clear();
  }

  /** One warning and one quiet timeline note per member per epoch, once its grace ran out. */
  private async noteStale(epoch: number, member: string, name: string): Promise<void> {
    const key = `${epoch}/${member}`;
    if (this.record.staleNoted.includes(key) || this.pendingStale.has(key)) return;
    const timer = this.port.clock.setTimeout(() => {
      void this.port.locked(async () => {
        if (!this.pendingStale.delete(key)) return;
        await this.writeStaleNote(key, member, name);
      });
    }, STALE_GRACE_MS);
    this.pendingStale.set(key, timer);
  }

  private async writeStaleNote(key: string, member: string, name: string): Promise<void> {
    if (this.record.staleNoted.includes(key)) return;
    this.record.staleNoted.push(key);
    this.record.staleNoted.splice(0, Math.max(0, this.record.staleNoted.length - MAX_STALE_NOTES));
    this.port.warn('stale-epoch', member, 'STALE_EPOCH', 'a member sent something before it saw the latest membership change');
    await this.port.timeline.add({ kind: 'system', event: { type: 'stale-epoch', member, name } });
  }

  /** The commit that removed me still belongs to the room's history. */
  private async keepEntry(opened: { entry: Uint8Array; state: AppliedEntry['state'] }): Promise<void> {
    const log = this.port.log;
    log.record.entries.push(toBase64Url(opened.entry));
    log.record.state = opened.state;
  }
}
