/**
 * The receive pipeline of a room (PROTOCOL C.7): each envelope a relay room hands over, in
 * that room's cursor order, goes by the relay room it came from — the current epoch's, the
 * previous epoch's (epochs.ts), a lobby (lobby.ts, knocking.ts) — and, in the current
 * epoch's room, is opened with the checks of Part B, de-duplicated and dispatched. Nothing
 * that fails is shown as a message: it becomes a warning, and the session goes on.
 */
import {
  ENVELOPE_KIND,
  decodeFileDigest,
  decodeFileManifest,
  openDirect,
  openGroup,
  openLeave,
  openSenderKeyDistribution,
  peekSealed,
  toBase64Url,
  type EpochMember,
  type SealedPeek,
  type UnlockedIdentity,
} from '@sealroom/protocol';
import type { Commits } from './commits.js';
import type { Epochs } from './epochs.js';
import type { EventHub } from './events.js';
import { offerOf } from './file-room.js';
import type { FileTransfers } from './files.js';
import type { Knocking } from './knocking.js';
import type { Leaving } from './leaving.js';
import type { LobbyWatch } from './lobby.js';
import { refItemId, type MessageActions } from './message-actions.js';
import { decodePayload } from './payloads.js';
import type { Clock } from './platform.js';
import type { Presence } from './presence.js';
import type { Receipts } from './receipts.js';
import type { RoomRecord } from './records.js';
import type { RelayRoom } from './relay-rooms.js';
import type { RoomLog } from './room-log.js';
import type { Persistence } from './room-persistence.js';
import type { Roster } from './roster.js';
import { itemSeenKey, type SeenIds } from './seen-ids.js';
import type { SenderKeys } from './sender-key-rotation.js';
import type { TimelineWriter } from './timeline.js';
import { warnEnvelope, type Warn } from './warnings.js';

/** The parts an envelope can concern, each through the narrow face the pipeline needs. */
export interface ReceivePort {
  readonly me: UnlockedIdentity;
  readonly myId: string;
  readonly log: RoomLog;
  readonly roster: Pick<Roster, 'has'>;
  readonly seen: SeenIds;
  readonly senderKeys: Pick<SenderKeys, 'hasRequestedFrom' | 'requestKey' | 'answerKeyRequest'>;
  readonly commits: Pick<Commits, 'before'>;
  readonly epochs: Pick<Epochs, 'onCommit' | 'onPrevious' | 'heardInCurrent'>;
  readonly lobby: Pick<LobbyWatch, 'onEnvelope'>;
  readonly knocking: Pick<Knocking, 'onEnvelope' | 'knock'>;
  readonly leaving: Pick<Leaving, 'onProposal'>;
  readonly timeline: TimelineWriter;
  readonly presence: Pick<Presence, 'markOnline' | 'markOffline' | 'answer'>;
  readonly receipts: Pick<Receipts, 'received' | 'onReceipt'>;
  readonly files: Pick<FileTransfers, 'onChunk' | 'onControl' | 'offeredBy' | 'onOffer' | 'onDigest'>;
  readonly actions: Pick<MessageActions, 'onAction' | 'arrived'>;
  readonly persistence: Persistence;
  readonly events: EventHub;
  readonly clock: Clock;
  readonly warn: Warn;
}

export class Receiver {
  constructor(
    private readonly port: ReceivePort,
    private readonly record: RoomRecord,
  ) {}

  /** One envelope of `room`, in cursor order. `live`: delivered now, not from catch-up. Caller holds the lock. */
  async receive(room: RelayRoom, cursor: number, envelope: Uint8Array, live: boolean): Promise<void> {
    const { knocking, lobby, epochs, commits } = this.port;
    if (room.role === 'lobby') {
      if (knocking.knock?.lobby.room === room.roomId) await knocking.onEnvelope(envelope);
      if (this.record.status === 'member' && this.record.lobbies.some((l) => l.room === room.roomId)) await lobby.onEnvelope(room.roomId, envelope);
      return;
    }
    if (this.record.status !== 'member') return;
    if (room.role === 'epoch') await commits.before(cursor);
    // The commit of mine just applied may have ended this room's epoch.
    if (room.role === 'previous') return epochs.onPrevious(cursor, envelope);
    return this.current(cursor, envelope, live);
  }

