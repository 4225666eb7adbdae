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
  createSenderKey,
  decodeFileManifestV1 as decodeFileManifest,
  equalBytes,
  forgetSender,
  fromBase64Url,
  importPublicIdentityJson,
  openControl,
  openDirectMessage,
  openGroupMessage,
  openJoinAnnouncement,
  openSenderKeyDistributionV1 as openSenderKeyDistribution,
  peekEnvelope,
  publicIdentityToJson,
  roomMember,
  sealControl,
  sealDirectMessage,
  sealGroupMessage,
  sealJoinAnnouncement,
  sealSenderKeyDistributionV1 as sealSenderKeyDistribution,
  senderKeyNeedsRotation,
  shortFingerprint,
  toBase64Url,
  type EnvelopeErrorCode,
  type FileManifestV1 as FileManifest,
  type RoomKeys,
  type RoomMember,
  type UnlockedIdentity,
} from '@sealroom/protocol';
import type {
  Clock,
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
  SystemEvent,
  TextMessage,
  TimelineItem,
  WarningKind,
} from './index.js';
import { SealroomClientError } from './errors.js';
import type { EventHub } from './events.js';
import { randomBytes } from './encoding.js';
import { AsyncLock } from './lock.js';
import { APP_ID_BYTES, decodePayload, encodePayload, MAX_TEXT_BYTES, type AppPayload } from './payloads.js';
import {
  outboxPrefix,
  roomKey,
  seqKey,
  timelinePrefix,
  toControlAction,
  type MemberRecord,
  type OutboxEntry,
  type OutboxIntent,
  type RoomRecord,
  type StoredItem,
} from './records.js';
import { TransportError, type RelayConnection, type RoomBinding } from './transport.js';
import type { Vault } from './vault.js';
import type { EnvelopeBytes } from './wire.js';
import { FileTransfers } from './files.js';

/**
 * De-duplication keys remembered per room for exactly-once display: several catch-up pages'
 * worth, while keeping the room record (rewritten as envelopes arrive) small. Announcements,
 * controls and direct messages get the same number again, of their own (see `remember`).
 */
export const MAX_SEEN_IDS = 5_000;
/** De-duplication key prefixes of announcements and controls (by envelope message id). */
const JOIN_SEEN_PREFIX = 'join/';
const CONTROL_SEEN_PREFIX = 'control/';
/**
 * Receive-side state is persisted at most this often, ms: one write per catch-up burst
 * instead of one per envelope. A crash inside the window rewinds the cursor a little; the
 * envelopes are processed again and de-duplicated against the stored timeline.
 */
const PERSIST_DEBOUNCE_MS = 200;
/**
 * Presence beat interval while a room is connected, ms. Every beat is a group message the
 * relay retains and every member processes, so it is kept slow.
 */
export const PRESENCE_INTERVAL_MS = 30_000;
/** Relay refusals (Part A.7) after which the same envelope can succeed later. */
const RETRYABLE_REFUSALS = new Set(['RATE_LIMITED', 'UNAVAILABLE', 'NOT_JOINED']);
/** Wait before retrying a publish the relay refused for rate, ms. */
const RATE_LIMIT_RETRY_MS = 1_000;
/** Characters of my identity id in system item ids: enough to tell identities on one storage apart. */
const SYSTEM_ITEM_OWNER_CHARS = 8;
/**
 * Least time between two key requests I send to one member, and between two I answer from
 * one member, ms (C.5 key recovery): a lost distribution costs one request, never a flood.
 */
export const KEY_REQUEST_INTERVAL_MS = 10_000;
/** Milliseconds per second, for the disappearing timer's wire unit (seconds). */
const MS_PER_SECOND = 1000;

/**
 * The form in which two display names count as the same for clash warnings. Readers do not
 * tell "Bob" from "bob" or fullwidth "Ｂｏｂ", so neither may an impostor's name slip past.
 */
function nameKey(displayName: string): string {
  return displayName.normalize('NFKC').toLowerCase();
}

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

interface LiveMember {
  record: MemberRecord;
  member: RoomMember;
}

