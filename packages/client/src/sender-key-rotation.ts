/**
 * My sender key in a room (PROTOCOL C.5): rotated when a member left or was removed (or the
 * protocol's budget is spent), distributed to every current member lacking it before the
 * message that needs it, and recovered when a distribution was lost (key requests, asked
 * and answered at most once per {@link KEY_REQUEST_INTERVAL_MS} per member).
 */
import {
  createSenderKey,
  emptySenderKeyRing,
  forgetSender,
  fromBase64Url,
  sealDirect,
  sealGroup,
  sealSenderKeyDistribution,
  senderKeyNeedsRotation,
  type ContentKind,
  type EpochKeys,
  type UnlockedIdentity,
} from '@sealroom/protocol';
import { encodePayload } from './payloads.js';
import type { Clock } from './platform.js';
import type { RoomRecord } from './records.js';
import type { Persistence } from './room-persistence.js';
import type { RosterView } from './roster.js';

/**
 * Least time between two key requests I send to one member, and between two I answer from
 * one member, ms (C.5 key recovery): a lost distribution costs one request, never a flood.
 */
export const KEY_REQUEST_INTERVAL_MS = 10_000;

/** The part of the room record that holds my sender key and the keys I received. */
export type SenderKeyState = Pick<RoomRecord, 'outboundKey' | 'mustRotate' | 'distributedTo' | 'ring'>;

/** What sender-key handling needs from its room. */
export interface SenderKeyPort {
  readonly roster: RosterView;
  readonly persistence: Persistence;
  /** The current epoch's keys (a sealed envelope is of one epoch). */
  epochKeys(): EpochKeys;
  /** Publishes in the current epoch's relay room; resolves with the cursor once acknowledged. */
  publish(envelope: Uint8Array): Promise<number>;
  /** The room is connected and caught up in its current epoch: a key request can go out now. */
  canSendNow(): boolean;
  /** The room still acts on its keys: a member, not locked. */
  isLive(): boolean;
}

export class SenderKeys {
  /** Key recovery (C.5): when I last asked each member for its key / answered its request. */
  private readonly requestedAt = new Map<string, number>();
  private readonly answeredAt = new Map<string, number>();
  /** Members to ask for their key once the room is ready (requests found during catch-up). */
  private readonly pendingRequests = new Set<string>();
  /** Where my latest distribution landed: after a commit I had not seen, it reached no one. */
  private lastDistribution: { epoch: number; cursor: number } | undefined;

  constructor(
    private readonly port: SenderKeyPort,
    private readonly state: SenderKeyState,
    private readonly deps: { me: UnlockedIdentity; myId: string; clock: Clock },
  ) {}

  /**
   * Seals a group payload under my current sender key, rotating and distributing it first
   * when needed. The advanced chain is stored before the envelope can leave. Caller holds
   * the lock.
   */
  async sealGroup(payload: Uint8Array, content: ContentKind = 'message'): Promise<Uint8Array> {
    await this.prepare();
    const sealed = await sealGroup({ keys: this.port.epochKeys(), me: this.deps.me, senderKey: this.state.outboundKey!, payload, content });
    this.state.outboundKey = sealed.senderKey;
    await this.port.persistence.persist();
    return sealed.envelope;
  }

  /**
   * Rotates my sender key when needed and distributes it to every current member who lacks
   * it. Distributions are acknowledged before the message that needs them is sealed, so
   * they precede it in cursor order for every receiver. Caller holds the lock.
   */
  private async prepare(): Promise<void> {
    const { clock, me, myId } = this.deps;
    const now = clock.now();
    const current = this.state.outboundKey;
    if (current === null || this.state.mustRotate || senderKeyNeedsRotation(current, now)) {
      this.state.outboundKey = createSenderKey(current === null ? { now } : { now, previous: current });
      this.state.mustRotate = false;
      this.state.distributedTo = [];
      await this.port.persistence.persist();
    }
    const key = this.state.outboundKey!;
    for (const id of this.port.roster.ids()) {
      const recipient = this.port.roster.epochMember(id);
      if (id === myId || recipient === undefined || this.state.distributedTo.includes(id)) continue;
      const keys = this.port.epochKeys();
      const sealed = await sealSenderKeyDistribution({ keys, me, recipient, senderKey: key });
      this.lastDistribution = { epoch: keys.epoch, cursor: await this.port.publish(sealed.envelope) };
      this.state.distributedTo.push(id);
      await this.port.persistence.persist();
    }
  }

