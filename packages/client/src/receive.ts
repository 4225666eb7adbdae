/**
 * The receive pipeline of a room (PROTOCOL C.7): each envelope the transport hands over, in
 * cursor order, is peeked, resolved to its sender, opened with the checks of Part B,
 * de-duplicated and dispatched to the part it concerns. Nothing that fails is shown as a
 * message: it becomes a warning, and the session goes on.
 */
import {
  decodeFileManifestV1 as decodeFileManifest,
  equalBytes,
  fromBase64Url,
  openControl,
  openDirectMessage,
  openGroupMessage,
  openJoinAnnouncement,
  openSenderKeyDistributionV1 as openSenderKeyDistribution,
  peekEnvelope,
  toBase64Url,
  type RoomKeys,
  type UnlockedIdentity,
} from '@sealroom/protocol';
import type { EventHub } from './events.js';
import { offerOf } from './file-room.js';
import type { FileTransfers } from './files.js';
import type { Membership } from './membership.js';
import { decodePayload } from './payloads.js';
import type { Clock } from './platform.js';
import type { Presence } from './presence.js';
import type { RoomRecord } from './records.js';
import type { Persistence } from './room-persistence.js';
import type { RoomStatus } from './room-status.js';
import type { LiveMember, Roster } from './roster.js';
import { controlSeenKey, itemSeenKey, joinSeenKey, type SeenIds } from './seen-ids.js';
import type { SenderKeys } from './sender-key-rotation.js';
import type { TimelineWriter } from './timeline.js';
import { warnEnvelope, type Warn } from './warnings.js';

/** The part of the room record receiving reads and advances. */
export type ReceiveState = Pick<RoomRecord, 'id' | 'creatorId' | 'joinCursor' | 'ring'>;

/** Who I am in the room. */
export interface ReceiverIdentity {
  me: UnlockedIdentity;
  /** My identity id, b64. */
  identityId: string;
  /** My room-scoped member id (the header sender of my own envelopes), b64. */
  memberId: string;
}

/** The parts an envelope can concern, each through the narrow face the pipeline needs. */
export interface ReceivePort {
  readonly keys: RoomKeys;
  readonly roster: Pick<Roster, 'bySender' | 'admit' | 'has'>;
  readonly seen: SeenIds;
  readonly senderKeys: Pick<SenderKeys, 'hasRequestedFrom' | 'requestKey' | 'answerKeyRequest'>;
  readonly membership: Pick<Membership, 'admitted' | 'onControl'>;
  readonly timeline: TimelineWriter;
  readonly presence: Pick<Presence, 'markOnline' | 'markOffline'>;
  readonly files: Pick<FileTransfers, 'onChunk' | 'onControl' | 'offeredBy' | 'onOffer'>;
  readonly persistence: Persistence;
  readonly status: Pick<RoomStatus, 'ready'>;
  readonly events: EventHub;
  readonly clock: Clock;
  readonly warn: Warn;
}

export class Receiver {
  /** Group envelopes from before my join seen in this catch-up, not yet shown as one item. */
  private beforeJoinPending = 0;

  constructor(
    private readonly port: ReceivePort,
    private readonly state: ReceiveState,
    private readonly self: ReceiverIdentity,
  ) {}

