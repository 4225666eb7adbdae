/**
 * One room on this device: the implementation behind the public {@link RoomHandle}, and the
 * host of its relay rooms (the current epoch's, the previous one's, lobbies). A thin facade:
 * it checks what the caller asks, and hands the work to the room's parts (`room-parts.ts`),
 * each of which holds one concept — the log, the roster, the receive pipeline, epochs,
 * commits, the lobby, knocking, leaving, the outbox, sender keys, the timeline, presence,
 * files.
 */
import { computeSafetyNumber, importPublicIdentityJson, randomBytes, toBase64Url, utf8 } from '@sealroom/protocol';
import { SECOND_MS } from '@sealroom/units';
import type {
  FileMessage,
  FileSource,
  HistoryOptions,
  IdentityId,
  LinkPolicy,
  MemberInfo,
  PendingKnock,
  Role,
  RoomHandle,
  RoomSummary,
  SafetyNumber,
  SendTextOptions,
  TextMessage,
  TimelineItem,
} from './api.js';
import type { TransportErrorCode } from './codes.js';
import { SealroomClientError } from './errors.js';
import type { MessageRef } from './action-payloads.js';
import { refOf } from './message-actions.js';
import { APP_ID_BYTES, MAX_TEXT_BYTES, type AppPayload } from './payloads.js';
import type { CommitIntent, RoomRecord } from './records.js';
import type { RelayRoom, RelayRoomHost } from './relay-rooms.js';
import type { RelayReset } from './room-binding.js';
import { assembleRoom, type RoomParts, type SessionContext } from './room-parts.js';

export class RoomSession implements RoomHandle, RelayRoomHost {
  readonly id: string;
  readonly relayUrl: string;
  /** The end of the last gap shown per relay room (epoch rooms report a gap until passed). */
  private readonly gapsShown = new Map<string, number>();
  /** Set by the client (it owns the invite format options). */
  inviteFormatter: (session: RoomSession) => string = () => '';

  private constructor(
    private readonly ctx: SessionContext,
    readonly record: RoomRecord,
    /** The room's parts; internal (tests reach some of them). */
    readonly parts: RoomParts,
  ) {
    this.id = record.id;
    this.relayUrl = record.relayUrl;
  }

  /** Restores a session from its records and binds its relay rooms. */
  static async open(ctx: SessionContext, record: RoomRecord): Promise<RoomSession> {
    // The relay rooms are bound only after the session exists (relays.sync below).
    const built: { session?: RoomSession } = {};
    const host: RelayRoomHost = {
      envelope: (room, cursor, envelope, live) => built.session!.envelope(room, cursor, envelope, live),
      gap: (room, after, upTo) => built.session!.gap(room, after, upTo),
      ready: (room) => built.session!.ready(room),
      error: (room, code, message) => built.session!.error(room, code, message),
      relayReset: (room, reset) => built.session!.relayReset(room, reset),
      positionChanged: () => built.session!.positionChanged(),
      disconnected: (room) => built.session!.disconnected(room),
    };
    const session = new RoomSession(ctx, record, await assembleRoom(ctx, record, host));
    built.session = session;
    session.parts.timeline.scheduleExpiry();
    session.parts.senderKeys.afterLoad();
    session.parts.relays.sync();
    return session;
  }

  private get myId(): string {
    return toBase64Url(this.ctx.me.public.id);
  }

  // ---------------------------------------------------------------------------------
  // Public handle
  // ---------------------------------------------------------------------------------

  summary(): RoomSummary {
    return this.parts.membership.summary();
  }

  members(): MemberInfo[] {
    return this.parts.membership.members();
  }

  inviteLink(): string {
    // Built by the client (not stored) so the secret exists at rest only sealed in the log record.
    return this.inviteFormatter(this);
  }

  async history(options: HistoryOptions = {}): Promise<TimelineItem[]> {
    return this.parts.timeline.history(options);
  }

