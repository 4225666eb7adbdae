/**
 * One room on this device: membership and trust, sender keys and their rotation, the
 * outbox, catch-up bookkeeping, the timeline, presence and file transfers. It is the
 * transport's {@link RoomBinding} for the room and the implementation behind the public
 * {@link RoomHandle}.
 *
 * Procedures (PROTOCOL Part C):
 * - Join: catch up from cursor 0 (everything there predates me), then publish my join
 *   announcement. Members who did not know me re-announce themselves, so I learn them.
 * - Before any group send: rotate the sender key if a member left or was removed (or the
 *   protocol's budget is spent), then distribute it to every verified member lacking it.
 * - Receive: verify, de-duplicate by (sender, application id), store, emit.
 */
import {
  admissionProof,
  computeSafetyNumber,
  decodeFileManifest,
  equalBytes,
  fromBase64Url,
  openControl,
  openDirectMessage,
  openGroupMessage,
  openJoinAnnouncement,
  openSenderKeyDistribution,
  peekEnvelope,
  publicIdentityToJson,
  randomBytes,
  roomMember,
  sealControl,
  sealDirectMessage,
  sealJoinAnnouncement,
  shortFingerprint,
  toBase64Url,
  type ContentKind,
  type FileManifest,
  type RoomKeys,
  type UnlockedIdentity,
} from '@sealroom/protocol';
import type {
  DeliveryState,
  FileMessage,
  FileSource,
  HistoryOptions,
  MemberId,
  MemberInfo,
  RoomHandle,
  RoomSummary,
  SafetyNumber,
  SendTextOptions,
  TextMessage,
  TimelineItem,
} from './api.js';
import type { Clock } from './platform.js';
import { SealroomClientError } from './errors.js';
import type { EventHub } from './events.js';
import { AsyncLock } from './lock.js';
import { APP_ID_BYTES, decodePayload, encodePayload, MAX_TEXT_BYTES, type AppPayload } from './payloads.js';
import {
  toControlAction,
  type MemberRecord,
  type OutboxIntent,
  type RoomRecord,
} from './records.js';
import { TransportError, type RelayConnection, type RoomBinding } from './transport.js';
import type { Vault } from './vault.js';
import type { EnvelopeBytes } from './wire.js';
import { controlSeenKey, itemSeenKey, joinSeenKey, SeenIds } from './seen-ids.js';
import { RoomPersistence } from './room-persistence.js';
import { RoomStatus } from './room-status.js';
import { Timeline, type NewFile, type NewSystem, type NewText } from './timeline.js';
import { roomWarner, warnEnvelope, type Warn } from './warnings.js';
import { FileTransfers } from './files.js';
import { offerOf } from './file-room.js';
import { Presence } from './presence.js';
import { Roster, type LiveMember } from './roster.js';
import { SenderKeys } from './sender-key-rotation.js';
import { Outbox } from './outbox.js';

/** Milliseconds per second, for the disappearing timer's wire unit (seconds). */
const MS_PER_SECOND = 1000;

export interface SessionContext {
  me: UnlockedIdentity;
  vault: Vault;
  events: EventHub;
  clock: Clock;
  connection: RelayConnection;
  presenceTimeoutMs: number;
  /** Called when the room is left or I am removed, so the client can stop its transport. */
  onInactive(session: RoomSession): void;
}

export class RoomSession implements RoomHandle, RoomBinding {
  readonly id: string;
  readonly relayUrl: string;
  readonly roomId: string;
  private readonly lock = new AsyncLock();
  private roster!: Roster;
  private senderKeys!: SenderKeys;
  readonly seen: SeenIds;
  private outbox!: Outbox;
  private myMemberId = '';
  private beforeJoinPending = 0;
  private files!: FileTransfers;
  readonly status: RoomStatus;
  private readonly presence: Presence;
  readonly warn: Warn;
  private readonly persistence: RoomPersistence;
  private timeline!: Timeline;

