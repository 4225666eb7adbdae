/**
 * The public types of `@sealroom/client`: options, identity, rooms, members, the timeline,
 * the per-room handle, events and the client interface. Types only; `index.ts` re-exports
 * them, and modules inside the package import them from here, never from the barrel.
 */
import type { IdentityProgress } from '@sealroom/protocol';
import type { FileFailureCode, WarningCodes, WarningKind } from './codes.js';
import type { Clock, ClientStorage, ReconnectOptions, WebSocketConstructor } from './platform.js';

export interface SealroomClientOptions {
  /**
   * The relay new rooms are created on: an `http(s)://` base (the WebSocket endpoint is
   * `<base>/ws`) or the `ws(s)://…/ws` endpoint itself. Rooms joined by invite use the
   * relay named in their invite link.
   */
  relayUrl: string;
  /** Where invite links point (the web app's origin). Defaults to `relayUrl`'s http(s) form. */
  appUrl?: string;
  storage: ClientStorage;
  WebSocket: WebSocketConstructor;
  clock?: Clock;
  reconnect?: ReconnectOptions;
  /**
   * Lowers the PBKDF2 iteration count for identities created by this client. Tests only:
   * a real user must get the shipped default (at least 600 000). Ignored unless it is
   * set explicitly; the name is meant to look dangerous.
   */
  dangerousTestOnlyPbkdf2Iterations?: number;
  /**
   * How long a member stays "online" after its last presence beat without a new one,
   * in ms. Default 75 000 (two missed 30 s beats, plus slack).
   */
  presenceTimeoutMs?: number;
}

// ---------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------

/** `'none'`: no identity stored. `'locked'`: stored but not unlocked. `'unlocked'`: ready. */
export type IdentityState = 'none' | 'locked' | 'unlocked';

export interface IdentityInfo {
  displayName: string;
  /** This identity's id: the same in every room, never sent in the clear. */
  identityId: IdentityId;
  /** Human-readable fingerprint of the public keys (groups of digits/hex for display). */
  fingerprint: string;
}

/** What identity creation is doing: making each key pair, then (`done`) sealing them under the password. */
export type KeyGenerationStep = IdentityProgress['step'];

export interface CreateIdentityOptions {
  displayName: string;
  password: string;
  /** Called as key generation proceeds; `fraction` goes from 0 to 1. */
  onProgress?: (progress: { step: KeyGenerationStep; fraction: number }) => void;
}

// ---------------------------------------------------------------------------------
// Rooms, members, timeline
// ---------------------------------------------------------------------------------

/**
 * A room id: the base64url form (43 characters) of the room's 32-byte id, the hash of its
 * genesis entry (PROTOCOL B.6). Stable for the room's life; never sent to a relay.
 */
export type RoomId = string;
/**
 * An identity id: the base64url form (43 characters) of the identity hash of the public keys
 * (PROTOCOL B.1), the same in every room. It names members in this API and inside sealed
 * payloads; envelope headers carry room-scoped member ids (B.6) instead, so the relay cannot
 * link one person across rooms. "Member id" means only that room-scoped id.
 */
export type IdentityId = string;
/** A message id: 16 random bytes in base64url, chosen by the sender. */
export type MessageId = string;

/** A member's role in the membership log. Admins remove members, change roles and the link, approve knocks. */
export type Role = 'member' | 'admin';

/**
 * How the invite link admits people (PROTOCOL B.14.7). `approval`: knocks wait for an admin.
 * `singleUse`: the link is reset by the first add through it. `expiresAt`: epoch ms after
 * which knocks are declined, or null for never. Every change of policy makes a new link.
 */
export interface LinkPolicy {
  approval: boolean;
  singleUse: boolean;
  expiresAt: number | null;
}

/**
 * Where this device stands in a room:
 * - `knocking`: I opened an invite and wait for a member to let me in (nothing to read yet);
 * - `current`: a member, as far as this device knows up to date;
 * - `catching-up`: a member that is processing membership changes it missed, or asking to be
 *   let in again because the relay lost the room's history ("catching up on membership…");
 * - `left`, `removed`: no longer a member; the history stays readable here;
 * - `outdated`: a room stored by an older version of Sealroom; read-only, ask for a new invite.
 */
export type MembershipStatus = 'knocking' | 'current' | 'catching-up' | 'left' | 'removed' | 'outdated';

/** Why a knock was turned down: a member declined, or the link had expired or was already used. */
export type KnockDeclineReason = 'declined' | 'link-expired' | 'link-used';

