/**
 * What I send in a room (PROTOCOL C.5): texts and direct messages through the outbox,
 * group payloads that cannot wait in it (presence, file controls, file offers), how each
 * outbox intent is sealed, and what the relay's acknowledgement of it changes.
 */
import {
  fromBase64Url,
  sealControl,
  sealDirectMessage,
  sealJoinAnnouncement,
  type ContentKindV1 as ContentKind,
  type RoomKeys,
  type UnlockedIdentity,
} from '@sealroom/protocol';
import type { DeliveryState, TextMessage } from './api.js';
import { SealroomClientError } from './errors.js';
import type { EventHub } from './events.js';
import type { TaskLock } from './lock.js';
import type { Membership } from './membership.js';
import type { Outbox } from './outbox.js';
import { encodePayload, type AppPayload } from './payloads.js';
import type { Presence } from './presence.js';
import { toControlAction, type OutboxIntent, type RoomRecord } from './records.js';
import type { Persistence } from './room-persistence.js';
import type { RoomStatus } from './room-status.js';
import type { Roster } from './roster.js';
import { itemSeenKey, type SeenIds } from './seen-ids.js';
import type { SenderKeys } from './sender-key-rotation.js';
import type { TimelineWriter } from './timeline.js';
import { TransportError } from './transport-errors.js';
import type { EnvelopeBytes } from './wire.js';

/** The part of the room record sending reads and advances. */
export type SendingState = Pick<RoomRecord, 'id' | 'active' | 'joinCursor'>;

/** The parts sending reaches, each through the narrow face it needs. */
export interface SendingPort {
  readonly keys: RoomKeys;
  readonly me: UnlockedIdentity;
  /** My identity id, b64. */
  readonly myId: string;
  readonly lock: TaskLock;
  readonly roster: Pick<Roster, 'get' | 'markDeparting'>;
  readonly senderKeys: Pick<SenderKeys, 'sealGroup' | 'rotateBeforeNextSend'>;
  readonly outbox: Pick<Outbox, 'queueLocked' | 'flush'>;
  readonly seen: Pick<SeenIds, 'remember'>;
  readonly timeline: TimelineWriter;
  readonly membership: Pick<Membership, 'onOwnControl'>;
  readonly presence: Pick<Presence, 'restart'>;
  readonly persistence: Persistence;
  readonly status: Pick<RoomStatus, 'dead'>;
  readonly events: EventHub;
  /** Publishes in this room; resolves with the cursor once the relay acknowledged it. */
  publish(envelope: EnvelopeBytes): Promise<number>;
  /** The room's connection is admitted and caught up. */
  isConnected(): boolean;
}

export class Sending {
  constructor(
    private readonly port: SendingPort,
    private readonly state: SendingState,
  ) {}

  /** Stores a text as pending and queues it; `directTo` names the one reader of a direct message. */
  queueText(payload: Extract<AppPayload, { t: 'text' }>, directTo: string | null): Promise<TextMessage> {
    const { lock, seen, timeline, outbox, myId, me } = this.port;
    return lock.run(async () => {
      const id = itemSeenKey(myId, payload.id);
      seen.remember(id);
      const item = await timeline.add({
        kind: 'text',
        id,
        sender: myId,
        senderName: me.public.displayName,
        text: payload.body,
        mentions: payload.mentions,
        mentionsMe: false,
        directTo,
        state: 'pending',
        sentAt: payload.ts,
      });
      await outbox.queueLocked(directTo === null ? { k: 'group', payload, itemId: id } : { k: 'direct', to: directTo, payload, itemId: id });
      void outbox.flush();
      return item;
    });
  }

  /**
   * Seals and publishes a group payload outside the outbox (presence, file controls, a
   * manifest as a file offer); resolves with its cursor. Rejects `NOT_CONNECTED` while the
   * room cannot send, `LOCKED` once the client is locked.
   */
  async sendGroup(payload: AppPayload | Uint8Array, content: ContentKind = 'message'): Promise<number> {
    // Not a transport error: callers that wait out a disconnection (a file offer retries for a
    // minute) must stop at once when the client is locked or closed.
    if (this.port.status.dead) throw new SealroomClientError('LOCKED', 'the client was locked: get the room handle again after unlock');
    const sent = await this.port.lock.run(async () => {
      // Nothing of mine may precede my join announcement: members would not know the sender.
      if (!this.state.active || !this.port.isConnected() || this.state.joinCursor === 0) throw new TransportError('NOT_CONNECTED');
      const envelope = await this.port.senderKeys.sealGroup(payload instanceof Uint8Array ? payload : encodePayload(payload), content);
      return { ack: this.port.publish(envelope) };
    });
    return sent.ack;
  }

  /** Seals an outbox intent. Caller holds the lock. */
  async seal(intent: OutboxIntent): Promise<EnvelopeBytes> {
    const { keys, me, roster, senderKeys } = this.port;
    switch (intent.k) {
      case 'announce':
        return (await sealJoinAnnouncement({ roomKeys: keys, me })).envelope;
      case 'control': {
        const sealed = await sealControl({ roomKeys: keys, me, action: toControlAction(intent.action, (b64) => fromBase64Url(b64)!) });
        if (intent.action.kind === 'remove') {
          // Anything I seal from now on follows the removal in cursor order, even what I seal
          // while its ack is on the way (presence, a file offer carrying its file key): it
          // must not be readable with the key the removed member holds.
          roster.markDeparting(intent.action.target);
          senderKeys.rotateBeforeNextSend();
        }
        return sealed.envelope;
      }
      case 'group':
        return senderKeys.sealGroup(encodePayload(intent.payload));
      case 'direct': {
        const to = roster.get(intent.to);
        if (to === undefined) throw new TransportError('UNKNOWN_RECIPIENT');
        return (await sealDirectMessage({ roomKeys: keys, me, recipient: to.member, payload: encodePayload(intent.payload) })).envelope;
      }
    }
  }

  /** What the relay's acknowledgement of an outbox intent changes. Caller holds the lock. */
  async delivered(intent: OutboxIntent, cursor: number): Promise<void> {
    const { persistence, presence, membership, timeline, events } = this.port;
    if (intent.k === 'announce' && this.state.joinCursor === 0) {
      this.state.joinCursor = cursor;
      await persistence.persist();
      presence.restart();
    }
    if (intent.k === 'control') {
      await membership.onOwnControl(intent.action);
      await persistence.persist();
    }
    if ((intent.k === 'group' || intent.k === 'direct') && intent.itemId !== undefined) {
      await timeline.update(intent.itemId, (item) => (item.kind === 'text' ? { ...item, state: 'sent' as DeliveryState } : item));
      events.emit('delivery', { roomId: this.state.id, id: intent.itemId, state: 'sent' });
    }
  }
}