  /** One envelope, in cursor order. `live`: delivered now, not replayed by catch-up. Caller holds the lock. */
  async receive(cursor: number, envelope: Uint8Array, live: boolean): Promise<void> {
    const { keys, roster, warn } = this.port;
    const peeked = peekEnvelope(envelope);
    if (!peeked.ok) return warn('bad-message', null, peeked.code, 'envelope does not parse');
    const peek = peeked.peek;
    if (!equalBytes(peek.roomId, keys.roomId)) return warn('bad-message', null, 'WRONG_ROOM', 'envelope names another room');
    const senderB64 = toBase64Url(peek.sender);
    if (senderB64 === this.self.memberId) return; // my own envelopes come back in catch-up
    if (peek.type === 'join') return this.receiveJoin(envelope, cursor);

    const toMe = peek.recipient !== undefined && toBase64Url(peek.recipient) === this.self.memberId;
    const sender = roster.bySender(senderB64);
    if (sender === undefined) {
      // Sealed to someone else, or a chunk: normal traffic of members I do not know (yet).
      if ((peek.type === 'sender-key' || peek.type === 'direct') && peek.recipient !== undefined && !toMe) return;
      if (peek.type === 'file-chunk') return;
      if (this.isBeforeMyJoin(cursor)) {
        if (peek.type === 'group') this.beforeJoinPending += 1;
        return;
      }
      return warn('unknown-sender', null, 'UNKNOWN_SENDER', 'envelope from someone who is not a verified member');
    }

    switch (peek.type) {
      case 'control':
        return this.receiveControl(envelope, sender);
      case 'sender-key':
        return toMe ? this.receiveSenderKey(envelope, sender) : undefined;
      case 'group':
        return this.receiveGroup(envelope, sender, cursor, live);
      case 'direct':
        return toMe ? this.receiveDirect(envelope, sender, live) : undefined;
      case 'file-chunk':
        return this.port.files.onChunk(envelope, sender, peek.fileId);
      default:
        return warn('bad-message', sender.record.id, 'BAD_TYPE', 'unexpected envelope type');
    }
  }

  /** Shows the group envelopes from before my join counted so far as one timeline item. Caller holds the lock. */
  async flushBeforeJoin(): Promise<void> {
    if (this.beforeJoinPending === 0) return;
    const count = this.beforeJoinPending;
    this.beforeJoinPending = 0;
    await this.port.timeline.add({ kind: 'system', event: { type: 'before-join', count } });
  }

  private isBeforeMyJoin(cursor: number): boolean {
    return this.state.joinCursor === 0 || cursor < this.state.joinCursor;
  }

  private async receiveJoin(envelope: Uint8Array, cursor: number): Promise<void> {
    const { keys, seen, roster, membership, clock, warn } = this.port;
    const opened = await openJoinAnnouncement({ roomKeys: keys, envelope });
    if (!opened.ok) return warnEnvelope(warn, opened.code, null);
    const id = toBase64Url(opened.member.identity.id);
    if (id === this.self.identityId) return;
    // Catch-up never hands the same cursor twice, so a second copy is a replay: without this,
    // an old announcement of someone who since left would bring them back.
    const dedupe = joinSeenKey(toBase64Url(opened.messageId));
    if (seen.has(dedupe)) return warnEnvelope(warn, 'DUPLICATE', id);
    seen.remember(dedupe, true);
    const record = roster.admit(opened.member, clock.now());
    if (record !== undefined) await membership.admitted(record, cursor);
  }

  private async receiveControl(envelope: Uint8Array, sender: LiveMember): Promise<void> {
    const { keys, seen, warn } = this.port;
    const opened = await openControl({ roomKeys: keys, envelope, sender: sender.member, creatorId: fromBase64Url(this.state.creatorId)! });
    if (!opened.ok) return warnEnvelope(warn, opened.code, sender.record.id);
    // A replayed control (an old timer setting, say) must not apply again.
    const dedupe = controlSeenKey(toBase64Url(opened.messageId));
    if (seen.has(dedupe)) return warnEnvelope(warn, 'DUPLICATE', sender.record.id);
    seen.remember(dedupe, true);
    await this.port.membership.onControl(opened.action, sender.record.id);
  }

  private async receiveSenderKey(envelope: Uint8Array, sender: LiveMember): Promise<void> {
    const { keys, senderKeys, warn } = this.port;
    const opened = await openSenderKeyDistribution({ roomKeys: keys, me: this.self.me, sender: sender.member, envelope, ring: this.state.ring });
    if (!opened.ok) {
      // The answer to my key request can cross the sender's own distribution: not a replay.
      if (opened.code === 'KEY_ALREADY_KNOWN' && senderKeys.hasRequestedFrom(sender.record.id)) return;
      return warnEnvelope(warn, opened.code, sender.record.id);
    }
    this.state.ring = opened.ring;
    // Stored at once, not within the debounce: a tab closed in that window would come back
    // with neither this key nor a cursor before it, and retention may have dropped the
    // distribution by then — every later message of this sender unreadable.
    await this.port.persistence.persist();
  }

