/**
 * A room stored by an older version of Sealroom (protocol v1). Version 2 does not migrate
 * such rooms (PROTOCOL B, "No v1 room is migrated"): its membership had no log to carry
 * over. It stays listed, inactive, with its stored timeline readable; everything else says
 * `ROOM_OUTDATED` ("made with an older version; ask for a new invite").
 */
import type { FileMessage, HistoryOptions, MemberInfo, PendingKnock, RoomHandle, RoomSummary, SafetyNumber, TextMessage, TimelineItem } from './api.js';
import { SealroomClientError } from './errors.js';
import type { EventHub } from './events.js';
import { AsyncLock } from './lock.js';
import type { Clock } from './platform.js';
import { Timeline } from './timeline.js';
import type { Vault } from './vault.js';

/** The fields of a v1 room record this view reads (all optional: nothing else is trusted). */
interface StoredV1 {
  name?: unknown;
  relayUrl?: unknown;
  joinedAt?: unknown;
  lastActivityAt?: unknown;
  creatorId?: unknown;
}

const text = (value: unknown, fallback: string) => (typeof value === 'string' ? value : fallback);
const time = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

export class OutdatedRoom implements RoomHandle {
  private constructor(
    readonly id: string,
    readonly relayUrl: string,
    private readonly stored: StoredV1,
    private readonly timeline: Timeline,
  ) {}

  static async open(deps: { vault: Vault; events: EventHub; clock: Clock; ownerId: string }, id: string, stored: object): Promise<OutdatedRoom> {
    const record = { id, nextItemSeq: 0, lastActivityAt: time((stored as StoredV1).lastActivityAt), disappearingMs: null };
    const timeline = await Timeline.load({ ...deps, lock: new AsyncLock(), warn: () => undefined }, record);
    const fields = stored as StoredV1;
    return new OutdatedRoom(id, text(fields.relayUrl, ''), fields, timeline);
  }

  summary(): RoomSummary {
    return {
      id: this.id,
      name: text(this.stored.name, 'Room'),
      createdBy: text(this.stored.creatorId, ''),
      disappearingMs: null,
      memberCount: 0,
      active: false,
      status: 'outdated',
      myRole: null,
      admins: [],
      linkPolicy: null,
      epoch: null,
      knockDeclined: null,
      pendingKnocks: 0,
      joinedAt: time(this.stored.joinedAt),
      lastActivityAt: time(this.stored.lastActivityAt),
    };
  }

  members(): MemberInfo[] {
    return [];
  }

  inviteLink(): string {
    return '';
  }

  async history(options?: HistoryOptions): Promise<TimelineItem[]> {
    return this.timeline.history(options);
  }

  pendingKnocks(): PendingKnock[] {
    return [];
  }

  sendText(): Promise<TextMessage> {
    return Promise.reject(this.refusal());
  }

  sendDirect(): Promise<TextMessage> {
    return Promise.reject(this.refusal());
  }

  react(): Promise<TextMessage | FileMessage> {
    return Promise.reject(this.refusal());
  }

  editMessage(): Promise<TextMessage> {
    return Promise.reject(this.refusal());
  }

  deleteMessage(): Promise<TextMessage> {
    return Promise.reject(this.refusal());
  }

  sendFile(): Promise<FileMessage> {
    return Promise.reject(this.refusal());
  }

  acceptFile(): Promise<void> {
    return Promise.reject(this.refusal());
  }

  declineFile(): Promise<void> {
    return Promise.reject(this.refusal());
  }

  markVerified(): Promise<void> {
    return Promise.reject(this.refusal());
  }

  safetyNumber(): Promise<SafetyNumber> {
    return Promise.reject(this.refusal());
  }

  setDisappearingTimer(): Promise<void> {
    return Promise.reject(this.refusal());
  }

  removeMember(): Promise<void> {
    return Promise.reject(this.refusal());
  }

  leave(): Promise<void> {
    return Promise.reject(this.refusal());
  }

  setRole(): Promise<void> {
    return Promise.reject(this.refusal());
  }

  setLinkPolicy(): Promise<void> {
    return Promise.reject(this.refusal());
  }

  resetLink(): Promise<void> {
    return Promise.reject(this.refusal());
  }

  approveKnock(): Promise<void> {
    return Promise.reject(this.refusal());
  }

  declineKnock(): Promise<void> {
    return Promise.reject(this.refusal());
  }

  markRead(): void {
    // Nothing can be sent in an outdated room, receipts included.
  }

  private refusal(): SealroomClientError {
    return new SealroomClientError('ROOM_OUTDATED', 'this room was made with an older version of Sealroom: ask for a new invite');
  }
}
