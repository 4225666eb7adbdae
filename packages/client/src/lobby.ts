/**
 * Watching the lobby as a member (PROTOCOL B.14.2): knocks from newcomers, and the answers
 * other members gave. In open mode every member watches the current link's lobby; under an
 * approval policy only admins do. A verified knock is
 * - from a current member: a re-welcome, no commit (a restored device, one stuck behind);
 * - from an identity in the removal record: never admitted automatically (flagged to admins);
 * - on an expired link: declined (`link-expired`); on a used single-use link: declined;
 * - open mode: after a random delay (so several members rarely race), an add commit, then a
 *   welcome once the commit is confirmed; approval mode: waits for an admin.
 * Whatever a watcher does, it first waits its delay and skips the knock when another member
 * answered it meanwhile.
 */
import {
  importPublicIdentityJson,
  linkExpired,
  openKnock,
  peekSealed,
  publicIdentityToJson,
  sealDecline,
  sealWelcome,
  shortFingerprint,
  toBase64Url,
  fromBase64Url,
  type DeclineReason,
  type LobbyKeys,
  type PublicIdentity,
  type SealedPeek,
  type UnlockedIdentity,
} from '@sealroom/protocol';
import type { PendingKnock } from './api.js';
import type { CommitRequests } from './commits.js';
import type { EventHub } from './events.js';
import { isMixedScript } from './names.js';
import type { Clock } from './platform.js';
import { raceDelayMs } from './race-delay.js';
import type { CommitIntent, PendingKnockRecord, RoomRecord } from './records.js';
import type { RoomLog } from './room-log.js';
import type { Roster } from './roster.js';
import type { Warn } from './warnings.js';

/** Knock ids remembered as answered: far more than a lobby's retention holds. */
const MAX_HANDLED_KNOCKS = 2_000;

export interface LobbyPort {
  readonly me: UnlockedIdentity;
  readonly myId: string;
  readonly log: RoomLog;
  readonly roster: Roster;
  readonly clock: Clock;
  readonly events: EventHub;
  readonly warn: Warn;
  readonly commits: CommitRequests;
  /** Runs a task under the room lock. */
  locked(task: () => Promise<void>): Promise<void>;
  /** Publishes in a lobby's relay room; resolves with its cursor. */
  publish(lobby: string, envelope: Uint8Array): Promise<number>;
  /** The lobbies to watch changed: bind and unbind relay rooms. */
  syncRelays(): void;
  persistSoon(): void;
  emitRoom(): void;
}

export class LobbyWatch {
  /** Knocks waiting for my random delay, by knock id: the timer and the lobby it came from. */
  private readonly scheduled = new Map<string, { timer: unknown; lobby: string; identityId: string }>();

  constructor(
    private readonly port: LobbyPort,
    private readonly record: RoomRecord,
  ) {}

  /** Whether this device should watch the current link's lobby: open links, or I am an admin. */
  private watchesCurrent(): boolean {
    const state = this.port.log.state;
    if (this.record.status !== 'member' || state === null) return false;
    return !state.link.approval || this.port.roster.isAdmin(this.port.myId);
  }

  /**
   * Recomputes the lobbies I watch: the current link's (when I should) and older ones with
   * knocks still to answer. Keeps the cursors of lobbies watched already. Caller holds the lock.
   */
  async refresh(): Promise<void> {
    const log = this.port.log;
    const wanted = new Set<string>();
    const current = log.currentLobby();
    if (current !== null && this.watchesCurrent()) wanted.add(current.relayRoomIdB64);
    for (const lobby of this.waitingLobbies()) wanted.add(lobby);
    for (const old of [...log.record.oldLinks]) {
      if (!wanted.has(old.lobby)) await log.dropOldLink(old.lobby);
    }
    this.record.lobbies = [...wanted].map((room) => this.record.lobbies.find((l) => l.room === room) ?? { room, cursor: 0 });
    this.port.syncRelays();
  }

  /** Lobbies where knocks still wait for me: pending approval, my delay, or my add's welcome. */
  private waitingLobbies(): Set<string> {
    const lobbies = new Set(this.record.pendingKnocks.map((k) => k.lobby));
    for (const { lobby } of this.scheduled.values()) lobbies.add(lobby);
    for (const intent of this.record.commitIntents) if (intent.kind === 'add') lobbies.add(intent.lobby);
    return lobbies;
  }

  /** Whether knocks of this lobby still wait for me (so its link must be kept after a reset). */
  hasPendingIn(lobby: string): boolean {
    return this.waitingLobbies().has(lobby);
  }