  private async current(cursor: number, envelope: Uint8Array, live: boolean): Promise<void> {
    const { log, warn, files, epochs } = this.port;
    const keys = log.current;
    if (keys === null) return;
    if (envelope[1] === ENVELOPE_KIND.chunk) return files.onChunk(envelope);
    const peeked = await peekSealed(keys, envelope);
    if (!peeked.ok) return warn('bad-message', null, peeked.code, 'an envelope failed verification and was dropped');
    const peek = peeked.peek;
    if (peek.type === 'commit') return epochs.onCommit(cursor, peek);
    const roster = log.roster!;
    const mine = roster.byIdentityId.get(this.port.myId);
    if (mine !== undefined && peek.sender !== undefined && toBase64Url(peek.sender) === toBase64Url(mine.memberId)) return; // my own, back in catch-up
    // Sealed to someone else: normal traffic, not mine to open.
    const toMe = peek.recipient === undefined || (mine !== undefined && toBase64Url(peek.recipient) === toBase64Url(mine.memberId));
    if (!toMe) return;
    const sender = this.senderOf(peek);
    if (sender !== undefined) epochs.heardInCurrent(sender.idB64);
    switch (peek.type) {
      case 'leave': {
        const opened = await openLeave({ keys, roster, envelope: peek });
        if (!opened.ok) return this.refused(opened.code);
        return this.port.leaving.onProposal(opened.sender.idB64, opened.proposal, opened.messageId);
      }
      case 'sender-key':
        return this.receiveSenderKey(peek);
      case 'group':
        return this.receiveGroup(peek, live);
      case 'direct':
        return this.receiveDirect(peek, live);
      default:
        return warn('bad-message', null, 'BAD_TYPE', 'unexpected envelope type');
    }
  }

  /** A failure of an opener: a sender who is not a member is its own kind of warning. */
  private refused(code: Parameters<typeof warnEnvelope>[1], member: string | null = null): void {
    if (code === 'UNKNOWN_SENDER') return this.port.warn('unknown-sender', member, 'UNKNOWN_SENDER', 'an envelope from someone who is not a member');
    warnEnvelope(this.port.warn, code, member);
  }

  private async receiveSenderKey(peek: SealedPeek): Promise<void> {
    const { log, me, senderKeys, persistence } = this.port;
    const opened = await openSenderKeyDistribution({ keys: log.current!, roster: log.roster!, me, envelope: peek, ring: this.record.ring });
    if (!opened.ok) {
      const sender = this.senderOf(peek);
      // The answer to my key request can cross the sender's own distribution: not a replay.
      if (opened.code === 'KEY_ALREADY_KNOWN' && sender !== undefined && senderKeys.hasRequestedFrom(sender.idB64)) return;
      return this.refused(opened.code, sender?.idB64 ?? null);
    }
    this.record.ring = opened.ring;
    // Stored at once, not within the debounce: a tab closed in that window would come back
    // with neither this key nor a cursor before it, and retention may have dropped the
    // distribution by then — every later message of this sender unreadable.
    await persistence.persist();
  }

  private async receiveGroup(peek: SealedPeek, live: boolean): Promise<void> {
    const { log } = this.port;
    const opened = await openGroup({ keys: log.current!, roster: log.roster!, envelope: peek, ring: this.record.ring });
    if (!opened.ok) {
      const sender = this.senderOf(peek);
      // The distribution was lost (a retention gap): the message is part of the gap; ask the
      // sender for its current key so what follows opens (C.5). Sealed before my key: skip.
      if (opened.code === 'UNKNOWN_SENDER_KEY' && sender !== undefined) return this.port.senderKeys.requestKey(sender.idB64);
      if (opened.code === 'BEFORE_KEY') return;
      return this.refused(opened.code, sender?.idB64 ?? null);
    }
    this.record.ring = opened.ring;
    return this.content(opened.content, opened.payload, opened.sender, null, live);
  }

  private async receiveDirect(peek: SealedPeek, live: boolean): Promise<void> {
    const { log, me } = this.port;
    const opened = await openDirect({ keys: log.current!, roster: log.roster!, me, envelope: peek });
    if (!opened.ok) return this.refused(opened.code, this.senderOf(peek)?.idB64 ?? null);
    return this.content(opened.content, opened.payload, opened.sender, this.port.myId, live);
  }