  /**
   * Epoch `epoch` ended with a commit at `commitCursor`. A distribution of mine after it was
   * refused as stale: a new key, distributed afresh in the next epoch, reaches everyone
   * (sending the same chain again would be taken for a replay).
   */
  epochEnded(epoch: number, commitCursor: number): void {
    const last = this.lastDistribution;
    if (last !== undefined && last.epoch === epoch && last.cursor > commitCursor) this.rotateBeforeNextSend();
  }

  /**
   * The room was just loaded from storage: each session starts a new sender key before its
   * first group send. The tab that ran the last session may have ended between a publish and
   * the write after it (a distribution not recorded as done, a sequence number spent but not
   * recorded): the same chain sent again would be taken for a replay by its receivers. A new
   * key, distributed afresh, cannot collide with anything sealed before.
   */
  afterLoad(): void {
    if (this.state.outboundKey !== null) this.rotateBeforeNextSend();
  }

  /** Someone will leave or was removed: whatever I send next goes under a new key. */
  rotateBeforeNextSend(): void {
    this.state.mustRotate = true;
  }

  /** A member is gone: its keys are forgotten, and it must not read what follows. */
  forgetMember(identityId: string): void {
    this.state.ring = forgetSender(this.state.ring, fromBase64Url(identityId)!);
    this.rotateBeforeNextSend();
    this.state.distributedTo = this.state.distributedTo.filter((id) => id !== identityId);
  }

  /** I left or was removed: keys are useless now and must not linger. */
  forgetAll(): void {
    this.state.outboundKey = null;
    this.state.ring = emptySenderKeyRing();
    this.state.distributedTo = [];
  }

  /** Whether I asked this member for its key (its answer may cross its own distribution). */
  hasRequestedFrom(identityId: string): boolean {
    return this.requestedAt.has(identityId);
  }

  /**
   * Asks a member, by direct message, for its current sender key (C.5 key recovery). At most
   * one request per member per {@link KEY_REQUEST_INTERVAL_MS}; requests found in catch-up
   * go out once the room is ready. Caller holds the lock.
   */
  requestKey(identityId: string): void {
    const now = this.deps.clock.now();
    const last = this.requestedAt.get(identityId);
    if (last !== undefined && now - last < KEY_REQUEST_INTERVAL_MS) return;
    this.requestedAt.set(identityId, now);
    if (this.port.canSendNow()) void this.sendRequest(identityId);
    else this.pendingRequests.add(identityId);
  }

  /** The room is ready: the requests found during catch-up go out. */
  sendPendingRequests(): void {
    const pending = [...this.pendingRequests];
    this.pendingRequests.clear();
    for (const id of pending) void this.sendRequest(id);
  }

  private async sendRequest(identityId: string): Promise<void> {
    const to = this.port.roster.epochMember(identityId);
    if (to === undefined || !this.port.isLive()) return;
    const { me, clock } = this.deps;
    try {
      const sealed = await sealDirect({ keys: this.port.epochKeys(), me, recipient: to, payload: encodePayload({ t: 'key-request', ts: clock.now() }) });
      await this.port.publish(sealed.envelope);
    } catch {
      // Best effort: the next unreadable message asks again after the interval.
      this.requestedAt.delete(identityId);
    }
  }

  /**
   * A current member (its announcement verified, it is in my roster) lacks my sender key:
   * my next group send distributes my *current* chain state to it first, in cursor order
   * before the message. Never old chain keys, never to a removed or departing member.
   * Caller holds the lock.
   */
  answerKeyRequest(identityId: string): void {
    const roster = this.port.roster;
    if (identityId === this.deps.myId || !roster.has(identityId) || roster.isRemoved(identityId)) return;
    const now = this.deps.clock.now();
    const last = this.answeredAt.get(identityId);
    if (last !== undefined && now - last < KEY_REQUEST_INTERVAL_MS) return;
    this.answeredAt.set(identityId, now);
    if (!this.state.distributedTo.includes(identityId)) return;
    this.state.distributedTo = this.state.distributedTo.filter((id) => id !== identityId);
    this.port.persistence.persistSoon();
  }
}