export interface RoomSummary {
  id: RoomId;
  /** The room's name from its log; while knocking, the untrusted hint from the invite link. */
  name: string;
  /** Identity id of the creator (bound to the room by its genesis); empty while knocking. */
  createdBy: IdentityId;
  /** Disappearing-message timer in ms, or null when messages are kept. */
  disappearingMs: number | null;
  memberCount: number;
  /** True while I am a member (`status` is `current` or `catching-up`). */
  active: boolean;
  status: MembershipStatus;
  /** My role, or null when I am not a member. */
  myRole: Role | null;
  /** Identity ids of the admins (the creator first). */
  admins: IdentityId[];
  /** The invite link's policy, or null when I am not a member. */
  linkPolicy: LinkPolicy | null;
  /** The current epoch (number of membership changes so far), or null while knocking. */
  epoch: number | null;
  /** While knocking: a member declined, or the link was expired or used. An unauthenticated hint. */
  knockDeclined: KnockDeclineReason | null;
  /** Knocks waiting for an admin's answer (0 unless I am an admin of an approval room). */
  pendingKnocks: number;
  /** Epoch ms of my joining. */
  joinedAt: number;
  /** Epoch ms of the newest timeline item, for sorting a room list. */
  lastActivityAt: number;
}

export interface MemberInfo {
  id: IdentityId;
  displayName: string;
  fingerprint: string;
  /** True for the local identity's own entry. */
  isMe: boolean;
  isCreator: boolean;
  role: Role;
  /** The name is confusable with another current member's (UTS #39 skeleton): one of them is not who it seems. */
  nameClash: boolean;
  /** The name mixes scripts ("Bоb" with a Cyrillic о). */
  mixedScript: boolean;
  /** Marked verified by me after comparing the safety number. Persisted. */
  verified: boolean;
  /** A presence beat arrived recently. */
  online: boolean;
  joinedAt: number;
}

/** A knock waiting for an admin (approval links), as {@link RoomHandle.pendingKnocks} lists it. */
export interface PendingKnock {
  knockId: string;
  identityId: IdentityId;
  displayName: string;
  fingerprint: string;
  /** Epoch ms when this device saw the knock. */
  at: number;
  /** The identity is in the room's removal record: approving re-adds someone an admin removed. */
  removedBefore: boolean;
  /** The name is confusable with a current member's. */
  nameClash: boolean;
  mixedScript: boolean;
}

/** What a membership change did, as the `membership` event and the timeline tell it. */
export type MembershipChange =
  | { kind: 'joined'; member: IdentityId; name: string; by: IdentityId; via: 'member' | 'link' | 'knock'; linkReset: boolean }
  | { kind: 'left'; member: IdentityId; name: string; by: IdentityId; linkReset: true }
  | { kind: 'removed'; member: IdentityId; name: string; by: IdentityId; linkReset: true }
  | { kind: 'role'; member: IdentityId; name: string; role: Role; by: IdentityId }
  | { kind: 'timer'; disappearingMs: number | null; by: IdentityId }
  | { kind: 'link'; policy: LinkPolicy; by: IdentityId; linkReset: true };

export interface SafetyNumber {
  /** 60 digits, identical on both members' screens. */
  digits: string;
  /** The digits in 12 groups of 5, separated by spaces. */
  display: string;
  /** Text to encode as a QR code for scanning instead of reading digits. */
  qrPayload: string;
}

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
}

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
   * Messages from before I joined: sealed under keys I never had, which is by design.
   * `count` is of sealed group envelopes, presence beats included (they are
   * indistinguishable from outside): show "earlier messages", not the number as texts.
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

