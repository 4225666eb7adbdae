/**
 * What I send in a room (PROTOCOL C.5): texts and direct messages through the outbox,
 * group payloads that cannot wait in it (presence, file controls, file offers), how each
 * outbox intent is sealed under the current epoch, and what the relay's acknowledgement of
 * it changes. Everything acknowledged (but presence) is remembered for the epoch, so that
 * what lands after a commit I had not seen is sent again (resend-after-commit.ts).
 */
import { fromBase64Url, sealDirect, sealLeave, toBase64Url, type ContentKind, type UnlockedIdentity } from '@sealroom/protocol';
import type { DeliveryState, TextMessage } from './api.js';
import { SealroomClientError } from './errors.js';
import type { EventHub } from './events.js';
import type { TaskLock } from './lock.js';
import type { Membership } from './membership.js';
import type { Outbox } from './outbox.js';
import { encodePayload, type AppPayload } from './payloads.js';
import type { Presence } from './presence.js';
import type { Receipts } from './receipts.js';
import type { OutboxIntent, RoomRecord } from './records.js';
import type { RelayRoom } from './relay-rooms.js';
import type { SentLog } from './resend-after-commit.js';
import type { RoomLog } from './room-log.js';
import type { RoomStatus } from './room-status.js';
import type { Roster } from './roster.js';
import { itemSeenKey, type SeenIds } from './seen-ids.js';
import type { SenderKeys } from './sender-key-rotation.js';
import type { TimelineWriter } from './timeline.js';
import { TransportError } from './transport-errors.js';

/** The parts sending reaches, each through the narrow face it needs. */
export interface SendingPort {
  readonly me: UnlockedIdentity;
  /** My identity id, b64. */
  readonly myId: string;
  readonly lock: TaskLock;
  readonly log: RoomLog;
  readonly roster: Pick<Roster, 'epochMember'>;
  readonly senderKeys: Pick<SenderKeys, 'sealGroup'>;
  readonly outbox: Pick<Outbox, 'queueLocked' | 'flush'>;
  readonly sentLog: Pick<SentLog, 'record'>;
  readonly seen: Pick<SeenIds, 'remember'>;
  readonly timeline: TimelineWriter;
  readonly membership: Pick<Membership, 'left'>;
  readonly presence: Pick<Presence, 'restart'>;
  readonly receipts: Pick<Receipts, 'sent'>;
  readonly status: Pick<RoomStatus, 'dead'>;
  readonly events: EventHub;
  /** The relay room of the current epoch, if bound. */
  currentRoom(): RelayRoom | undefined;
  /** The relay room of an epoch (current or previous), if bound. */
  roomOfEpoch(epoch: number): RelayRoom | undefined;
  publish(relayRoom: string, envelope: Uint8Array): Promise<number>;
  /** Group sends may go out now (member, caught up, no membership change holding them). */
  canSendGroup(): boolean;
}

export class Sending {
  constructor(
    private readonly port: SendingPort,
    private readonly record: Pick<RoomRecord, 'id' | 'epochRoom'>,
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
        ...(payload.reply === undefined ? {} : { replyTo: itemSeenKey(payload.reply.by, payload.reply.id) }),
      });
      await outbox.queueLocked(directTo === null ? { k: 'group', payload, itemId: id } : { k: 'direct', to: directTo, payload, itemId: id });
      void outbox.flush();
      return item;
    });
  }

  /**
   * Seals and publishes a group payload outside the outbox (presence, file controls, a
   * manifest as a file offer, a digest trailer); resolves with its cursor. Rejects
   * `NOT_CONNECTED` while the room cannot send, `LOCKED` once the client is locked.
   */
  async sendGroup(payload: AppPayload | Uint8Array, content: ContentKind = 'message'): Promise<number> {
    // Not a transport error: callers that wait out a disconnection (a file offer retries for a
    // minute) must stop at once when the client is locked or closed.
    if (this.port.status.dead) throw new SealroomClientError('LOCKED', 'the client was locked: get the room handle again after unlock');
    const intent: OutboxIntent | undefined =
      payload instanceof Uint8Array
        ? { k: 'group-bytes', content: content === 'file-digest' ? 'file-digest' : 'file-manifest', bytes: toBase64Url(payload) }
        : payload.t === 'presence'
          ? undefined
          : { k: 'group', payload };
    const sent = await this.port.lock.run(async () => {
      const room = this.port.currentRoom();
      if (room === undefined || !this.port.canSendGroup()) throw new TransportError('NOT_CONNECTED');
      const epoch = this.record.epochRoom!.epoch;
      const envelope = await this.port.senderKeys.sealGroup(payload instanceof Uint8Array ? payload : encodePayload(payload), content);
      return { ack: this.port.publish(room.roomId, envelope), room, epoch };
    });
    const cursor = await sent.ack;
    if (intent !== undefined) await this.port.lock.run(async () => this.remember(sent.room, sent.epoch, cursor, intent));
    return cursor;
  }

  /** Seals an outbox intent under the current epoch and publishes it. Caller holds the lock. */
  async send(intent: OutboxIntent): Promise<{ ack: Promise<number>; epoch: number }> {
    const { log, me, roster, senderKeys } = this.port;
    const room = this.port.currentRoom();
    const keys = log.current;
    if (room === undefined || keys === null) throw new TransportError('NOT_CONNECTED');
    const epoch = keys.epoch;
    let envelope: Uint8Array;
    switch (intent.k) {
      case 'leave':
        envelope = (await sealLeave({ keys, me })).envelope;
        break;
      case 'group':
        envelope = await senderKeys.sealGroup(encodePayload(intent.payload));
        break;
      case 'group-bytes':
        envelope = await senderKeys.sealGroup(fromBase64Url(intent.bytes)!, intent.content);
        break;
      case 'direct': {
        const to = roster.epochMember(intent.to);
        if (to === undefined) throw new TransportError('UNKNOWN_RECIPIENT');
        envelope = (await sealDirect({ keys, me, recipient: to, payload: encodePayload(intent.payload) })).envelope;
        break;
      }
    }
    return { ack: this.port.publish(room.roomId, envelope), epoch };
  }

  /** What the relay's acknowledgement of an outbox intent changes. Caller holds the lock. */
  async delivered(intent: OutboxIntent, cursor: number, epoch: number): Promise<void> {
    const { membership, timeline, events, presence, me } = this.port;
    if (intent.k === 'leave') return membership.left(me.public.displayName);
    const room = this.port.roomOfEpoch(epoch);
    if (room !== undefined) this.remember(room, epoch, cursor, intent);
    const position = this.record.epochRoom;
    if (position !== null && position.epoch === epoch && position.joinCursor === 0) {
      position.joinCursor = cursor;
      presence.restart();
    }
    if ((intent.k === 'group' || intent.k === 'direct') && intent.itemId !== undefined) {
      await timeline.update(intent.itemId, (item) => (item.kind === 'text' ? { ...item, state: 'sent' as DeliveryState } : item));
      events.emit('delivery', { roomId: this.record.id, id: intent.itemId, state: 'sent' });
      await this.port.receipts.sent(intent.itemId);
    }
  }

  private remember(room: RelayRoom, epoch: number, cursor: number, intent: OutboxIntent): void {
    room.ownAck(cursor);
    this.port.sentLog.record(epoch, cursor, intent);
  }
}