  async sendText(text: string, options: SendTextOptions = {}): Promise<TextMessage> {
    this.assertMember();
    if (utf8(text).length > MAX_TEXT_BYTES) throw new SealroomClientError('MESSAGE_TOO_LARGE');
    const mentions = options.mentions ?? this.parts.roster.findMentions(text);
    const payload: AppPayload = {
      t: 'text',
      id: toBase64Url(randomBytes(APP_ID_BYTES)),
      ts: this.ctx.clock.now(),
      body: text,
      mentions,
      ...this.replyOf(options),
    };
    return this.parts.sending.queueText(payload, null);
  }

  async sendDirect(to: IdentityId, text: string, options: Pick<SendTextOptions, 'replyTo'> = {}): Promise<TextMessage> {
    this.assertMember();
    if (!this.parts.roster.has(to) || to === this.myId) throw new SealroomClientError('UNKNOWN_MEMBER');
    if (utf8(text).length > MAX_TEXT_BYTES) throw new SealroomClientError('MESSAGE_TOO_LARGE');
    const payload: AppPayload = {
      t: 'text',
      id: toBase64Url(randomBytes(APP_ID_BYTES)),
      ts: this.ctx.clock.now(),
      body: text,
      mentions: [],
      ...this.replyOf(options),
    };
    return this.parts.sending.queueText(payload, to);
  }

  async react(itemId: string, emoji: string): Promise<TextMessage | FileMessage> {
    this.assertMember();
    return this.parts.actions.react(itemId, emoji);
  }

  async editMessage(itemId: string, text: string): Promise<TextMessage> {
    this.assertMember();
    return this.parts.actions.edit(itemId, text);
  }

  async deleteMessage(itemId: string): Promise<TextMessage> {
    this.assertMember();
    return this.parts.actions.remove(itemId);
  }

  /** The reply reference of a send; rejects `UNKNOWN_MESSAGE` for a message not here. */
  private replyOf(options: Pick<SendTextOptions, 'replyTo'>): { reply?: MessageRef } {
    return options.replyTo === undefined ? {} : { reply: refOf(this.parts.actions.target(options.replyTo)) };
  }

  async sendFile(source: FileSource): Promise<FileMessage> {
    this.assertMember();
    return this.parts.files.send(source);
  }

  async acceptFile(fileId: string, sink: WritableStream<Uint8Array>): Promise<void> {
    this.assertAlive();
    return this.parts.files.accept(fileId, sink);
  }

  async declineFile(fileId: string): Promise<void> {
    this.assertAlive();
    return this.parts.files.decline(fileId);
  }

  async markVerified(member: IdentityId, verified: boolean): Promise<void> {
    this.assertAlive();
    await this.parts.lock.run(async () => {
      if (!this.parts.roster.has(member)) throw new SealroomClientError('UNKNOWN_MEMBER');
      this.parts.roster.setVerified(member, verified);
      await this.parts.persistence.persist();
      const info = this.parts.membership.memberInfo(member);
      if (info !== undefined) this.ctx.events.emit('member-updated', { roomId: this.id, member: info });
    });
  }

  async safetyNumber(member: IdentityId): Promise<SafetyNumber> {
    const known = this.parts.roster.get(member);
    if (known === undefined) throw new SealroomClientError('UNKNOWN_MEMBER');
    const imported = await importPublicIdentityJson(known.identity);
    if (!imported.ok) throw new SealroomClientError('STORAGE_CORRUPT');
    const number = await computeSafetyNumber(this.ctx.me.public, imported.identity);
    return { digits: number.digits, display: number.display, qrPayload: number.scannable };
  }

  async setDisappearingTimer(ms: number | null): Promise<void> {
    this.assertMember();
    const seconds = ms === null ? 0 : Math.max(1, Math.round(ms / SECOND_MS));
    await this.commit({ kind: 'timer', seconds });
  }