  private senderOf(peek: SealedPeek): EpochMember | undefined {
    return peek.sender === undefined ? undefined : this.port.log.roster?.byMemberId.get(toBase64Url(peek.sender));
  }

  private async content(kind: string, payload: Uint8Array, sender: EpochMember, directTo: string | null, live: boolean): Promise<void> {
    if (kind === 'file-manifest') return this.receiveManifest(payload, sender);
    if (kind === 'file-digest') {
      const trailer = decodeFileDigest(payload);
      if (!trailer.ok) return warnEnvelope(this.port.warn, trailer.code, sender.idB64);
      return this.port.files.onDigest(toBase64Url(trailer.fileId), trailer.digest, sender.idB64);
    }
    return this.receivePayload(payload, sender, directTo, live);
  }

  private async receivePayload(bytes: Uint8Array, sender: EpochMember, directTo: string | null, live: boolean): Promise<void> {
    const { seen, roster, timeline, presence, senderKeys, files, warn } = this.port;
    const from = sender.idB64;
    const payload = decodePayload(bytes);
    if (payload === undefined) return warn('bad-message', from, 'BAD_PAYLOAD', 'message content does not parse');
    switch (payload.t) {
      case 'text': {
        const dedupe = itemSeenKey(from, payload.id);
        if (seen.has(dedupe)) return;
        seen.remember(dedupe, directTo !== null);
        const mentions = payload.mentions.filter((m) => roster.has(m));
        await timeline.add({
          kind: 'text',
          id: dedupe,
          sender: from,
          senderName: sender.identity.displayName,
          text: payload.body,
          mentions,
          mentionsMe: mentions.includes(this.port.myId),
          directTo,
          state: 'received',
          sentAt: payload.ts,
          ...(payload.reply === undefined ? {} : { replyTo: refItemId(payload.reply) }),
        });
        await this.port.actions.arrived(dedupe);
        this.port.receipts.received(payload.id);
        presence.markOnline(from, live);
        return;
      }
      case 'receipt':
        presence.markOnline(from, live);
        return this.port.receipts.onReceipt(payload, from);
      case 'presence':
        if (!live) return; // an old beat from catch-up says nothing about now
        if (payload.state === 'offline') return presence.markOffline(from);
        presence.markOnline(from, true);
        if (payload.ask === true) presence.answer();
        return;
      case 'file-offer':
        return; // offers travel as manifests (content kind file-manifest)
      case 'key-request':
        if (directTo !== null) senderKeys.answerKeyRequest(from);
        return;
      case 'file-accept':
      case 'file-decline':
      case 'file-progress':
      case 'file-cancel':
      case 'file-resend':
        return files.onControl(payload, from);
      case 'edit':
      case 'delete':
      case 'react':
        return this.port.actions.onAction(payload, from, directTo);
    }
  }

  private async receiveManifest(bytes: Uint8Array, sender: EpochMember): Promise<void> {
    const { seen, files, timeline, events, clock, warn } = this.port;
    const decoded = decodeFileManifest(bytes);
    if (!decoded.ok) return warnEnvelope(warn, decoded.code, sender.idB64);
    const manifest = decoded.manifest;
    const fileId = toBase64Url(manifest.fileId);
    const dedupe = itemSeenKey(sender.idB64, fileId);
    if (seen.has(dedupe)) return;
    const owner = files.offeredBy(fileId);
    if (owner !== undefined && owner !== sender.idB64) {
      return warn('bad-message', sender.idB64, 'FILE_ID_TAKEN', 'a file offer reuses the id of another member’s file');
    }
    seen.remember(dedupe);
    const item = await timeline.add({
      kind: 'file',
      id: dedupe,
      sender: sender.idB64,
      senderName: sender.identity.displayName,
      file: offerOf(manifest),
      transfer: 'offered',
      state: 'received',
      sentAt: clock.now(),
    });
    files.onOffer(manifest, sender.idB64, item);
    events.emit('file-offer', { roomId: this.record.id, item });
    await this.port.actions.arrived(dedupe);
  }
}