  pendingKnocks(): PendingKnock[] {
    return this.record.pendingKnocks.map((k) => this.describe(k));
  }

  /** An envelope in a lobby I watch. Caller holds the lock. */
  async onEnvelope(lobby: string, envelope: Uint8Array): Promise<void> {
    const keys = this.port.log.lobbyKeys(lobby);
    if (keys === undefined) return;
    const peeked = await peekSealed(keys, envelope);
    if (!peeked.ok) return this.port.warn('bad-message', null, peeked.code, 'a lobby envelope does not open');
    const peek = peeked.peek;
    const knockId = toBase64Url(peek.knockId!);
    if (peek.type !== 'knock') return this.answered(knockId); // a welcome or decline by another member
    if (this.isHandled(knockId)) return;
    await this.onKnock(lobby, keys, knockId, peek);
  }

  private async onKnock(lobby: string, keys: LobbyKeys, knockId: string, peek: SealedPeek): Promise<void> {
    const { roster, log, clock, warn } = this.port;
    const opened = await openKnock({ lobbyKeys: keys, envelope: peek });
    if (!opened.ok) return warn('bad-message', null, opened.code, 'a knock failed verification');
    const identity = opened.identity;
    const id = toBase64Url(identity.id);
    const state = log.memberState;
    if (roster.has(id)) return this.schedule(knockId, lobby, id, () => this.welcome(lobby, knockId, identity));
    const current = log.currentLobby()?.relayRoomIdB64 === lobby;
    if (!current) {
      // The link was reset since. A single-use link was used: say so; otherwise nobody answers.
      if (state.link.singleUse) this.schedule(knockId, lobby, id, () => this.decline(lobby, knockId, 'link-used'));
      return;
    }
    if (linkExpired(state, clock.now())) return this.schedule(knockId, lobby, id, () => this.decline(lobby, knockId, 'link-expired'));
    const removed = roster.isRemoved(id);
    if (state.link.approval) {
      if (this.record.pendingKnocks.some((k) => k.knockId === knockId)) return;
      this.record.pendingKnocks.push({ knockId, lobby, identityId: id, identity: publicIdentityToJson(identity), at: clock.now() });
      this.port.persistSoon();
      this.emitKnocks();
      return;
    }
    if (removed) {
      this.markHandled(knockId);
      return warn('unknown-sender', id, 'REMOVED_MEMBER', 'a member removed from this room knocked again');
    }
    this.schedule(knockId, lobby, id, () => this.admit({ kind: 'add', knockId, lobby, identityId: id, identity: publicIdentityToJson(identity), via: 'link' }));
  }

  /** Admins: approves a pending knock; resolves when its add is committed and the welcome sent. */
  async approve(knockId: string): Promise<CommitIntent | undefined> {
    const knock = this.record.pendingKnocks.find((k) => k.knockId === knockId);
    if (knock === undefined) return undefined;
    // A removed identity comes back only by an admin's deliberate add (`via` member).
    const via = this.port.roster.isRemoved(knock.identityId) ? 'member' : 'knock';
    return { kind: 'add', knockId, lobby: knock.lobby, identityId: knock.identityId, identity: knock.identity, via };
  }

  /** Admins: declines a pending knock. Caller holds the lock. */
  async declinePending(knockId: string): Promise<boolean> {
    const knock = this.record.pendingKnocks.find((k) => k.knockId === knockId);
    if (knock === undefined) return false;
    await this.decline(knock.lobby, knockId, 'declined');
    return true;
  }

  /**
   * The add of a knock was committed (by me): welcome the knocker in the lobby it knocked in.
   * Caller holds the lock.
   */
  async welcomeAdded(intent: Extract<CommitIntent, { kind: 'add' }>): Promise<void> {
    const imported = await importPublicIdentityJson(intent.identity);
    if (imported.ok) await this.welcome(intent.lobby, intent.knockId, imported.identity);
  }

  /**
   * A welcome or decline for a knock went by. Neither is proof of anything to a watcher (a
   * welcome is sealed to the knocker; a decline is unauthenticated; any link holder can send
   * either): it counts as the knock's answer only once the knocker is a member. Otherwise a
   * forged answer could hide a knock from the admins, or keep a newcomer out in open mode.
   */
  private answered(knockId: string): void {
    const identityId = this.scheduled.get(knockId)?.identityId ?? this.record.pendingKnocks.find((k) => k.knockId === knockId)?.identityId;
    if (identityId !== undefined && !this.port.roster.has(identityId)) return;
    this.forgetKnock(knockId);
  }