  async removeMember(member: IdentityId): Promise<void> {
    this.assertAdmin();
    if (!this.parts.roster.has(member) || member === this.myId) throw new SealroomClientError('UNKNOWN_MEMBER');
    await this.commit({ kind: 'remove', member });
  }

  async setRole(member: IdentityId, role: Role): Promise<void> {
    this.assertAdmin();
    if (!this.parts.roster.has(member)) throw new SealroomClientError('UNKNOWN_MEMBER');
    await this.commit({ kind: 'role', member, role });
  }

  async setLinkPolicy(policy: LinkPolicy): Promise<void> {
    this.assertAdmin();
    const expiresAt = policy.expiresAt ?? 0;
    if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) throw new SealroomClientError('CHANGE_REFUSED');
    const baseLinkEpoch = this.parts.log.memberState.linkEpoch;
    await this.commit({ kind: 'link', approval: policy.approval, singleUse: policy.singleUse, expiresAt, baseLinkEpoch });
  }

  async resetLink(): Promise<void> {
    this.assertAdmin();
    const { link, linkEpoch } = this.parts.log.memberState;
    await this.commit({ kind: 'link', approval: link.approval, singleUse: link.singleUse, expiresAt: link.expiresAt, baseLinkEpoch: linkEpoch });
  }

  pendingKnocks(): PendingKnock[] {
    return this.parts.lobby.pendingKnocks();
  }

  async approveKnock(knockId: string): Promise<void> {
    this.assertAdmin();
    const intent = await this.parts.lock.run(() => this.parts.lobby.approve(knockId));
    if (intent === undefined) throw new SealroomClientError('UNKNOWN_KNOCK');
    await this.commit(intent);
  }

  async declineKnock(knockId: string): Promise<void> {
    this.assertAdmin();
    const declined = await this.parts.lock.run(() => this.parts.lobby.declinePending(knockId));
    if (!declined) throw new SealroomClientError('UNKNOWN_KNOCK');
  }

  markRead(): void {
    if (this.parts.status.dead) return;
    this.parts.receipts.markRead();
  }

  async leave(): Promise<void> {
    this.assertMember();
    await this.parts.outbox.queue({ k: 'leave' });
  }

  private async commit(intent: CommitIntent): Promise<void> {
    // Boxed: the lock is held to queue the intent, not while it is committed.
    const queued = await this.parts.lock.run(async () => ({ done: this.parts.commits.request(intent) }));
    await queued.done;
  }

  // ---------------------------------------------------------------------------------
  // Relay rooms (RelayRoomHost)
  // ---------------------------------------------------------------------------------

  async envelope(room: RelayRoom, cursor: number, envelope: Uint8Array, live: boolean): Promise<void> {
    await this.parts.lock.run(async () => {
      // A dead handle's keys belong to a locked identity: envelopes the transport still held
      // are fetched again after the next unlock. An unbound relay room's are not the room's.
      if (this.parts.status.dead || !this.parts.relays.has(room)) return;
      try {
        await this.parts.receiver.receive(room, cursor, envelope, live);
      } finally {
        room.advance(cursor);
        this.parts.persistence.persistSoon();
      }
    });
  }

  gap(room: RelayRoom, after: number, upTo: number): void {
    // Every envelope of an epoch room was sealed for its members, me included (the room begins
    // with the commit that let me in or moved me there): a gap there is always mine. Lobbies
    // and the previous epoch's room hold nothing of the conversation.
    if (room.role !== 'epoch') return;
    // An epoch room's cursor stays before a gap (relay-rooms.ts), so a later admission may
    // report the same range again: it is shown once.
    if ((this.gapsShown.get(room.roomId) ?? -1) >= upTo) return;
    this.gapsShown.set(room.roomId, upTo);
    void this.parts.lock.run(async () => {
      await this.parts.timeline.add({ kind: 'system', event: { type: 'gap', afterCursor: after, upToCursor: upTo } });
      this.ctx.events.emit('gap', { roomId: this.id, afterCursor: after, upToCursor: upTo });
    });
  }

  error(_room: RelayRoom, code: TransportErrorCode, message: string): void {
    this.parts.warn('relay-error', null, code, message);
  }

  ready(room: RelayRoom): void {
    const { status, lock, presence, outbox, senderKeys, commits, knocking, membership } = this.parts;
    if (room.role === 'lobby') {
      void lock.run(() => knocking.onReady());
      return;
    }
    if (room.role !== 'epoch') return;
    status.ready = true;
    status.wake();
    void lock.run(async () => commits.onReady());
    presence.start();
    void outbox.flush();
    senderKeys.sendPendingRequests();
    membership.emitRoom();
  }

  /**
   * The relay lost a relay room's history. In the current epoch's room a commit may have been
   * lost with it: ask to be welcomed again on my lobby (a member re-welcomes a current member),
   * which brings the whole log. Loss is never silent.
   */
  relayReset(room: RelayRoom, reset: RelayReset): void {
    if (room.role !== 'epoch' || this.record.status !== 'member') return;
    // What came after the last cursor of the lost incarnation may be gone: a gap open at the end.
    this.gap(room, reset.lastCursor, Number.MAX_SAFE_INTEGER);
    // A new incarnation counts its cursors afresh: its gaps are new ones.
    this.gapsShown.delete(room.roomId);
    void this.parts.lock.run(async () => {
      const lobby = this.parts.log.currentLobby();
      if (lobby === null || this.record.knock !== null) return;
      this.parts.knocking.begin(lobby);
      await this.parts.persistence.persist();
      this.parts.relays.sync();
      this.parts.membership.emitRoom();
    });
  }

  positionChanged(): void {
    this.parts.persistence.persistSoon();
  }

  disconnected(room: RelayRoom): void {
    if (room.role === 'epoch') this.parts.status.ready = false;
    if (room.role === 'lobby' && this.record.knock?.lobby.room === room.roomId) this.parts.knocking.onDisconnected();
  }

  // ---------------------------------------------------------------------------------
  // Lifecycle (used by the client)
  // ---------------------------------------------------------------------------------

  emitRoom(): void {
    this.parts.membership.emitRoom();
  }

  /** Tells the room I am going offline (best effort) and stops timers. */
  async goOffline(): Promise<void> {
    // Receipts still queued go with the goodbye, best effort as it is.
    await Promise.all([this.parts.receipts.flush(), this.parts.presence.sayOffline()]);
    this.parts.status.ready = false;
    this.stopTimers();
    await this.parts.lock.run(() => this.parts.persistence.persist());
  }

  /**
   * Ends this handle's life (lock/close); later calls reject with `LOCKED`. Resolves once the
   * envelope being processed (if any) is done and the state is stored, so nothing of this
   * handle writes to storage after the client is locked.
   */
  async kill(): Promise<void> {
    this.parts.status.dead = true;
    this.stopTimers();
    this.parts.commits.stop();
    this.parts.epochs.stop();
    // Transfers waiting for a reconnect would wait forever: end them now.
    this.parts.files.stopAll('CLOSED');
    this.parts.status.wake();
    await this.parts.lock.run(async () => {
      this.parts.relays.unbindAll();
      await this.parts.persistence.persist();
    });
  }

  private stopTimers(): void {
    this.parts.presence.stop();
    this.parts.receipts.stop();
    this.parts.timeline.stopExpiry();
  }

  private assertAlive(): void {
    if (this.parts.status.dead) throw new SealroomClientError('LOCKED', 'the client was locked: get the room handle again after unlock');
  }

  private assertMember(): void {
    this.assertAlive();
    if (this.record.status === 'knocking') throw new SealroomClientError('KNOCKING');
    if (this.record.status !== 'member') throw new SealroomClientError('ROOM_INACTIVE');
  }

  private assertAdmin(): void {
    this.assertMember();
    if (!this.parts.roster.isAdmin(this.myId)) throw new SealroomClientError('NOT_ADMIN');
  }
}