export class RoomSession implements RoomHandle, RoomBinding {
  readonly id: string;
  readonly relayUrl: string;
  readonly roomId: string;
  private readonly lock = new AsyncLock();
  private readonly roster = new Map<string, LiveMember>();
  /** Room-scoped member id (b64) → identity id (b64). */
  private readonly byMemberId = new Map<string, string>();
  private readonly seen: Set<string>;
  private items: StoredItem[] = [];
  private readonly itemById = new Map<string, StoredItem>();
  /** The outbox, mirrored in storage (sealed) so it survives reloads. */
  private outbox: OutboxEntry[] = [];
  private persistTimer: unknown;
  private readonly online = new Map<string, number>();
  private myMemberId = '';
  private flushing = false;
  private presenceTimer: unknown;
  private expiryTimer: unknown;
  private beforeJoinPending = 0;
  private ready = false;
  /**
   * Targets of my own removals that are published but not yet acknowledged (the roster drops
   * them on the ack). They get no sender key, and the key they hold is rotated away, already.
   */
  private readonly departing = new Set<string>();
  /** Key recovery (C.5): when I last asked each member for its key / answered its request. */
  private readonly keyRequestedAt = new Map<string, number>();
  private readonly keyAnsweredAt = new Map<string, number>();
  /** Members to ask for their key once the room is ready (requests found during catch-up). */
  private readonly pendingKeyRequests = new Set<string>();
  readonly files: FileTransfers;

  private constructor(
    private readonly ctx: SessionContext,
    readonly record: RoomRecord,
    readonly keys: RoomKeys,
  ) {
    this.id = record.id;
    this.roomId = record.id;
    this.relayUrl = record.relayUrl;
    record.seenControl ??= [];
    this.seen = new Set([...record.seen, ...record.seenControl]);
    this.files = new FileTransfers(this, ctx);
  }

  /** Restores a session from its record (members re-imported, timeline loaded). */
  static async open(ctx: SessionContext, record: RoomRecord, keys: RoomKeys): Promise<RoomSession> {
    const session = new RoomSession(ctx, record, keys);
    session.myMemberId = toBase64Url(await roomMember(keys, ctx.me.public).then((m) => m.memberId));
    for (const member of record.members) {
      const imported = await importPublicIdentityJson(member.identity);
      if (!imported.ok) continue;
      const live = { record: member, member: await roomMember(keys, imported.identity) };
      session.roster.set(member.id, live);
      session.byMemberId.set(member.memberId, member.id);
    }
    const stored = await Promise.all((await ctx.vault.keys(timelinePrefix(record.id))).sort().map((key) => ctx.vault.get<StoredItem>(key)));
    session.items = stored.filter((entry): entry is StoredItem => entry !== undefined).sort((a, b) => a.seq - b.seq);
    for (const entry of session.items) session.itemById.set(entry.item.id, entry);
    const queued = await Promise.all((await ctx.vault.keys(outboxPrefix(record.id))).map((key) => ctx.vault.get<OutboxEntry>(key)));
    session.outbox = queued.filter((entry): entry is OutboxEntry => entry !== undefined).sort((a, b) => a.seq - b.seq);
    session.scheduleExpiry();
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
    const seen = this.online.get(record.id);
    const isMe = record.id === this.myId;
    return {
      id: record.id,
      displayName: record.identity.displayName,
      fingerprint: shortFingerprint(fromBase64Url(record.id)!),
      isMe,
      isCreator: record.id === this.record.creatorId,
      verified: record.verified,
      online: isMe ? this.ready : seen !== undefined && this.ctx.clock.now() - seen < this.ctx.presenceTimeoutMs,
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
    let list = this.items.map((entry) => entry.item);
    if (options.before !== undefined) {
      const index = list.findIndex((item) => item.id === options.before);
      if (index >= 0) list = list.slice(0, index);
    }
    if (options.limit !== undefined) list = list.slice(Math.max(0, list.length - options.limit));
    return list;
  }

  async sendText(text: string, options: SendTextOptions = {}): Promise<TextMessage> {
    this.assertActive();
    if (new TextEncoder().encode(text).length > MAX_TEXT_BYTES) throw new SealroomClientError('MESSAGE_TOO_LARGE');
    const mentions = options.mentions ?? this.findMentions(text);
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
    this.ready = true;
    this.wakeReadyWaiters();
    void this.lock.run(async () => {
      await this.flushBeforeJoin();
      if (this.record.disappearingMs !== null) this.ctx.connection.requestRetention(this.id, this.record.disappearingMs);
    });
    this.startPresence();
    void this.flush();
    this.files.onReady();
    const pending = [...this.pendingKeyRequests];
    this.pendingKeyRequests.clear();
    for (const id of pending) void this.sendKeyRequest(id);
  }

  onDisconnected(): void {
    this.ready = false;
  }

  private readyWaiters: (() => void)[] = [];

  /** Resolves at the next `onReady` (after a reconnect's catch-up) or when the room goes inactive. */
  nextReady(): Promise<void> {
    if (!this.record.active || this.dead) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private wakeReadyWaiters(): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const wake of waiters) wake();
  }