  private constructor(
    private readonly ctx: SessionContext,
    readonly record: RoomRecord,
    readonly keys: RoomKeys,
  ) {
    this.id = record.id;
    this.roomId = record.id;
    this.relayUrl = record.relayUrl;
    this.seen = new SeenIds(record);
    this.status = new RoomStatus(() => record.active);
    this.warn = roomWarner(ctx.events, record.id);
    this.presence = new Presence(
      {
        isLive: () => this.record.active && this.status.ready,
        hasAudience: () => this.roster.size > 1 && this.record.joinCursor !== 0,
        isMember: (id) => this.roster.has(id),
        sendBeat: (payload) => this.sendEphemeral(payload),
      },
      { roomId: record.id, clock: ctx.clock, events: ctx.events, timeoutMs: ctx.presenceTimeoutMs },
    );
    this.persistence = new RoomPersistence({ vault: ctx.vault, clock: ctx.clock, lock: this.lock, record, isDead: () => this.status.dead });
  }

  /** Restores a session from its record (members re-imported, timeline loaded). */
  static async open(ctx: SessionContext, record: RoomRecord, keys: RoomKeys): Promise<RoomSession> {
    const session = new RoomSession(ctx, record, keys);
    session.myMemberId = toBase64Url(await roomMember(keys, ctx.me.public).then((m) => m.memberId));
    session.roster = await Roster.load(record, keys, session.myId, session.warn);
    session.senderKeys = new SenderKeys(
      {
        roster: session.roster,
        persistence: session.persistence,
        publish: (envelope) => ctx.connection.publish(record.id, envelope),
        canSendNow: () => session.status.ready && ctx.connection.isReady(record.id) && record.joinCursor !== 0,
        isAnnounced: () => record.active && !session.status.dead && record.joinCursor !== 0,
      },
      record,
      { keys, me: ctx.me, myId: session.myId, clock: ctx.clock },
    );
    session.timeline = await Timeline.load({ vault: ctx.vault, events: ctx.events, clock: ctx.clock, lock: session.lock, ownerId: session.myId, warn: session.warn }, record);
    session.outbox = await Outbox.load(
      {
        vault: ctx.vault,
        clock: ctx.clock,
        lock: session.lock,
        port: {
          persistence: session.persistence,
          canSend: () => record.active && ctx.connection.isReady(record.id),
          seal: (intent) => session.seal(intent),
          publish: (envelope) => ctx.connection.publish(record.id, envelope),
          delivered: (intent, cursor) => session.delivered(intent, cursor),
          warn: session.warn,
        },
      },
      record,
    );
    session.files = new FileTransfers({
      roomId: record.id,
      keys,
      myIdentityId: session.myId,
      myName: ctx.me.public.displayName,
      myMemberId: session.senderMemberId,
      clock: ctx.clock,
      events: ctx.events,
      timeline: session.timeline,
      warn: session.warn,
      locked: (task) => session.lock.run(task),
      sendGroup: (payload, content) => session.sendEphemeral(payload, content),
      publish: (envelope) => ctx.connection.publish(record.id, envelope),
      maxEnvelopeBytes: () => ctx.connection.maxEnvelopeBytes,
      waitForBufferBelow: (bytes) => ctx.connection.waitForBufferBelow(bytes),
      isReady: () => session.isReady(),
      nextReady: () => session.status.nextReady(),
    });
    session.timeline.scheduleExpiry();
    return session;
  }

  /** A fresh record for a room I create or join. */
  static newRecord(options: { keys: RoomKeys; secret: Uint8Array; creatorId: string; relayUrl: string; appUrl: string; name: string; now: number; me: UnlockedIdentity; myMemberId: string }): RoomRecord {
    const self: MemberRecord = {
      id: toBase64Url(options.me.public.id),
      memberId: options.myMemberId,
      identity: publicIdentityToJson(options.me.public),
      joinedAt: options.now,
      verified: true,
    };
    return {
      v: 1,
      id: options.keys.roomIdB64,
      secret: toBase64Url(options.secret),
      creatorId: options.creatorId,
      relayUrl: options.relayUrl,
      appUrl: options.appUrl,
      name: options.name,
      joinedAt: options.now,
      disappearingMs: null,
      active: true,
      removedBy: null,
      cursor: 0,
      joinCursor: 0,
      members: [self],
      removed: [],
      outboundKey: null,
      mustRotate: false,
      distributedTo: [],
      ring: { v: 1, keys: [] },
      seen: [],
      seenControl: [],
      nextItemSeq: 1,
      nextOutboxSeq: 1,
      lastActivityAt: options.now,
    };
  }

