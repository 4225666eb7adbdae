/**
 * The public types of a room's timeline: text messages, file offers and their transfer state,
 * system events, and the options for sending and reading history. Types only, split out of
 * api.ts (which re-exports them) so each file holds one part of the public surface.
 */
import type { IdentityId, LinkPolicy, Role, RoomId } from './api-members.js';

/** `'pending'`: stored in the outbox, not yet acknowledged by the relay. `'sent'`: acknowledged. `'received'`: from someone else. */
export type DeliveryState = 'pending' | 'sent' | 'received';

interface TimelineBase {
  /** Unique within the room; for messages, the sender's message id. */
  id: string;
  roomId: RoomId;
  /** Sender's clock at sending (epoch ms); display only, not trusted for ordering. */
  sentAt: number;
  /** Epoch ms when this device stored it. */
  receivedAt: number;
  /** Epoch ms after which this device deletes it (disappearing messages), or null. */
  expiresAt: number | null;
}

export interface TextMessage extends TimelineBase {
  kind: 'text';
  sender: IdentityId;
  senderName: string;
  text: string;
  /** Identity ids of the members mentioned with `@name`. */
  mentions: IdentityId[];
  /** True when I am among `mentions`. */
  mentionsMe: boolean;
  /** Set for a direct message: the one member (besides the sender) who can read it. */
  directTo: IdentityId | null;
  state: DeliveryState;
  /** The timeline id of the message this one replies to; it may be one this device never had. */
  replyTo?: string;
  /** When its author last edited it (the author's clock, epoch ms); absent if never edited. */
  editedAt?: number;
  /** Deleted for everyone by its author: `text` is empty, only this tombstone is kept. */
  deleted?: boolean;
  reactions?: Reactions;
  /** Mine only, once the relay has it: who it was sent to and who confirmed it (receipts.ts). */
  receipts?: MessageReceipts;
}

/**
 * Receipts of a message I sent. `audience`: the members it was sealed for when the relay
 * took it (the other members of that epoch, or the one recipient of a direct message);
 * members who join later cannot read it and do not count. `delivered` and `read` are
 * subsets of `audience`, each member confirming only for itself; `read` implies delivered.
 */
export interface MessageReceipts {
  audience: IdentityId[];
  delivered: IdentityId[];
  read: IdentityId[];
}

/** Reactions to a message: emoji → identity ids of the members who reacted with it, oldest first. */
export type Reactions = Record<string, IdentityId[]>;

export interface FileOffer {
  fileId: string;
  name: string;
  /** Bytes. */
  size: number;
  mimeType: string;
  /**
   * Hex file digest (SHA-256 over a hash list of the chunks, PROTOCOL B.13), checked before a
   * transfer completes. It travels in a trailer after the last chunk, so an offer does not
   * know it: null until then (`file-complete` carries it).
   */
  sha256: string | null;
}

export type FileTransferState = 'offered' | 'accepted' | 'declined' | 'transferring' | 'complete' | 'failed';

export interface FileMessage extends TimelineBase {
  kind: 'file';
  sender: IdentityId;
  senderName: string;
  file: FileOffer;
  transfer: FileTransferState;
  state: DeliveryState;
  reactions?: Reactions;
}

/** Things that happened in the room, shown inline in the timeline. */
export type SystemEvent =
  /** `by`: who let them in (absent in items stored by older versions). */
  | { type: 'member-joined'; member: IdentityId; name: string; by?: IdentityId }
  /** `linkReset`: the invite link was reset with it (every leave and removal resets it). */
  | { type: 'member-left'; member: IdentityId; name: string; linkReset?: boolean }
  | { type: 'member-removed'; member: IdentityId; name: string; by: IdentityId; linkReset?: boolean }
  | { type: 'role-changed'; member: IdentityId; name: string; role: Role; by: IdentityId }
  | { type: 'link-changed'; by: IdentityId; policy: LinkPolicy }
  | { type: 'timer-set'; by: IdentityId; disappearingMs: number | null }
  /** I made this room: the first line of the creator's timeline. */
  | { type: 'room-created' }
  /** I was let in (`by`: the member whose welcome I verified). Nothing from before can be read. */
  | { type: 'joined-room'; by: IdentityId }
  /**
   * A member sent something before it saw the latest membership change: it was refused and
   * will appear once that member catches up and sends it again. One per member per epoch.
   */
  | { type: 'stale-epoch'; member: IdentityId; name: string }
  /** Envelopes the relay dropped before I could fetch them (cursor range). */
  | { type: 'gap'; afterCursor: number; upToCursor: number }
  /**
   * Protocol v1 only, kept for stored timelines: envelopes from before I joined, counted
   * sealed (presence beats and commits included). v2 never writes it: a newcomer starts in
   * a fresh epoch room and reads `joined-room` instead.
   */
  | { type: 'before-join'; count: number }
  | { type: 'removed-me'; by: IdentityId };

export interface SystemItem extends TimelineBase {
  kind: 'system';
  event: SystemEvent;
}

export type TimelineItem = TextMessage | FileMessage | SystemItem;

export interface SendTextOptions {
  /**
   * Identity ids of the members to mention. When omitted, `@name` tokens in the text that match a
   * member's display name are turned into mentions.
   */
  mentions?: IdentityId[];
  /** The timeline id of the message this one replies to (a text or file of this room). */
  replyTo?: string;
}

/**
 * What to send as a file: a `Blob`/`File`, or a function opening a byte stream of it. The
 * file is read once as it is sent (its digest goes in a signed trailer after the last
 * chunk); a stream source is a factory because resending a chunk a receiver missed opens it
 * again from the start. Nothing holds the whole file in memory.
 */
export type FileSource =
  { blob: Blob; name?: string; mimeType?: string } | { openStream: () => ReadableStream<Uint8Array>; size: number; name: string; mimeType?: string };

export interface HistoryOptions {
  /** Only items strictly older than this timeline id. */
  before?: string;
  /** At most this many (newest last). Default: all. */
  limit?: number;
}