  async onEnvelope(cursor: number, envelope: Uint8Array, live: boolean): Promise<void> {
    await this.lock.run(async () => {
      // A dead handle's keys belong to a locked identity: envelopes the transport still held
      // are fetched again after the next unlock.
      if (!this.record.active || this.dead) return;
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

    const identityId = this.byMemberId.get(senderB64);
    const sender = identityId === undefined ? undefined : this.roster.get(identityId);
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
          if (opened.code === 'KEY_ALREADY_KNOWN' && this.keyRequestedAt.has(sender.record.id)) return;
          return this.warnEnvelope(opened.code, sender.record.id);
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
              if (this.ready) await this.flushBeforeJoin();
              return;
            }
            // After my join: the distribution was lost (retention gap). The message is part of
            // the gap; ask the sender for its current key so what follows opens (C.5).
            if (opened.code === 'UNKNOWN_SENDER_KEY') this.requestKey(sender.record.id);
            return;
          }
          return this.warnEnvelope(opened.code, sender.record.id);
        }
        this.record.ring = opened.ring;
        if (opened.content === 'file-manifest') return this.receiveManifest(opened.payload, sender, null);
        return this.receivePayload(opened.payload, sender, null, live);
      }
      case 'direct': {
        if (peek.recipient === undefined || toBase64Url(peek.recipient) !== this.myMemberId) return;
        const opened = await openDirectMessage({ roomKeys: this.keys, me: this.ctx.me, sender: sender.member, envelope });
        if (!opened.ok) return this.warnEnvelope(opened.code, sender.record.id);
        if (opened.content === 'file-manifest') return this.receiveManifest(opened.payload, sender, this.myId);
        return this.receivePayload(opened.payload, sender, this.myId, live);
      }
      case 'file-chunk':
        return this.files.onChunk(envelope, sender, peek.fileId);
      default:
        return this.warn('bad-message', sender.record.id, 'BAD_TYPE', 'unexpected envelope type');
    }
  }

  /**
   * Asks a member, by direct message, for its current sender key (C.5 key recovery). At most
   * one request per member per {@link KEY_REQUEST_INTERVAL_MS}; requests found in catch-up
   * go out once the room is ready. Caller holds the lock.
   */
  private requestKey(memberId: string): void {
    const now = this.ctx.clock.now();
    const last = this.keyRequestedAt.get(memberId);
    if (last !== undefined && now - last < KEY_REQUEST_INTERVAL_MS) return;
    this.keyRequestedAt.set(memberId, now);
    if (this.ready && this.ctx.connection.isReady(this.id) && this.record.joinCursor !== 0) void this.sendKeyRequest(memberId);
    else this.pendingKeyRequests.add(memberId);
  }

  private async sendKeyRequest(memberId: string): Promise<void> {
    const to = this.roster.get(memberId);
    if (to === undefined || !this.record.active || this.dead || this.record.joinCursor === 0) return;
    try {
      const sealed = await sealDirectMessage({ roomKeys: this.keys, me: this.ctx.me, recipient: to.member, payload: encodePayload({ t: 'key-request', ts: this.ctx.clock.now() }) });
      await this.ctx.connection.publish(this.id, sealed.envelope);
    } catch {
      // Best effort: the next unreadable message asks again after the interval.
      this.keyRequestedAt.delete(memberId);
    }
  }

  /**
   * A current member (its announcement verified, it is in my roster) lacks my sender key:
   * my next group send distributes my *current* chain state to it first, in cursor order
   * before the message. Never old chain keys, never to a removed or departing member.
   * Caller holds the lock.
   */
  private answerKeyRequest(memberId: string): void {
    if (memberId === this.myId || !this.roster.has(memberId) || this.record.removed.includes(memberId) || this.departing.has(memberId)) return;
    const now = this.ctx.clock.now();
    const last = this.keyAnsweredAt.get(memberId);
    if (last !== undefined && now - last < KEY_REQUEST_INTERVAL_MS) return;
    this.keyAnsweredAt.set(memberId, now);
    if (!this.record.distributedTo.includes(memberId)) return;
    this.record.distributedTo = this.record.distributedTo.filter((id) => id !== memberId);
    this.persistSoon();
  }

  private isBeforeMyJoin(cursor: number): boolean {
    return this.record.joinCursor === 0 || cursor < this.record.joinCursor;
  }

  private async receiveJoin(envelope: Uint8Array, cursor: number): Promise<void> {
    const opened = await openJoinAnnouncement({ roomKeys: this.keys, envelope });
    if (!opened.ok) return this.warnEnvelope(opened.code, null);
    const identity = opened.member.identity;
    const id = toBase64Url(identity.id);
    if (id === this.myId) return;
    // Catch-up never hands the same cursor twice, so a second copy is a replay: without this,
    // an old announcement of someone who since left would bring them back.
    const dedupe = `${JOIN_SEEN_PREFIX}${toBase64Url(opened.messageId)}`;
    if (this.seen.has(dedupe)) return this.warnEnvelope('DUPLICATE', id);
    this.remember(dedupe, true);
    if (this.record.removed.includes(id)) {
      return this.warn('unknown-sender', id, 'REMOVED_MEMBER', 'a removed member announced itself again');
    }
    if (this.roster.has(id)) return;
    // Trust on first use per room, never merged: a second identity under a name already in
    // the room is added as a separate member and flagged.
    const name = nameKey(identity.displayName);
    const clash = [...this.roster.values()].find((m) => nameKey(m.record.identity.displayName) === name);
    // A verified member who left and "comes back" on another key is the key change the
    // warning exists for, even though nobody in the room holds the name right now.
    const verifiedBefore = this.record.formerlyVerified?.find((former) => former.id !== id && nameKey(former.name) === name);
    const record: MemberRecord = {
      id,
      memberId: toBase64Url(opened.member.memberId),
      identity: publicIdentityToJson(identity),
      joinedAt: this.ctx.clock.now(),
      verified: false,
    };
    this.roster.set(id, { record, member: opened.member });
    this.byMemberId.set(record.memberId, id);
    this.record.members.push(record);
    if (clash !== undefined) {
      // My own entry counts as verified, but someone taking my name is a clash, not a key change.
      const kind: WarningKind = clash.record.verified && clash.record.id !== this.myId ? 'key-changed' : 'name-clash';
      this.warn(kind, id, kind === 'key-changed' ? 'KEY_CHANGED' : 'NAME_CLASH', `a new identity uses the name of an existing member (${clash.record.id})`);
    } else if (verifiedBefore !== undefined) {
      this.warn('key-changed', id, 'KEY_CHANGED', `a new identity uses the name of a verified member who left (${verifiedBefore.id})`);
    }
    await this.addItem({ kind: 'system', event: { type: 'member-joined', member: id, name: identity.displayName } });
    this.ctx.events.emit('member-joined', { roomId: this.id, member: this.memberInfo(record) });
    this.emitRoom();
    // They may not know me (my announcement can be gone from retention, or they joined after
    // it): announce myself again. Only members new to me trigger this, so it terminates.
    if (this.record.joinCursor !== 0 && cursor > this.record.joinCursor) {
      await this.queueLocked({ k: 'announce' });
    }
  }

  private async receiveControl(envelope: Uint8Array, sender: LiveMember): Promise<void> {
    const opened = await openControl({ roomKeys: this.keys, envelope, sender: sender.member, creatorId: fromBase64Url(this.record.creatorId)! });
    if (!opened.ok) return this.warnEnvelope(opened.code, sender.record.id);
    // A replayed control (an old timer setting, say) must not apply again.
    const dedupe = `${CONTROL_SEEN_PREFIX}${toBase64Url(opened.messageId)}`;
    if (this.seen.has(dedupe)) return this.warnEnvelope('DUPLICATE', sender.record.id);
    this.remember(dedupe, true);
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
    this.departing.delete(id);
    // Recorded even for someone I have not met: the removal can reach me before (or without)
    // their announcement, which must not then let them in.
    if (removedBy !== null && !this.record.removed.includes(id)) this.record.removed.push(id);
    const live = this.roster.get(id);
    if (live === undefined) return;
    this.roster.delete(id);
    this.byMemberId.delete(live.record.memberId);
    this.online.delete(id);
    this.record.members = this.record.members.filter((m) => m.id !== id);
    if (live.record.verified && id !== this.myId) {
      const former = (this.record.formerlyVerified ??= []);
      if (!former.some((f) => f.id === id)) former.push({ id, name: live.record.identity.displayName });
    }
    this.record.ring = forgetSender(this.record.ring, live.member.memberId);
    // Whoever is gone must not read what follows: a new sender key before my next send.
    this.record.mustRotate = true;
    this.record.distributedTo = this.record.distributedTo.filter((x) => x !== id);
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
    this.emitPresence();
  }

  private async removedMe(by: string): Promise<void> {
    await this.addItem({ kind: 'system', event: { type: 'removed-me', by } });
    await this.deactivate(by);
    this.ctx.events.emit('removed-me', { roomId: this.id, by });
  }

  private async deactivate(removedBy: string | null): Promise<void> {
    this.record.active = false;
    this.record.removedBy = removedBy;
    // Keys are useless now and must not linger: forget them.
    this.record.outboundKey = null;
    this.record.ring = { v: 1, keys: [] };
    // Presence ends; expiry does not: disappearing messages go on the timer also when I left.
    this.stopPresence();
    const entries = this.outbox;
    this.outbox = [];
    await Promise.all(entries.map((entry) => this.ctx.vault.delete(seqKey(outboxPrefix(this.id), entry.seq))));
    this.files.stopAll('ROOM_INACTIVE');
    this.wakeReadyWaiters();
    this.ctx.onInactive(this);
    this.emitRoom();
  }

  private async receivePayload(bytes: Uint8Array, sender: LiveMember, directTo: string | null, live: boolean): Promise<void> {
    const payload = decodePayload(bytes);
    if (payload === undefined) return this.warn('bad-message', sender.record.id, 'BAD_PAYLOAD', 'message content does not parse');
    switch (payload.t) {
      case 'text': {
        const dedupe = `${sender.record.id}/${payload.id}`;
        if (this.seen.has(dedupe)) return;
        this.remember(dedupe, directTo !== null);
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
        this.markOnline(sender.record.id, live);
        return;
      }
      case 'presence':
        if (!live) return; // an old beat from catch-up says nothing about now
        if (payload.state === 'online') this.markOnline(sender.record.id, true);
        else if (this.online.delete(sender.record.id)) this.emitPresence();
        return;
      case 'file-offer':
        return; // offers travel as manifests (content kind file-manifest)
      case 'key-request':
        if (directTo !== null) this.answerKeyRequest(sender.record.id);
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
    if (!decoded.ok) return this.warnEnvelope(decoded.code, sender.record.id);
    const manifest: FileManifest = decoded.manifest;
    const fileId = toBase64Url(manifest.fileId);
    const dedupe = `${sender.record.id}/${fileId}`;
    if (this.seen.has(dedupe)) return;
    const owner = this.files.offeredBy(fileId);
    if (owner !== undefined && owner !== sender.record.id) {
      return this.warn('bad-message', sender.record.id, 'FILE_ID_TAKEN', 'a file offer reuses the id of another member’s file');
    }
    this.remember(dedupe);
    void directTo;
    const item = (await this.addItem({
      kind: 'file',
      id: dedupe,
      sender: sender.record.id,
      senderName: sender.record.identity.displayName,
      file: this.files.offerOf(manifest),
      transfer: 'offered',
      state: 'received',
      sentAt: this.ctx.clock.now(),
    })) as FileMessage;
    this.files.onOffer(manifest, sender, item);
    this.ctx.events.emit('file-offer', { roomId: this.id, item });
  }

  private markOnline(id: string, live: boolean): void {
    if (!live) return;
    const was = this.online.has(id);
    this.online.set(id, this.ctx.clock.now());
    if (!was) this.emitPresence();
  }

  private emitPresence(): void {
    const now = this.ctx.clock.now();
    const online = [...this.online.entries()].filter(([id, at]) => this.roster.has(id) && now - at < this.ctx.presenceTimeoutMs).map(([id]) => id);
    this.ctx.events.emit('presence', { roomId: this.id, online });
  }

  /**
   * `windowless`: the envelope type has no replay window in the protocol (announcements,
   * controls, direct messages), so this key is all that stops a replay. Those keys are kept
   * in a list of their own, which a long run of group texts cannot push out: replayed after
   * that, an old control would turn the timer back, an old announcement bring back a member
   * who left, an old direct message (expired from the timeline) show again.
   */
  private remember(key: string, windowless = false): void {
    const list = windowless ? (this.record.seenControl ??= []) : this.record.seen;
    this.seen.add(key);
    list.push(key);
    if (list.length > MAX_SEEN_IDS) {
      const dropped = list.splice(0, list.length - MAX_SEEN_IDS);
      for (const key of dropped) this.seen.delete(key);
    }
  }

  private warnEnvelope(code: EnvelopeErrorCode | string, member: string | null): void {
    const kind: WarningKind = code === 'DUPLICATE' || code === 'TOO_OLD' || code === 'KEY_ALREADY_KNOWN' ? 'replay' : 'bad-message';
    this.warn(kind, member, code, kind === 'replay' ? 'an envelope was replayed' : 'an envelope failed verification and was dropped');
  }

  warn(kind: WarningKind, member: string | null, code: string, detail: string): void {
    this.ctx.events.emit('warning', { kind, roomId: this.id, member, code, detail });
  }

  private async flushBeforeJoin(): Promise<void> {
    if (this.beforeJoinPending === 0) return;
    const count = this.beforeJoinPending;
    this.beforeJoinPending = 0;
    await this.addItem({ kind: 'system', event: { type: 'before-join', count } });
  }

  // ---------------------------------------------------------------------------------
  // Timeline
  // ---------------------------------------------------------------------------------

  /** Stores a timeline item and emits `message`. Callers hold the lock. */
  async addItem(partial: Omit<TextMessage, 'roomId' | 'receivedAt' | 'expiresAt'> | Omit<FileMessage, 'roomId' | 'receivedAt' | 'expiresAt'> | { kind: 'system'; event: SystemEvent }): Promise<TimelineItem> {
    // Idempotent by id: after a crash inside the persist window an envelope is processed
    // again and must not show twice.
    if (partial.kind !== 'system') {
      const existing = this.itemById.get(partial.id);
      if (existing !== undefined) return existing.item;
    }
    const now = this.ctx.clock.now();
    const seq = this.record.nextItemSeq++;
    const base = { roomId: this.id, receivedAt: now, expiresAt: this.record.disappearingMs === null ? null : now + this.record.disappearingMs };
    const item: TimelineItem =
      partial.kind === 'system'
        ? { ...base, kind: 'system', id: `sys/${this.myId.slice(0, SYSTEM_ITEM_OWNER_CHARS)}/${seq}`, sentAt: now, event: partial.event }
        : ({ ...partial, ...base } as TimelineItem);
    const stored: StoredItem = { seq, item };
    this.items.push(stored);
    this.itemById.set(item.id, stored);
    this.record.lastActivityAt = now;
    // Not awaited: item writes pipeline (a catch-up of a thousand messages is not a thousand
    // storage round trips in a row). persist() waits for them before it records the cursor,
    // so a stored cursor never runs ahead of the stored timeline.
    this.writeInBackground(this.ctx.vault.set(seqKey(timelinePrefix(this.id), seq), stored));
    this.ctx.events.emit('message', { roomId: this.id, item });
    if (item.expiresAt !== null) this.scheduleExpiry();
    return item;
  }

  async updateItem(id: string, change: (item: TimelineItem) => TimelineItem): Promise<TimelineItem | undefined> {
    const stored = this.itemById.get(id);
    if (stored === undefined) return undefined;
    stored.item = change(stored.item);
    this.writeInBackground(this.ctx.vault.set(seqKey(timelinePrefix(this.id), stored.seq), stored));
    return stored.item;
  }

  private scheduleExpiry(): void {
    if (this.expiryTimer !== undefined) this.ctx.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    const next = Math.min(...this.items.map((entry) => entry.item.expiresAt ?? Infinity));
    if (!Number.isFinite(next)) return;
    const delay = Math.max(0, next - this.ctx.clock.now());
    this.expiryTimer = this.ctx.clock.setTimeout(() => {
      this.expiryTimer = undefined;
      void this.lock.run(() => this.expire());
    }, delay);
  }

  private async expire(): Promise<void> {
    const now = this.ctx.clock.now();
    const expired = this.items.filter((entry) => entry.item.expiresAt !== null && entry.item.expiresAt <= now);
    if (expired.length > 0) {
      const gone = new Set(expired);
      this.items = this.items.filter((entry) => !gone.has(entry));
      for (const entry of expired) this.itemById.delete(entry.item.id);
      await Promise.all(expired.map((entry) => this.ctx.vault.delete(seqKey(timelinePrefix(this.id), entry.seq))));
      this.ctx.events.emit('expired', { roomId: this.id, ids: expired.map((entry) => entry.item.id) });
    }
    this.scheduleExpiry();
  }

  // ---------------------------------------------------------------------------------
  // Sending
  // ---------------------------------------------------------------------------------

  private async queueText(payload: Extract<AppPayload, { t: 'text' }>, directTo: string | null): Promise<TextMessage> {
    return this.lock.run(async () => {
      const id = `${this.myId}/${payload.id}`;
      this.remember(id);
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
      await this.queueLocked(directTo === null ? { k: 'group', payload, itemId: id } : { k: 'direct', to: directTo, payload, itemId: id });
      void this.flush();
      return item;
    });
  }

  /** Persists an intent in the outbox, then tries to send. */
  async queue(intent: OutboxIntent): Promise<void> {
    await this.lock.run(() => this.queueLocked(intent));
    void this.flush();
  }

  private async queueLocked(intent: OutboxIntent): Promise<void> {
    const seq = this.record.nextOutboxSeq++;
    const entry: OutboxEntry = { seq, intent };
    await this.persist();
    await this.ctx.vault.set(seqKey(outboxPrefix(this.id), seq), entry);
    this.outbox.push(entry);
    if (!this.flushing) void Promise.resolve().then(() => this.flush());
  }

  private async dropFromOutbox(seq: number): Promise<void> {
    this.outbox = this.outbox.filter((entry) => entry.seq !== seq);
    await this.ctx.vault.delete(seqKey(outboxPrefix(this.id), seq));
  }

  /** Sends the outbox in order, one entry at a time, while the room is ready. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        if (!this.record.active || !this.ctx.connection.isReady(this.id)) return;
        const entry = this.outbox[0];
        if (entry === undefined) return;
        try {
          await this.sendEntry(entry);
        } catch (error) {
          // Refusals that pass: the rate bucket refills, a store outage ends, a room the
          // relay forgot is joined again on reconnect.
          if (error instanceof TransportError && RETRYABLE_REFUSALS.has(error.code)) {
            await new Promise<void>((resolve) => this.ctx.clock.setTimeout(resolve, RATE_LIMIT_RETRY_MS));
            continue;
          }
          if (error instanceof TransportError && (error.code === 'NOT_CONNECTED' || error.code === 'DISCONNECTED')) return;
          // Anything else cannot succeed by retrying (too large, refused): drop it, say so.
          this.warn('relay-error', null, error instanceof TransportError ? error.code : 'SEND_FAILED', 'a queued message could not be sent');
          await this.dropFromOutbox(entry.seq);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async sendEntry(entry: OutboxEntry): Promise<void> {
    const intent = entry.intent;
    // The ack promise is boxed so the lock is released while the relay answers.
    const sent = await this.lock.run(async (): Promise<{ ack: Promise<number> }> => {
      switch (intent.k) {
        case 'announce': {
          const sealed = await sealJoinAnnouncement({ roomKeys: this.keys, me: this.ctx.me });
          return { ack: this.ctx.connection.publish(this.id, sealed.envelope) };
        }
        case 'control': {
          const sealed = await sealControl({ roomKeys: this.keys, me: this.ctx.me, action: toControlAction(intent.action, (b64) => fromBase64Url(b64)!) });
          if (intent.action.kind === 'remove') {
            // Anything I seal from now on follows the removal in cursor order, even what I seal
            // while its ack is on the way (presence, a file offer carrying its file key): it
            // must not be readable with the key the removed member holds.
            this.departing.add(intent.action.target);
            this.record.mustRotate = true;
          }
          return { ack: this.ctx.connection.publish(this.id, sealed.envelope) };
        }
        case 'group': {
          await this.prepareSenderKey();
          const sealed = await sealGroupMessage({ roomKeys: this.keys, me: this.ctx.me, senderKey: this.record.outboundKey!, payload: encodePayload(intent.payload) });
          this.record.outboundKey = sealed.senderKey;
          await this.persist(); // the advanced chain is stored before the envelope leaves
          return { ack: this.ctx.connection.publish(this.id, sealed.envelope) };
        }
        case 'direct': {
          const to = this.roster.get(intent.to);
          if (to === undefined) throw new TransportError('UNKNOWN_RECIPIENT');
          const sealed = await sealDirectMessage({ roomKeys: this.keys, me: this.ctx.me, recipient: to.member, payload: encodePayload(intent.payload) });
          return { ack: this.ctx.connection.publish(this.id, sealed.envelope) };
        }
      }
    });
    const cursor = await sent.ack;
    await this.lock.run(async () => {
      await this.dropFromOutbox(entry.seq);
      if (intent.k === 'announce' && this.record.joinCursor === 0) {
        this.record.joinCursor = cursor;
        await this.persist();
        this.restartPresence();
      }
      if (intent.k === 'control') await this.afterOwnControl(intent.action);
      if ((intent.k === 'group' || intent.k === 'direct') && intent.itemId !== undefined) {
        await this.updateItem(intent.itemId, (item) => (item.kind === 'text' ? { ...item, state: 'sent' as DeliveryState } : item));
        this.ctx.events.emit('delivery', { roomId: this.id, id: intent.itemId, state: 'sent' });
      }
    });
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

  /**
   * Rotates my sender key when needed and distributes it to every verified member who lacks
   * it. Distributions are acknowledged before the message that needs them is sealed, so
   * they precede it in cursor order for every receiver. Caller holds the lock.
   */
  private async prepareSenderKey(): Promise<void> {
    const now = this.ctx.clock.now();
    const current = this.record.outboundKey;
    if (current === null || this.record.mustRotate || senderKeyNeedsRotation(current, now)) {
      this.record.outboundKey = createSenderKey(current === null ? { now } : { now, previous: current });
      this.record.mustRotate = false;
      this.record.distributedTo = [];
      await this.persist();
    }
    const key = this.record.outboundKey!;
    for (const live of this.roster.values()) {
      if (live.record.id === this.myId || this.departing.has(live.record.id) || this.record.distributedTo.includes(live.record.id)) continue;
      const sealed = await sealSenderKeyDistribution({ roomKeys: this.keys, me: this.ctx.me, recipient: live.member, senderKey: key });
      await this.ctx.connection.publish(this.id, sealed.envelope);
      this.record.distributedTo.push(live.record.id);
      await this.persist();
    }
  }

  /** Seals and publishes a group payload outside the outbox (presence, file control). */
  async sendEphemeral(payload: AppPayload | Uint8Array, content: 'message' | 'file-manifest' = 'message'): Promise<number> {
    // Not a transport error: callers that wait out a disconnection (a file offer retries for a
    // minute) must stop at once when the client is locked or closed.
    this.assertAlive();
    const sent = await this.lock.run(async () => {
      // Nothing of mine may precede my join announcement: members would not know the sender.
      if (!this.record.active || !this.ctx.connection.isReady(this.id) || this.record.joinCursor === 0) throw new TransportError('NOT_CONNECTED');
      await this.prepareSenderKey();
      const bytes = payload instanceof Uint8Array ? payload : encodePayload(payload);
      const sealed = await sealGroupMessage({ roomKeys: this.keys, me: this.ctx.me, senderKey: this.record.outboundKey!, payload: bytes, content });
      this.record.outboundKey = sealed.senderKey;
      await this.persist();
      return { ack: this.ctx.connection.publish(this.id, sealed.envelope) };
    });
    return sent.ack;
  }

  /** Publishes an already sealed envelope (file chunks). */
  publishRaw(envelope: EnvelopeBytes): Promise<number> {
    return this.ctx.connection.publish(this.id, envelope);
  }

  private restartPresence(): void {
    this.stopPresence();
    this.startPresence();
  }

  private startPresence(): void {
    if (this.presenceTimer !== undefined) return;
    const beat = () => {
      this.presenceTimer = undefined;
      if (!this.record.active || !this.ready) return;
      if (this.roster.size > 1 && this.record.joinCursor !== 0) void this.sendEphemeral({ t: 'presence', ts: this.ctx.clock.now(), state: 'online' }).catch(() => undefined);
      this.emitPresence();
      this.presenceTimer = this.ctx.clock.setTimeout(beat, PRESENCE_INTERVAL_MS);
    };
    beat();
  }

  /** Tells the room I am going offline (best effort) and stops timers. */
  async goOffline(): Promise<void> {
    if (this.ready && this.record.active && this.roster.size > 1) {
      await this.sendEphemeral({ t: 'presence', ts: this.ctx.clock.now(), state: 'offline' }).catch(() => undefined);
    }
    this.ready = false;
    this.stopTimers();
    await this.lock.run(() => this.persist());
  }

  stopTimers(): void {
    this.stopPresence();
    if (this.expiryTimer !== undefined) this.ctx.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  private stopPresence(): void {
    if (this.presenceTimer !== undefined) this.ctx.clock.clearTimeout(this.presenceTimer);
    this.presenceTimer = undefined;
  }

  private findMentions(text: string): string[] {
    const found: string[] = [];
    for (const live of this.roster.values()) {
      if (live.record.id === this.myId) continue;
      const name = live.record.identity.displayName;
      if (text.includes(`@${name}`)) found.push(live.record.id);
    }
    return found;
  }

  /** Set when the client locks or closes: this handle must not act on stale keys. */
  private dead = false;

  /**
   * Ends this handle's life (lock/close); later calls reject with `LOCKED`. Resolves once the
   * envelope being processed (if any) is done and the state is stored, so nothing of this
   * handle writes to storage after the client is locked.
   */
  async kill(): Promise<void> {
    this.dead = true;
    this.stopTimers();
    // Transfers waiting for a reconnect would wait forever: end them now.
    this.files.stopAll('CLOSED');
    this.wakeReadyWaiters();
    await this.lock.run(() => this.persist());
  }

  private assertAlive(): void {
    if (this.dead) throw new SealroomClientError('LOCKED', 'the client was locked: get the room handle again after unlock');
  }

  private assertActive(): void {
    this.assertAlive();
    if (!this.record.active) throw new SealroomClientError('ROOM_INACTIVE');
  }

  private persistSoon(): void {
    if (this.persistTimer !== undefined || this.dead) return;
    this.persistTimer = this.ctx.clock.setTimeout(() => {
      this.persistTimer = undefined;
      void this.lock.run(() => this.persist());
    }, PERSIST_DEBOUNCE_MS);
  }

  private writeInBackground(write: Promise<void>): void {
    write.catch(() => this.warn('storage-error', null, 'STORAGE_WRITE_FAILED', 'a timeline item could not be stored'));
  }

  async persist(): Promise<void> {
    if (this.persistTimer !== undefined) this.ctx.clock.clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    await this.ctx.vault.flush();
    await this.ctx.vault.set(roomKey(this.id), this.record);
  }

  /** Runs a task under the room lock (file transfers mutate room state too). */
  locked<T>(task: () => Promise<T>): Promise<T> {
    return this.lock.run(task);
  }

  memberById(id: string): LiveMember | undefined {
    return this.roster.get(id);
  }

  emitRoom(): void {
    this.ctx.events.emit('room', { roomId: this.id, summary: this.summary() });
  }

  isReady(): boolean {
    return this.ready && this.ctx.connection.isReady(this.id);
  }
}
