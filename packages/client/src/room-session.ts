/**
 * One room on this device: the implementation behind the public {@link RoomHandle} and the
 * transport's {@link RoomBinding} for the room. A thin facade: it checks what the caller
 * asks, and hands the work to the room's parts (see `room-parts.ts`), each of which holds
 * one concept — roster, receive pipeline, outbox, sender keys, timeline, presence, seen
 * ids, membership changes, sending, file transfer.
 *
 * Procedures (PROTOCOL Part C):
 * - Join: catch up from cursor 0 (everything there predates me), then publish my join
 *   announcement. Members who did not know me re-announce themselves, so I learn them.
 * - Before any group send: rotate the sender key if a member left or was removed (or the
 *   protocol's budget is spent), then distribute it to every verified member lacking it.
 * - Receive: verify, de-duplicate by (sender, application id), store, emit.
 */
import { admissionProof, computeSafetyNumber, randomBytes, toBase64Url, utf8, type RoomKeys } from '@sealroom/protocol';
import type {
  FileMessage,
  FileSource,
  HistoryOptions,
  IdentityId,
  MemberInfo,
  RoomHandle,
  RoomSummary,
  SafetyNumber,
  SendTextOptions,
  TextMessage,
  TimelineItem,
} from './api.js';
import type { TransportErrorCode } from './codes.js';
import { SealroomClientError } from './errors.js';
import { APP_ID_BYTES, MAX_TEXT_BYTES, type AppPayload } from './payloads.js';
import type { OutboxIntent, RoomRecord } from './records.js';
import { assembleRoom, type RoomParts, type SessionContext } from './room-parts.js';
import type { AdmissionProof, RelayReset, RoomBinding } from './room-binding.js';
import { SECOND_MS } from '@sealroom/units';

/** Milliseconds per second, for the disappearing timer's wire unit (seconds). */

export class RoomSession implements RoomHandle, RoomBinding {
  readonly id: string;
  readonly relayUrl: string;
  readonly roomId: string;

  private constructor(
    private readonly ctx: SessionContext,
    readonly record: RoomRecord,
    readonly keys: RoomKeys,
    /** The room's parts; internal (tests reach some of them). */
    readonly parts: RoomParts,
  ) {
    this.id = record.id;
    this.roomId = record.id;
    this.relayUrl = record.relayUrl;
  }

  /** Restores a session from its record (members re-imported, timeline and outbox loaded). */
  static async open(ctx: SessionContext, record: RoomRecord, keys: RoomKeys): Promise<RoomSession> {
    const session = new RoomSession(ctx, record, keys, await assembleRoom(ctx, record, keys));
    session.parts.timeline.scheduleExpiry();
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
    return [...this.parts.roster.values()].map((m) => this.parts.membership.memberInfo(m.record));
  }

  inviteLink(): string {
    // Built by the client (not stored) so the secret exists at rest only sealed in the record.
    return this.inviteFormatter(this);
  }

  /** Set by the client (it owns the invite format options). */
  inviteFormatter: (session: RoomSession) => string = () => '';

  async history(options: HistoryOptions = {}): Promise<TimelineItem[]> {
    return this.parts.timeline.history(options);
  }

  async sendText(text: string, options: SendTextOptions = {}): Promise<TextMessage> {
    this.assertActive();
    if (utf8(text).length > MAX_TEXT_BYTES) throw new SealroomClientError('MESSAGE_TOO_LARGE');
    const mentions = options.mentions ?? this.parts.roster.findMentions(text);
    const payload: AppPayload = { t: 'text', id: toBase64Url(randomBytes(APP_ID_BYTES)), ts: this.ctx.clock.now(), body: text, mentions };
    return this.parts.sending.queueText(payload, null);
  }

  async sendDirect(to: IdentityId, text: string): Promise<TextMessage> {
    this.assertActive();
    if (!this.parts.roster.has(to) || to === this.myId) throw new SealroomClientError('UNKNOWN_MEMBER');
    if (utf8(text).length > MAX_TEXT_BYTES) throw new SealroomClientError('MESSAGE_TOO_LARGE');
    const payload: AppPayload = { t: 'text', id: toBase64Url(randomBytes(APP_ID_BYTES)), ts: this.ctx.clock.now(), body: text, mentions: [] };
    return this.parts.sending.queueText(payload, to);
  }