  get me(): UnlockedIdentity {
    return this.ctx.me;
  }

  get myId(): string {
    return toBase64Url(this.ctx.me.public.id);
  }

  get senderMemberId(): Uint8Array {
    return fromBase64Url(this.myMemberId)!;
  }

  // ---------------------------------------------------------------------------------
  // Public handle
  // ---------------------------------------------------------------------------------

  summary(): RoomSummary {
    const r = this.record;
    return {
      id: r.id,
      name: r.name,
      createdBy: r.creatorId,
      disappearingMs: r.disappearingMs,
      memberCount: this.roster.size,
      active: r.active,
      joinedAt: r.joinedAt,
      lastActivityAt: r.lastActivityAt,
    };
  }

  members(): MemberInfo[] {
    return [...this.roster.values()].map((m) => this.memberInfo(m.record));
  }

  memberInfo(record: MemberRecord): MemberInfo {
    const isMe = record.id === this.myId;
    return {
      id: record.id,
      displayName: record.identity.displayName,
      fingerprint: shortFingerprint(fromBase64Url(record.id)!),
      isMe,
      isCreator: record.id === this.record.creatorId,
      verified: record.verified,
      online: isMe ? this.status.ready : this.presence.isOnline(record.id),
      joinedAt: record.joinedAt,
    };
  }

  inviteLink(): string {
    // Built by the client (not stored) so the secret exists at rest only sealed in the record.
    return this.inviteFormatter(this);
  }

  /** Set by the client (it owns the invite format options). */
  inviteFormatter: (session: RoomSession) => string = () => '';

  async history(options: HistoryOptions = {}): Promise<TimelineItem[]> {
    return this.timeline.history(options);
  }

  async sendText(text: string, options: SendTextOptions = {}): Promise<TextMessage> {
    this.assertActive();
    if (new TextEncoder().encode(text).length > MAX_TEXT_BYTES) throw new SealroomClientError('MESSAGE_TOO_LARGE');
    const mentions = options.mentions ?? this.roster.findMentions(text);
    const payload: AppPayload = { t: 'text', id: toBase64Url(randomBytes(APP_ID_BYTES)), ts: this.ctx.clock.now(), body: text, mentions };
    return this.queueText(payload, null);
  }

  async sendDirect(to: MemberId, text: string): Promise<TextMessage> {
    this.assertActive();
    if (!this.roster.has(to) || to === this.myId) throw new SealroomClientError('UNKNOWN_MEMBER');
    if (new TextEncoder().encode(text).length > MAX_TEXT_BYTES) throw new SealroomClientError('MESSAGE_TOO_LARGE');
    const payload: AppPayload = { t: 'text', id: toBase64Url(randomBytes(APP_ID_BYTES)), ts: this.ctx.clock.now(), body: text, mentions: [] };
    return this.queueText(payload, to);
  }

  async sendFile(source: FileSource): Promise<FileMessage> {
    this.assertActive();
    return this.files.send(source);
  }

  async acceptFile(fileId: string, sink: WritableStream<Uint8Array>): Promise<void> {
    this.assertAlive();
    return this.files.accept(fileId, sink);
  }

  async declineFile(fileId: string): Promise<void> {
    this.assertAlive();
    return this.files.decline(fileId);
  }

  async markVerified(member: MemberId, verified: boolean): Promise<void> {
    this.assertAlive();
    await this.lock.run(async () => {
      const live = this.roster.get(member);
      if (live === undefined) throw new SealroomClientError('UNKNOWN_MEMBER');
      live.record.verified = verified;
      await this.persist();
      this.ctx.events.emit('member-updated', { roomId: this.id, member: this.memberInfo(live.record) });
    });
  }

  async safetyNumber(member: MemberId): Promise<SafetyNumber> {
    const live = this.roster.get(member);
    if (live === undefined) throw new SealroomClientError('UNKNOWN_MEMBER');
    const number = await computeSafetyNumber(this.ctx.me.public, live.member.identity);
    return { digits: number.digits, display: number.display, qrPayload: number.scannable };
  }

  async setDisappearingTimer(ms: number | null): Promise<void> {
    this.assertActive();
    const seconds = ms === null ? 0 : Math.max(1, Math.round(ms / MS_PER_SECOND));
    await this.queue({ k: 'control', action: { kind: 'settings', disappearingAfterSeconds: seconds } });
  }