/** One room as seen by this device. Obtained from {@link SealroomClient.createRoom}, `joinRoom` or `room`. */
export interface RoomHandle {
  readonly id: RoomId;
  /** The relay WebSocket endpoint this room lives on. */
  readonly relayUrl: string;
  summary(): RoomSummary;
  members(): MemberInfo[];
  /** The invite link (secret in the fragment only). Anyone holding it can join. */
  inviteLink(): string;
  /** Stored timeline, oldest first. */
  history(options?: HistoryOptions): Promise<TimelineItem[]>;
  /** Queues a text message; resolves once it is persisted in the outbox (`state: 'pending'`). */
  sendText(text: string, options?: SendTextOptions): Promise<TextMessage>;
  /** A message inside the room that only `to` can open. */
  sendDirect(to: IdentityId, text: string): Promise<TextMessage>;
  /**
   * Offers a file to the room and streams it to every member who accepts. Resolves
   * once the offer is queued; progress arrives as `file-progress` events.
   */
  sendFile(source: FileSource): Promise<FileMessage>;
  /**
   * Accepts an offered file and writes its plaintext into `sink` chunk by chunk.
   * Resolves after the whole-file SHA-256 matched; rejects otherwise (the sink is aborted
   * then) with a `SealroomClientError` whose `code` is `HASH_MISMATCH` or `TRANSFER_FAILED`
   * and whose `reason` is the {@link FileFailureCode} (the `file-failed` event's `code`).
   * Lost or altered chunks are asked for again; when that is exhausted the reason is
   * `RESEND_EXHAUSTED` or `STALLED`, never a silent wait (PROTOCOL.md C.6).
   */
  acceptFile(fileId: string, sink: WritableStream<Uint8Array>): Promise<void>;
  declineFile(fileId: string): Promise<void>;
  /** Persists my verification mark for a member (after comparing safety numbers). */
  markVerified(member: IdentityId, verified: boolean): Promise<void>;
  safetyNumber(member: IdentityId): Promise<SafetyNumber>;
  /** Sets the room's disappearing-message timer for everyone; `null` turns it off. */
  setDisappearingTimer(ms: number | null): Promise<void>;
  /**
   * Admins only: removes a member (never the creator). Resolves once the removal is committed
   * (a new epoch that the removed member cannot enter; the invite link is reset). Rejects
   * `NOT_ADMIN`, `UNKNOWN_MEMBER`, `CHANGE_REFUSED`.
   */
  removeMember(member: IdentityId): Promise<void>;
  /**
   * Leaves the room: a leave proposal that a remaining member commits. Resolves once the
   * proposal is queued; the room turns inactive (`status: 'left'`) when the relay has it.
   */
  leave(): Promise<void>;
  /** Admins only: makes a member an admin or a member again (never the creator's role). */
  setRole(member: IdentityId, role: Role): Promise<void>;
  /** Admins only: a new invite link with this policy (the old link stops working). */
  setLinkPolicy(policy: LinkPolicy): Promise<void>;
  /** Admins only: a new invite link with the same policy. */
  resetLink(): Promise<void>;
  /** Knocks waiting for an admin (approval links); empty for other members. */
  pendingKnocks(): PendingKnock[];
  /**
   * Admins only: lets a knocker in. An identity in the removal record comes back only this
   * way (a deliberate re-add). Rejects `UNKNOWN_KNOCK` when it was answered meanwhile.
   */
  approveKnock(knockId: string): Promise<void>;
  /** Admins only: turns a knock down (the knocker is told it was declined). */
  declineKnock(knockId: string): Promise<void>;
}

// ---------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------

/** `'offline'` before the first connect attempt or after close(). */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'offline';

/**
 * Something that could not be shown or done, raised instead of failing the session. The
 * `code` is one of the codes of its `kind` ({@link WarningCodes}): from the protocol's
 * checks (`BAD_SIGNATURE`…), the relay (Part A.7) or the client itself.
 */
export type Warning = {
  [K in WarningKind]: {
    kind: K;
    roomId: RoomId | null;
    /** The member concerned, when one can be named. */
    member: IdentityId | null;
    code: WarningCodes[K];
    /** Human-readable detail; never contains plaintext of the failed envelope. */
    detail: string;
  };
}[WarningKind];

/** Every event the client emits, keyed by type. Each carries the room where applicable. */
export interface ClientEventMap {
  /** A new timeline item (message, file offer, system event) was stored. */
  message: { roomId: RoomId; item: TimelineItem };
  /** A message of mine moved from pending to sent. */
  delivery: { roomId: RoomId; id: MessageId; state: DeliveryState };
  /** Items deleted locally because their disappearing timer ran out. */
  expired: { roomId: RoomId; ids: string[] };
  'member-joined': { roomId: RoomId; member: MemberInfo };
  'member-left': { roomId: RoomId; member: MemberInfo };
  'member-removed': { roomId: RoomId; member: MemberInfo; by: IdentityId };
  /** A member's state changed (verified mark, name, online). */
  'member-updated': { roomId: RoomId; member: MemberInfo };
  /** The set of members online now in a room. */
  presence: { roomId: RoomId; online: IdentityId[] };
  warning: Warning;
  /** Part of the room's past is gone at the relay and cannot be caught up. */
  gap: { roomId: RoomId; afterCursor: number; upToCursor: number };
  connection: { relayUrl: string; state: ConnectionState; /** Next retry in ms when reconnecting. */ retryInMs: number | null };
  /** Room list or a room's summary changed (created, joined, name, timer, status, left). */
  room: { roomId: RoomId; summary: RoomSummary };
  /** An admin removed me: the room is now inactive and I hold no current keys. */
  'removed-me': { roomId: RoomId; by: IdentityId };
  /** A membership change was committed (who changed what; `epoch` is the epoch it started). */
  membership: { roomId: RoomId; change: MembershipChange; epoch: number; at: number };
  /** The knocks waiting for an admin changed (admins of approval rooms only). */
  knock: { roomId: RoomId; knocks: PendingKnock[] };
  /** My knock was answered: I am a member now (`by`: the member who let me in). */
  'joined-room': { roomId: RoomId; summary: RoomSummary; by: IdentityId };
  'file-offer': { roomId: RoomId; item: FileMessage };
  'file-progress': { roomId: RoomId; fileId: string; direction: 'send' | 'receive'; bytes: number; total: number };
  'file-complete': { roomId: RoomId; fileId: string; direction: 'send' | 'receive'; sha256: string };
  'file-failed': { roomId: RoomId; fileId: string; direction: 'send' | 'receive'; code: FileFailureCode };
  /** Identity state changed (created, unlocked, locked). */
  identity: { state: IdentityState; identity: IdentityInfo | null };
}