  /** A member was added (by any member's commit): its knocks are answered. Caller holds the lock. */
  onAdded(identityId: string): void {
    for (const [knockId, scheduled] of this.scheduled) if (scheduled.identityId === identityId) this.forgetKnock(knockId);
    for (const knock of this.record.pendingKnocks.filter((k) => k.identityId === identityId)) this.forgetKnock(knock.knockId);
  }

  private forgetKnock(knockId: string): void {
    const scheduled = this.scheduled.get(knockId);
    if (scheduled !== undefined) this.port.clock.clearTimeout(scheduled.timer);
    this.scheduled.delete(knockId);
    this.markHandled(knockId);
  }

  private isHandled(knockId: string): boolean {
    return this.record.handledKnocks.includes(knockId) || this.scheduled.has(knockId);
  }

  private markHandled(knockId: string): void {
    if (!this.record.handledKnocks.includes(knockId)) this.record.handledKnocks.push(knockId);
    if (this.record.handledKnocks.length > MAX_HANDLED_KNOCKS) this.record.handledKnocks.splice(0, this.record.handledKnocks.length - MAX_HANDLED_KNOCKS);
    const before = this.record.pendingKnocks.length;
    this.record.pendingKnocks = this.record.pendingKnocks.filter((k) => k.knockId !== knockId);
    if (this.record.pendingKnocks.length !== before) this.emitKnocks();
    this.port.persistSoon();
  }

  /** Acts on a knock after the random delay, unless another member answered it first. */
  private schedule(knockId: string, lobby: string, identityId: string, act: () => Promise<void>): void {
    if (this.scheduled.has(knockId)) return;
    const timer = this.port.clock.setTimeout(() => {
      void this.port.locked(async () => {
        if (!this.scheduled.has(knockId)) return;
        this.scheduled.delete(knockId);
        if (this.record.status !== 'member' || this.record.handledKnocks.includes(knockId)) return;
        await act();
      });
    }, raceDelayMs());
    this.scheduled.set(knockId, { timer, lobby, identityId });
  }

  private async admit(intent: Extract<CommitIntent, { kind: 'add' }>): Promise<void> {
    // Added by someone else meanwhile: their welcome answers the knock.
    if (this.port.roster.has(intent.identityId)) return;
    this.markHandled(intent.knockId);
    this.port.commits.enqueue(intent);
  }

  private async welcome(lobby: string, knockId: string, knocker: PublicIdentity): Promise<void> {
    const { log, me } = this.port;
    const keys = log.lobbyKeys(lobby);
    const state = log.memberState;
    const secrets = log.secrets;
    this.markHandled(knockId);
    // Epoch 0 has no secrets part: its only member is the creator, who never needs a welcome.
    if (keys === undefined || secrets === null || !this.port.roster.has(toBase64Url(knocker.id))) return;
    const { envelope } = await sealWelcome({
      lobbyKeys: keys,
      me,
      knockId: fromBase64Url(knockId)!,
      knocker,
      state,
      entries: log.entries,
      secrets,
      epochSecret: log.epochSecret!,
      linkSecret: log.linkSecret!,
    });
    await this.port.publish(lobby, envelope).catch(() => undefined);
    await this.refresh();
  }

  private async decline(lobby: string, knockId: string, reason: DeclineReason): Promise<void> {
    const keys = this.port.log.lobbyKeys(lobby);
    this.markHandled(knockId);
    if (keys === undefined) return;
    const { envelope } = await sealDecline({ lobbyKeys: keys, knockId: fromBase64Url(knockId)!, reason });
    await this.port.publish(lobby, envelope).catch(() => undefined);
    await this.refresh();
  }

  private describe(k: PendingKnockRecord): PendingKnock {
    const id = k.identityId;
    return {
      knockId: k.knockId,
      identityId: id,
      displayName: k.identity.displayName,
      fingerprint: shortFingerprint(fromBase64Url(id)!),
      at: k.at,
      removedBefore: this.port.roster.isRemoved(id),
      nameClash: this.port.roster.clashOf(id, k.identity.displayName) !== undefined,
      mixedScript: isMixedScript(k.identity.displayName),
    };
  }

  private emitKnocks(): void {
    this.port.events.emit('knock', { roomId: this.record.id, knocks: this.pendingKnocks() });
    this.port.emitRoom();
  }
}