  async sendFile(source: FileSource): Promise<FileMessage> {
    this.assertActive();
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
      const live = this.parts.roster.get(member);
      if (live === undefined) throw new SealroomClientError('UNKNOWN_MEMBER');
      live.record.verified = verified;
      await this.parts.persistence.persist();
      this.ctx.events.emit('member-updated', { roomId: this.id, member: this.parts.membership.memberInfo(live.record) });
    });
  }

  async safetyNumber(member: IdentityId): Promise<SafetyNumber> {
    const live = this.parts.roster.get(member);
    if (live === undefined) throw new SealroomClientError('UNKNOWN_MEMBER');
    const number = await computeSafetyNumber(this.ctx.me.public, live.member.identity);
    return { digits: number.digits, display: number.display, qrPayload: number.scannable };
  }

  async setDisappearingTimer(ms: number | null): Promise<void> {
    this.assertActive();
    const seconds = ms === null ? 0 : Math.max(1, Math.round(ms / SECOND_MS));
    await this.queue({ k: 'control', action: { kind: 'settings', disappearingAfterSeconds: seconds } });
  }

  async removeMember(member: IdentityId): Promise<void> {
    this.assertActive();
    if (this.record.creatorId !== this.myId) throw new SealroomClientError('NOT_CREATOR');
    if (!this.parts.roster.has(member) || member === this.myId) throw new SealroomClientError('UNKNOWN_MEMBER');
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

  async prove(nonce: Uint8Array): Promise<AdmissionProof> {
    const mac = await admissionProof(this.keys.admissionKey, this.keys.roomId, nonce);
    // A room registered (again) keeps envelopes no longer than its disappearing timer.
    return { mac, key: this.keys.admissionKey, ...(this.record.disappearingMs === null ? {} : { maxAgeMs: this.record.disappearingMs }) };
  }

  relayEpoch(): string | undefined {
    return this.record.relayEpoch;
  }

  onRelayEpoch(epoch: string): void {
    if (this.record.relayEpoch === epoch) return;
    this.record.relayEpoch = epoch;
    this.parts.persistence.persistSoon();
  }

  onRelayReset(reset: RelayReset): void {
    this.record.cursor = 0;
    delete this.record.relayEpoch;
    // Everything after the last cursor of the old incarnation may be gone: a gap open at the end.
    this.recordGap(reset.lastCursor, Number.MAX_SAFE_INTEGER);
  }

  onGap(after: number, upTo: number): void {
    const newcomer = this.record.joinCursor === 0 && this.record.cursor === 0;
    this.record.cursor = Math.max(this.record.cursor, upTo);
    // A newcomer's first catch-up from 0 finds the room's trimmed past: that is not a gap in
    // anything it could have read.
    if (newcomer) return;
    this.recordGap(after, upTo);
  }

  private recordGap(after: number, upTo: number): void {
    void this.parts.lock.run(async () => {
      await this.parts.timeline.add({ kind: 'system', event: { type: 'gap', afterCursor: after, upToCursor: upTo } });
      this.ctx.events.emit('gap', { roomId: this.id, afterCursor: after, upToCursor: upTo });
    });
  }

  onError(code: TransportErrorCode, message: string): void {
    this.parts.warn('relay-error', null, code, message);
  }

  onReady(): void {
    const { status, lock, receiver, presence, outbox, senderKeys } = this.parts;
    status.ready = true;
    status.wake();
    void lock.run(() => receiver.flushBeforeJoin());
    presence.start();
    void outbox.flush();
    senderKeys.sendPendingRequests();
  }

  onDisconnected(): void {
    this.parts.status.ready = false;
  }

  async onEnvelope(cursor: number, envelope: Uint8Array, live: boolean): Promise<void> {
    await this.parts.lock.run(async () => {
      // A dead handle's keys belong to a locked identity: envelopes the transport still held
      // are fetched again after the next unlock.
      if (!this.record.active || this.parts.status.dead) return;
      try {
        await this.parts.receiver.receive(cursor, envelope, live);
      } finally {
        this.record.cursor = Math.max(this.record.cursor, cursor);
        this.parts.persistence.persistSoon();
      }
    });
  }

  // ---------------------------------------------------------------------------------
  // Lifecycle (used by the client)
  // ---------------------------------------------------------------------------------

  /** Persists an intent in the outbox, then tries to send. */
  queue(intent: OutboxIntent): Promise<void> {
    return this.parts.outbox.queue(intent);
  }

  emitRoom(): void {
    this.parts.membership.emitRoom();
  }

  /** Tells the room I am going offline (best effort) and stops timers. */
  async goOffline(): Promise<void> {
    await this.parts.presence.sayOffline();
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
    // Transfers waiting for a reconnect would wait forever: end them now.
    this.parts.files.stopAll('CLOSED');
    this.parts.status.wake();
    await this.parts.lock.run(() => this.parts.persistence.persist());
  }

  private stopTimers(): void {
    this.parts.presence.stop();
    this.parts.timeline.stopExpiry();
  }

  private assertAlive(): void {
    if (this.parts.status.dead) throw new SealroomClientError('LOCKED', 'the client was locked: get the room handle again after unlock');
  }

  private assertActive(): void {
    this.assertAlive();
    if (!this.record.active) throw new SealroomClientError('ROOM_INACTIVE');
  }
}