export type ClientEventType = keyof ClientEventMap;
/** A discriminated union of all events, for one reducer-style listener (e.g. a zustand store). */
export type ClientEvent = { [K in ClientEventType]: { type: K } & ClientEventMap[K] }[ClientEventType];

/** Detaches a listener. */
export type Unsubscribe = () => void;

// ---------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------

export interface SealroomClient {
  // Identity ----------------------------------------------------------------------
  identityState(): Promise<IdentityState>;
  /** The unlocked identity, or null while none/locked. */
  identity(): IdentityInfo | null;
  /**
   * Generates identity keys (RSA-OAEP and RSA-PSS, about a second), wraps them under the
   * password and stores them; leaves the client unlocked. Rejects `IDENTITY_EXISTS`, or
   * `BAD_DISPLAY_NAME` (empty, over 128 UTF-8 bytes, control or bidi characters, or
   * leading/trailing spaces).
   */
  createIdentity(options: CreateIdentityOptions): Promise<IdentityInfo>;
  /** Rejects `WRONG_PASSWORD` (nothing is destroyed) or `NO_IDENTITY`. Connects to the relays of stored rooms. */
  unlock(password: string): Promise<IdentityInfo>;
  /**
   * Says goodbye (presence), closes connections and forgets every unwrapped key from
   * memory. Room handles obtained before are dead afterwards: after `unlock`, get them again
   * with `room(id)`. Event listeners stay attached.
   */
  lock(): Promise<void>;
  /** Re-wraps the identity and storage key under a new password. Rejects `WRONG_PASSWORD`. */
  changePassword(oldPassword: string, newPassword: string): Promise<void>;
  /** The password-wrapped identity as a file's bytes (JSON). Needs the current password. */
  exportBackup(password: string): Promise<Uint8Array>;
  /**
   * Imports a backup made by {@link exportBackup} and unlocks with its password.
   * Rejects `BAD_BACKUP`, `WRONG_PASSWORD`, or `IDENTITY_EXISTS` when one is stored.
   */
  importBackup(backup: Uint8Array, password: string): Promise<IdentityInfo>;

  // Rooms -------------------------------------------------------------------------
  /**
   * Creates a room on `relayUrl` (default: the client's) and returns its handle. Rejects
   * `BAD_ROOM_NAME` for an empty name, one over 128 UTF-8 bytes or with control characters.
   */
  createRoom(options: { name: string; relayUrl?: string }): Promise<RoomHandle>;
  /**
   * Opens an invite link (or just its `#…` fragment): stores the room as `knocking` and
   * knocks in the link's lobby; a member lets me in (`joined-room`), an admin does under
   * approval links. Resolves once the room is stored, even offline. Rejects `BAD_INVITE`,
   * `OLD_INVITE` (a link of an older version), `REMOVED_FROM_ROOM` (an old link of a room I
   * was removed from).
   */
  joinRoom(inviteLink: string): Promise<RoomHandle>;
  rooms(): RoomSummary[];
  room(id: RoomId): RoomHandle | undefined;

  // Events ------------------------------------------------------------------------
  on<K extends ClientEventType>(type: K, listener: (event: ClientEventMap[K]) => void): Unsubscribe;
  /** Every event as a discriminated union, in emission order. */
  onEvent(listener: (event: ClientEvent) => void): Unsubscribe;
  /** Connection state per relay endpoint. */
  connectionState(relayUrl?: string): ConnectionState;

  /** Flushes pending storage writes, closes sockets and timers. The client is unusable afterwards. */
  close(): Promise<void>;
}