  private async receiveGroup(envelope: Uint8Array, sender: LiveMember, cursor: number, live: boolean): Promise<void> {
    const opened = await openGroupMessage({ roomKeys: this.port.keys, sender: sender.member, envelope, ring: this.state.ring });
    if (!opened.ok) {
      if (opened.code === 'UNKNOWN_SENDER_KEY' || opened.code === 'BEFORE_KEY') {
        if (this.isBeforeMyJoin(cursor)) {
          this.beforeJoinPending += 1;
          if (this.port.status.ready) await this.flushBeforeJoin();
          return;
        }
        // After my join: the distribution was lost (retention gap). The message is part of
        // the gap; ask the sender for its current key so what follows opens (C.5).
        if (opened.code === 'UNKNOWN_SENDER_KEY') this.port.senderKeys.requestKey(sender.record.id);
        return;
      }
      return warnEnvelope(this.port.warn, opened.code, sender.record.id);
    }
    this.state.ring = opened.ring;
    if (opened.content === 'file-manifest') return this.receiveManifest(opened.payload, sender);
    return this.receivePayload(opened.payload, sender, null, live);
  }

  private async receiveDirect(envelope: Uint8Array, sender: LiveMember, live: boolean): Promise<void> {
    const opened = await openDirectMessage({ roomKeys: this.port.keys, me: this.self.me, sender: sender.member, envelope });
    if (!opened.ok) return warnEnvelope(this.port.warn, opened.code, sender.record.id);
    if (opened.content === 'file-manifest') return this.receiveManifest(opened.payload, sender);
    return this.receivePayload(opened.payload, sender, this.self.identityId, live);
  }

  private async receivePayload(bytes: Uint8Array, sender: LiveMember, directTo: string | null, live: boolean): Promise<void> {
    const { seen, roster, timeline, presence, senderKeys, files, warn } = this.port;
    const payload = decodePayload(bytes);
    if (payload === undefined) return warn('bad-message', sender.record.id, 'BAD_PAYLOAD', 'message content does not parse');
    switch (payload.t) {
      case 'text': {
        const dedupe = itemSeenKey(sender.record.id, payload.id);
        if (seen.has(dedupe)) return;
        seen.remember(dedupe, directTo !== null);
        const mentions = payload.mentions.filter((m) => roster.has(m));
        await timeline.add({
          kind: 'text',
          id: dedupe,
          sender: sender.record.id,
          senderName: sender.record.identity.displayName,
          text: payload.body,
          mentions,
          mentionsMe: mentions.includes(this.self.identityId),
          directTo,
          state: 'received',
          sentAt: payload.ts,
        });
        presence.markOnline(sender.record.id, live);
        return;
      }
      case 'presence':
        if (!live) return; // an old beat from catch-up says nothing about now
        if (payload.state === 'online') presence.markOnline(sender.record.id, true);
        else presence.markOffline(sender.record.id);
        return;
      case 'file-offer':
        return; // offers travel as manifests (content kind file-manifest)
      case 'key-request':
        if (directTo !== null) senderKeys.answerKeyRequest(sender.record.id);
        return;
      case 'file-accept':
      case 'file-decline':
      case 'file-progress':
      case 'file-cancel':
      case 'file-resend':
        return files.onControl(payload, sender.record.id);
    }
  }

  private async receiveManifest(bytes: Uint8Array, sender: LiveMember): Promise<void> {
    const { seen, files, timeline, events, clock, warn } = this.port;
    const decoded = decodeFileManifest(bytes);
    if (!decoded.ok) return warnEnvelope(warn, decoded.code, sender.record.id);
    const manifest = decoded.manifest;
    const fileId = toBase64Url(manifest.fileId);
    const dedupe = itemSeenKey(sender.record.id, fileId);
    if (seen.has(dedupe)) return;
    const owner = files.offeredBy(fileId);
    if (owner !== undefined && owner !== sender.record.id) {
      return warn('bad-message', sender.record.id, 'FILE_ID_TAKEN', 'a file offer reuses the id of another member’s file');
    }
    seen.remember(dedupe);
    const item = await timeline.add({
      kind: 'file',
      id: dedupe,
      sender: sender.record.id,
      senderName: sender.record.identity.displayName,
      file: offerOf(manifest),
      transfer: 'offered',
      state: 'received',
      sentAt: clock.now(),
    });
    files.onOffer(manifest, sender, item);
    events.emit('file-offer', { roomId: this.state.id, item });
  }
}