  async removeMember(member: MemberId): Promise<void> {
    this.assertActive();
    if (this.record.creatorId !== this.myId) throw new SealroomClientError('NOT_CREATOR');
    if (!this.roster.has(member) || member === this.myId) throw new SealroomClientError('UNKNOWN_MEMBER');
    await this.queue({ k: 'control', action: { kind: 'remove', target: member } });
  }

  async leave(): Promise<void> {
    this.assertActive();
    await this.queue({ k: 'control', action: { kind: 'leave' } });
  }

  // ---------------------------------------------------------------------------------
  // Transport binding
  // ---------------------------------------------------------------------------------

  cursor(): number {
    return this.record.cursor;
  }

  async prove(nonce: Uint8Array): Promise<{ mac: Uint8Array; key: Uint8Array }> {
    return { mac: await admissionProof(this.keys.admissionKey, this.keys.roomId, nonce), key: this.keys.admissionKey };
  }

  onRelayReset(): void {
    this.record.cursor = 0;
  }

  onGap(after: number, upTo: number): void {
    // A newcomer's first catch-up from 0 finds the room's trimmed past: that is not a gap in
    // anything it could have read.
    if (this.record.joinCursor === 0 && this.record.cursor === 0) return;
    void this.lock.run(async () => {
      await this.addItem({ kind: 'system', event: { type: 'gap', afterCursor: after, upToCursor: upTo } });
      this.ctx.events.emit('gap', { roomId: this.id, afterCursor: after, upToCursor: upTo });
    });
  }

  onError(code: string, message: string): void {
    this.warn('relay-error', null, code, message);
  }

  onReady(): void {
    this.status.ready = true;
    this.status.wake();
    void this.lock.run(async () => {
      await this.flushBeforeJoin();
      if (this.record.disappearingMs !== null) this.ctx.connection.requestRetention(this.id, this.record.disappearingMs);
    });
    this.presence.start();
    void this.outbox.flush();
    this.senderKeys.sendPendingRequests();
  }

  onDisconnected(): void {
    this.status.ready = false;
  }

  /** Resolves at the next `onReady` (after a reconnect's catch-up) or when the room goes inactive. */
  nextReady(): Promise<void> {
    return this.status.nextReady();
  }

  async onEnvelope(cursor: number, envelope: Uint8Array, live: boolean): Promise<void> {
    await this.lock.run(async () => {
      // A dead handle's keys belong to a locked identity: envelopes the transport still held
      // are fetched again after the next unlock.
      if (!this.record.active || this.status.dead) return;
      try {
        await this.receive(cursor, envelope, live);
      } finally {
        this.record.cursor = Math.max(this.record.cursor, cursor);
        this.persistSoon();
      }
    });
  }

  // ---------------------------------------------------------------------------------
  // Receiving
  // ---------------------------------------------------------------------------------

