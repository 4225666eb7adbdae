/**
 * The public types of `@sealroom/client`: options, identity, the per-room handle, events and
 * the client interface; rooms and members (api-members.ts) and the timeline (api-timeline.ts)
 * are re-exported from here. Types only; `index.ts` re-exports them, and modules inside the
 * package import them from here, never from the barrel.
 */
import type { IdentityProgress } from '@sealroom/protocol';
import type { FileFailureCode, WarningCodes, WarningKind } from './codes.js';
import type { Clock, ClientStorage, ReconnectOptions, WebSocketConstructor } from './platform.js';
import type { IdentityId, LinkPolicy, MemberInfo, MembershipChange, MessageId, PendingKnock, Role, RoomId, RoomSummary, SafetyNumber } from './api-members.js';
import type { DeliveryState, FileMessage, MessageReceipts, FileSource, HistoryOptions, SendTextOptions, TextMessage, TimelineItem } from './api-timeline.js';

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
  /**
   * Whether this client sends read receipts (and records other members' read receipts).
   * Default true; change it later with {@link SealroomClient.setReadReceipts}. Delivery
   * receipts are always sent.
   */
  readReceipts?: boolean;
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

/** How far a backup export or import is (sent as it goes; large histories take seconds). */
export interface BackupProgress {
  /** Export: `collecting` then `sealing`. Import: `opening` (checking every part) then `restoring`. */
  step: 'collecting' | 'sealing' | 'opening' | 'restoring';
  done: number;
  total: number;
}

export interface ExportBackupOptions {
  /** Include the rooms' history (default true). Rooms, their secrets and state are always included. */
  history?: boolean;
  onProgress?: (progress: BackupProgress) => void;
}

export interface ImportBackupOptions {
  onProgress?: (progress: BackupProgress) => void;
}

export type * from './api-members.js';
export type * from './api-timeline.js';

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
  /** A message inside the room that only `to` can open (`options.replyTo`: as for sendText). */
  sendDirect(to: IdentityId, text: string, options?: Pick<SendTextOptions, 'replyTo'>): Promise<TextMessage>;
  /**
   * Adds my reaction `emoji` to a message (text or file) or, if I already reacted with it,
   * takes it back. Rejects `BAD_REACTION` (not exactly one emoji), `UNKNOWN_MESSAGE`.
   * Resolves with the message as it is now on this device. A private message's reactions go
   * only to the other person of that conversation (PROTOCOL C.11).
   */
  react(itemId: string, emoji: string): Promise<TextMessage | FileMessage>;
  /** Replaces the text of my message for everyone; no history is kept. Rejects `NOT_AUTHOR`, `UNKNOWN_MESSAGE`, `MESSAGE_TOO_LARGE`. */
  editMessage(itemId: string, text: string): Promise<TextMessage>;
  /** Deletes my message for everyone: each device keeps only a tombstone. Rejects `NOT_AUTHOR`, `UNKNOWN_MESSAGE`. */
  deleteMessage(itemId: string): Promise<TextMessage>;
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
  /**
   * The user has seen every message received in this room so far: their senders get a read
   * receipt with the next batch, unless read receipts are off (then nothing is sent).
   */
  markRead(): void;
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
  /** A stored message changed in place: edited, deleted for everyone (a tombstone now), reactions. */
  'message-updated': { roomId: RoomId; item: TextMessage | FileMessage };
  /** A message of mine moved from pending to sent. */
  delivery: { roomId: RoomId; id: MessageId; state: DeliveryState };
  /** Another member confirmed delivery or reading of a message of mine; `receipts` is its new state. */
  receipt: { roomId: RoomId; id: MessageId; receipts: MessageReceipts };
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
  /**
   * A backup file's bytes (JSON, PROTOCOL.md B.2.1), sealed under the current password: the
   * identity and, while unlocked, every room with its secrets and state and (unless
   * `history: false`) its history, disappearing messages excepted. Locked, the identity only.
   * Rejects `WRONG_PASSWORD`.
   */
  exportBackup(password: string, options?: ExportBackupOptions): Promise<Uint8Array>;
  /**
   * Imports a backup made by {@link exportBackup} (or the identity-only files of earlier
   * versions) and unlocks with its password. Rooms come back and reconnect; into a browser
   * holding the same identity, rooms are merged (history by item id, never twice). Rejects
   * `BAD_BACKUP` (the message says what is wrong), `WRONG_PASSWORD`, or `IDENTITY_EXISTS`
   * when another identity is stored. Nothing is written unless the whole file checks out.
   */
  importBackup(backup: Uint8Array, password: string, options?: ImportBackupOptions): Promise<IdentityInfo>;

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
  /**
   * Turns read receipts on or off for every room. Off: no read receipts are sent and other
   * members' read receipts are not recorded (as Signal does); delivery receipts still flow.
   */
  setReadReceipts(enabled: boolean): void;

  /** Flushes pending storage writes, closes sockets and timers. The client is unusable afterwards. */
  close(): Promise<void>;
}