  private async receive(cursor: number, envelope: Uint8Array, live: boolean): Promise<void> {
    const peeked = peekEnvelope(envelope);
    if (!peeked.ok) return this.warn('bad-message', null, peeked.code, 'envelope does not parse');
    const peek = peeked.peek;
    if (!equalBytes(peek.roomId, this.keys.roomId)) return this.warn('bad-message', null, 'WRONG_ROOM', 'envelope names another room');
    const senderB64 = toBase64Url(peek.sender);
    if (senderB64 === this.myMemberId) return; // my own envelopes come back in catch-up

    if (peek.type === 'join') return this.receiveJoin(envelope, cursor);

    const sender = this.roster.bySender(senderB64);
    if (sender === undefined) {
      if (peek.type === 'sender-key' || peek.type === 'direct') {
        if (peek.recipient !== undefined && toBase64Url(peek.recipient) !== this.myMemberId) return;
      }
      if (peek.type === 'file-chunk') return;
      if (this.isBeforeMyJoin(cursor)) {
        if (peek.type === 'group') this.beforeJoinPending += 1;
        return;
      }
      return this.warn('unknown-sender', null, 'UNKNOWN_SENDER', 'envelope from someone who is not a verified member');
    }

    switch (peek.type) {
      case 'control':
        return this.receiveControl(envelope, sender);
      case 'sender-key': {
        if (peek.recipient === undefined || toBase64Url(peek.recipient) !== this.myMemberId) return;
        const opened = await openSenderKeyDistribution({ roomKeys: this.keys, me: this.ctx.me, sender: sender.member, envelope, ring: this.record.ring });
        if (!opened.ok) {
          // The answer to my key request can cross the sender's own distribution: not a replay.
          if (opened.code === 'KEY_ALREADY_KNOWN' && this.senderKeys.hasRequestedFrom(sender.record.id)) return;
          return warnEnvelope(this.warn, opened.code, sender.record.id);
        }
        this.record.ring = opened.ring;
        // Stored at once, not within the debounce: a tab closed in that window would come back
        // with neither this key nor a cursor before it, and retention may have dropped the
        // distribution by then — every later message of this sender unreadable.
        await this.persist();
        return;
      }
      case 'group': {
        const opened = await openGroupMessage({ roomKeys: this.keys, sender: sender.member, envelope, ring: this.record.ring });
        if (!opened.ok) {
          if (opened.code === 'UNKNOWN_SENDER_KEY' || opened.code === 'BEFORE_KEY') {
            if (this.isBeforeMyJoin(cursor)) {
              this.beforeJoinPending += 1;
              if (this.status.ready) await this.flushBeforeJoin();
              return;
            }
            // After my join: the distribution was lost (retention gap). The message is part of
            // the gap; ask the sender for its current key so what follows opens (C.5).
            if (opened.code === 'UNKNOWN_SENDER_KEY') this.senderKeys.requestKey(sender.record.id);
            return;
          }
          return warnEnvelope(this.warn, opened.code, sender.record.id);
        }
        this.record.ring = opened.ring;
        if (opened.content === 'file-manifest') return this.receiveManifest(opened.payload, sender, null);
        return this.receivePayload(opened.payload, sender, null, live);
      }
      case 'direct': {
        if (peek.recipient === undefined || toBase64Url(peek.recipient) !== this.myMemberId) return;
        const opened = await openDirectMessage({ roomKeys: this.keys, me: this.ctx.me, sender: sender.member, envelope });
        if (!opened.ok) return warnEnvelope(this.warn, opened.code, sender.record.id);
        if (opened.content === 'file-manifest') return this.receiveManifest(opened.payload, sender, this.myId);
        return this.receivePayload(opened.payload, sender, this.myId, live);
      }
      case 'file-chunk':
        return this.files.onChunk(envelope, sender, peek.fileId);
      default:
        return this.warn('bad-message', sender.record.id, 'BAD_TYPE', 'unexpected envelope type');
    }
  }

  private isBeforeMyJoin(cursor: number): boolean {
    return this.record.joinCursor === 0 || cursor < this.record.joinCursor;
  }

  private async receiveJoin(envelope: Uint8Array, cursor: number): Promise<void> {
    const opened = await openJoinAnnouncement({ roomKeys: this.keys, envelope });
    if (!opened.ok) return warnEnvelope(this.warn, opened.code, null);
    const identity = opened.member.identity;
    const id = toBase64Url(identity.id);
    if (id === this.myId) return;
    // Catch-up never hands the same cursor twice, so a second copy is a replay: without this,
    // an old announcement of someone who since left would bring them back.
    const dedupe = joinSeenKey(toBase64Url(opened.messageId));
    if (this.seen.has(dedupe)) return warnEnvelope(this.warn, 'DUPLICATE', id);
    this.seen.remember(dedupe, true);
    const record = this.roster.admit(opened.member, this.ctx.clock.now());
    if (record === undefined) return;
    await this.addItem({ kind: 'system', event: { type: 'member-joined', member: id, name: identity.displayName } });
    this.ctx.events.emit('member-joined', { roomId: this.id, member: this.memberInfo(record) });
    this.emitRoom();
    // They may not know me (my announcement can be gone from retention, or they joined after
    // it): announce myself again. Only members new to me trigger this, so it terminates.
    if (this.record.joinCursor !== 0 && cursor > this.record.joinCursor) {
      await this.outbox.queueLocked({ k: 'announce' });
    }
  }

  private async receiveControl(envelope: Uint8Array, sender: LiveMember): Promise<void> {
    const opened = await openControl({ roomKeys: this.keys, envelope, sender: sender.member, creatorId: fromBase64Url(this.record.creatorId)! });
    if (!opened.ok) return warnEnvelope(this.warn, opened.code, sender.record.id);
    // A replayed control (an old timer setting, say) must not apply again.
    const dedupe = controlSeenKey(toBase64Url(opened.messageId));
    if (this.seen.has(dedupe)) return warnEnvelope(this.warn, 'DUPLICATE', sender.record.id);
    this.seen.remember(dedupe, true);
    const action = opened.action;
    if (action.kind === 'settings') {
      const ms = action.disappearingAfterSeconds === 0 ? null : action.disappearingAfterSeconds * MS_PER_SECOND;
      await this.applyTimer(ms, sender.record.id);
      return;
    }
    const targetId = action.kind === 'leave' ? sender.record.id : toBase64Url(action.target);
    if (targetId === this.myId) {
      if (action.kind === 'remove') await this.removedMe(sender.record.id);
      return;
    }
    await this.dropMember(targetId, action.kind === 'leave' ? null : sender.record.id);
  }

  private async applyTimer(ms: number | null, by: string): Promise<void> {
    this.record.disappearingMs = ms;
    await this.addItem({ kind: 'system', event: { type: 'timer-set', by, disappearingMs: ms } });
    if (ms !== null) this.ctx.connection.requestRetention(this.id, ms);
    this.emitRoom();
  }

  private async dropMember(id: string, removedBy: string | null): Promise<void> {
    const live = this.roster.drop(id, removedBy);
    if (live === undefined) return;
    this.presence.forget(id);
    this.senderKeys.forgetMember(live);
    const info = this.memberInfo(live.record);
    const name = live.record.identity.displayName;
    if (removedBy === null) {
      await this.addItem({ kind: 'system', event: { type: 'member-left', member: id, name } });
      this.ctx.events.emit('member-left', { roomId: this.id, member: info });
    } else {
      await this.addItem({ kind: 'system', event: { type: 'member-removed', member: id, name, by: removedBy } });
      this.ctx.events.emit('member-removed', { roomId: this.id, member: info, by: removedBy });
    }
    this.files.onMemberGone(id);
    this.emitRoom();
    this.presence.emit();
  }

  private async removedMe(by: string): Promise<void> {
    await this.addItem({ kind: 'system', event: { type: 'removed-me', by } });
    await this.deactivate(by);
    this.ctx.events.emit('removed-me', { roomId: this.id, by });
  }

  private async deactivate(removedBy: string | null): Promise<void> {
    this.record.active = false;
    this.record.removedBy = removedBy;
    this.senderKeys.forgetAll();
    // Presence ends; expiry does not: disappearing messages go on the timer also when I left.
    this.presence.stop();
    await this.outbox.clear();
    this.files.stopAll('ROOM_INACTIVE');
    this.status.wake();
    this.ctx.onInactive(this);
    this.emitRoom();
  }

  private async receivePayload(bytes: Uint8Array, sender: LiveMember, directTo: string | null, live: boolean): Promise<void> {
    const payload = decodePayload(bytes);
    if (payload === undefined) return this.warn('bad-message', sender.record.id, 'BAD_PAYLOAD', 'message content does not parse');
    switch (payload.t) {
      case 'text': {
        const dedupe = itemSeenKey(sender.record.id, payload.id);
        if (this.seen.has(dedupe)) return;
        this.seen.remember(dedupe, directTo !== null);
        const mentions = payload.mentions.filter((m) => this.roster.has(m));
        await this.addItem({
          kind: 'text',
          id: dedupe,
          sender: sender.record.id,
          senderName: sender.record.identity.displayName,
          text: payload.body,
          mentions,
          mentionsMe: mentions.includes(this.myId),
          directTo,
          state: 'received',
          sentAt: payload.ts,
        });
        this.presence.markOnline(sender.record.id, live);
        return;
      }
      case 'presence':
        if (!live) return; // an old beat from catch-up says nothing about now
        if (payload.state === 'online') this.presence.markOnline(sender.record.id, true);
        else this.presence.markOffline(sender.record.id);
        return;
      case 'file-offer':
        return; // offers travel as manifests (content kind file-manifest)
      case 'key-request':
        if (directTo !== null) this.senderKeys.answerKeyRequest(sender.record.id);
        return;
      case 'file-accept':
      case 'file-decline':
      case 'file-progress':
      case 'file-cancel':
      case 'file-resend':
        return this.files.onControl(payload, sender.record.id);
    }
  }

  private async receiveManifest(bytes: Uint8Array, sender: LiveMember, directTo: string | null): Promise<void> {
    const decoded = decodeFileManifest(bytes);
    if (!decoded.ok) return warnEnvelope(this.warn, decoded.code, sender.record.id);
    const manifest: FileManifest = decoded.manifest;
    const fileId = toBase64Url(manifest.fileId);
    const dedupe = itemSeenKey(sender.record.id, fileId);
    if (this.seen.has(dedupe)) return;
    const owner = this.files.offeredBy(fileId);
    if (owner !== undefined && owner !== sender.record.id) {
      return this.warn('bad-message', sender.record.id, 'FILE_ID_TAKEN', 'a file offer reuses the id of another member’s file');
    }
    this.seen.remember(dedupe);
    void directTo;
    const item = (await this.addItem({
      kind: 'file',
      id: dedupe,
      sender: sender.record.id,
      senderName: sender.record.identity.displayName,
      file: offerOf(manifest),
      transfer: 'offered',
      state: 'received',
      sentAt: this.ctx.clock.now(),
    })) as FileMessage;
    this.files.onOffer(manifest, sender, item);
    this.ctx.events.emit('file-offer', { roomId: this.id, item });
  }

  private async flushBeforeJoin(): Promise<void> {
    if (this.beforeJoinPending === 0) return;
    const count = this.beforeJoinPending;
    this.beforeJoinPending = 0;
    await this.addItem({ kind: 'system', event: { type: 'before-join', count } });
  }

  /** Stores a timeline item and emits `message`. Callers hold the lock. */
  addItem(partial: NewText): Promise<TextMessage>;
  addItem(partial: NewFile): Promise<FileMessage>;
  addItem(partial: NewSystem): Promise<TimelineItem>;
  addItem(partial: NewText | NewFile | NewSystem): Promise<TimelineItem> {
    return this.timeline.add(partial as NewText);
  }

  updateItem(id: string, change: (item: TimelineItem) => TimelineItem): Promise<TimelineItem | undefined> {
    return this.timeline.update(id, change);
  }

  // ---------------------------------------------------------------------------------
  // Sending
  // ---------------------------------------------------------------------------------

  private async queueText(payload: Extract<AppPayload, { t: 'text' }>, directTo: string | null): Promise<TextMessage> {
    return this.lock.run(async () => {
      const id = itemSeenKey(this.myId, payload.id);
      this.seen.remember(id);
      const item = (await this.addItem({
        kind: 'text',
        id,
        sender: this.myId,
        senderName: this.ctx.me.public.displayName,
        text: payload.body,
        mentions: payload.mentions,
        mentionsMe: false,
        directTo,
        state: 'pending',
        sentAt: payload.ts,
      })) as TextMessage;
      await this.outbox.queueLocked(directTo === null ? { k: 'group', payload, itemId: id } : { k: 'direct', to: directTo, payload, itemId: id });
      void this.outbox.flush();
      return item;
    });
  }

  /** Persists an intent in the outbox, then tries to send. */
  queue(intent: OutboxIntent): Promise<void> {
    return this.outbox.queue(intent);
  }

  /** Seals an outbox intent (caller holds the lock). */
  private async seal(intent: OutboxIntent): Promise<EnvelopeBytes> {
      switch (intent.k) {
        case 'announce': {
          return (await sealJoinAnnouncement({ roomKeys: this.keys, me: this.ctx.me })).envelope;
        }
        case 'control': {
          const sealed = await sealControl({ roomKeys: this.keys, me: this.ctx.me, action: toControlAction(intent.action, (b64) => fromBase64Url(b64)!) });
          if (intent.action.kind === 'remove') {
            // Anything I seal from now on follows the removal in cursor order, even what I seal
            // while its ack is on the way (presence, a file offer carrying its file key): it
            // must not be readable with the key the removed member holds.
            this.roster.markDeparting(intent.action.target);
            this.senderKeys.rotateBeforeNextSend();
          }
          return sealed.envelope;
        }
        case 'group': {
          return this.senderKeys.sealGroup(encodePayload(intent.payload));
        }
        case 'direct': {
          const to = this.roster.get(intent.to);
          if (to === undefined) throw new TransportError('UNKNOWN_RECIPIENT');
          return (await sealDirectMessage({ roomKeys: this.keys, me: this.ctx.me, recipient: to.member, payload: encodePayload(intent.payload) })).envelope;
        }
      }
  }

  /** What the relay's acknowledgement of an outbox intent changes (caller holds the lock). */
  private async delivered(intent: OutboxIntent, cursor: number): Promise<void> {
      if (intent.k === 'announce' && this.record.joinCursor === 0) {
        this.record.joinCursor = cursor;
        await this.persist();
        this.presence.restart();
      }
      if (intent.k === 'control') await this.afterOwnControl(intent.action);
      if ((intent.k === 'group' || intent.k === 'direct') && intent.itemId !== undefined) {
        await this.updateItem(intent.itemId, (item) => (item.kind === 'text' ? { ...item, state: 'sent' as DeliveryState } : item));
        this.ctx.events.emit('delivery', { roomId: this.id, id: intent.itemId, state: 'sent' });
      }
  }

  private async afterOwnControl(action: Extract<OutboxIntent, { k: 'control' }>['action']): Promise<void> {
    if (action.kind === 'leave') {
      await this.addItem({ kind: 'system', event: { type: 'member-left', member: this.myId, name: this.ctx.me.public.displayName } });
      this.ctx.connection.removeRoom(this.id);
      await this.deactivate(null);
    } else if (action.kind === 'remove') {
      await this.dropMember(action.target, this.myId);
    } else {
      await this.applyTimer(action.disappearingAfterSeconds === 0 ? null : action.disappearingAfterSeconds * MS_PER_SECOND, this.myId);
    }
    await this.persist();
  }

  /** Seals and publishes a group payload outside the outbox (presence, file control). */
  async sendEphemeral(payload: AppPayload | Uint8Array, content: ContentKind = 'message'): Promise<number> {
    // Not a transport error: callers that wait out a disconnection (a file offer retries for a
    // minute) must stop at once when the client is locked or closed.
    this.assertAlive();
    const sent = await this.lock.run(async () => {
      // Nothing of mine may precede my join announcement: members would not know the sender.
      if (!this.record.active || !this.ctx.connection.isReady(this.id) || this.record.joinCursor === 0) throw new TransportError('NOT_CONNECTED');
      const envelope = await this.senderKeys.sealGroup(payload instanceof Uint8Array ? payload : encodePayload(payload), content);
      return { ack: this.ctx.connection.publish(this.id, envelope) };
    });
    return sent.ack;
  }

  /** Tells the room I am going offline (best effort) and stops timers. */
  async goOffline(): Promise<void> {
    await this.presence.sayOffline();
    this.status.ready = false;
    this.stopTimers();
    await this.lock.run(() => this.persist());
  }

  stopTimers(): void {
    this.presence.stop();
    this.timeline.stopExpiry();
  }

  /**
   * Ends this handle's life (lock/close); later calls reject with `LOCKED`. Resolves once the
   * envelope being processed (if any) is done and the state is stored, so nothing of this
   * handle writes to storage after the client is locked.
   */
  async kill(): Promise<void> {
    this.status.dead = true;
    this.stopTimers();
    // Transfers waiting for a reconnect would wait forever: end them now.
    this.files.stopAll('CLOSED');
    this.status.wake();
    await this.lock.run(() => this.persist());
  }

  private assertAlive(): void {
    if (this.status.dead) throw new SealroomClientError('LOCKED', 'the client was locked: get the room handle again after unlock');
  }

  private assertActive(): void {
    this.assertAlive();
    if (!this.record.active) throw new SealroomClientError('ROOM_INACTIVE');
  }

  private persistSoon(): void {
    this.persistence.persistSoon();
  }

  persist(): Promise<void> {
    return this.persistence.persist();
  }

  emitRoom(): void {
    this.ctx.events.emit('room', { roomId: this.id, summary: this.summary() });
  }

  isReady(): boolean {
    return this.status.ready && this.ctx.connection.isReady(this.id);
  }
}
