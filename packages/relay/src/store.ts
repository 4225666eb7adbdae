/**
 * Where rooms live: admission keys, cursors, retained envelopes, and the fan-out
 * between relay processes. The relay's connection handling talks only to this
 * interface, so one process in memory and many processes sharing Redis behave the same
 * to a client.
 *
 * Room ids are the base64url form of the 32-byte id clients derive (43 characters).
 *
 * A room has **incarnations**: one starts when the room is registered (or when a store
 * finds its history gone), and each has an `epoch` string of its own. Within an
 * incarnation cursors are 1, 2, 3, … in acceptance order, without holes, so a client can
 * tell a missing envelope from one that never existed; a new incarnation starts again at
 * 1 under a new epoch, so a client that kept a cursor of the old one knows it is void.
 */
export type RoomKey = string;

export interface RetainedEnvelope {
  readonly cursor: number;
  readonly envelope: Uint8Array;
}

export interface HistoryPage {
  /**
   * Envelopes with cursor > `after`, oldest first: the retained ones, and every pinned one
   * (pinned envelopes also inside (after, trimmedUpTo]).
   */
  readonly entries: readonly RetainedEnvelope[];
  /**
   * Highest cursor ever dropped by retention. When it is greater than the `after` the
   * caller asked for, the unpinned envelopes in (after, trimmedUpTo] are gone and the
   * client is told.
   */
  readonly trimmedUpTo: number;
  /** Latest cursor of the room (0 when it never had an envelope). */
  readonly head: number;
  /** True when more envelopes follow the last entry. */
  readonly more: boolean;
  /**
   * The room's current incarnation ([A-Za-z0-9_-], at most 64 characters), or undefined
   * when the store does not know the room (never registered, or forgotten).
   */
  readonly epoch: string | undefined;
}

/** The outcome of a pinned append: its cursor, or why nothing was stored. */
export type PinnedAppend = { readonly ok: true; readonly cursor: number } | { readonly ok: false; readonly code: 'PIN_LIMIT' };

/** Called for envelopes appended to a room by another relay process. */
export type RemoteEnvelopeListener = (room: RoomKey, cursor: number, envelope: Uint8Array) => void;

export interface StoreStats {
  readonly rooms: number;
  readonly retainedEnvelopes: number;
  readonly retainedBytes: number;
  /** False while a shared backend (Redis) is unreachable. Always true in memory. */
  readonly backendUp: boolean;
}

export interface RoomStore {
  /** The room's admission key, or undefined when no one has registered it yet. */
  admissionKey(room: RoomKey): Promise<Uint8Array | undefined>;
  /**
   * Registers `key` for the room unless one is registered already (set-if-absent,
   * atomic across processes), starting a new incarnation (a new epoch, cursors from 1)
   * that keeps envelopes at most `maxAgeMs` (already clamped by the caller; fixed for the
   * incarnation). Returns the key that is registered afterwards.
   */
  claimAdmissionKey(room: RoomKey, key: Uint8Array, maxAgeMs: number): Promise<Uint8Array>;
  /**
   * Assigns the room's next cursor, retains the envelope (trimming by count, bytes and
   * age) and makes it reach subscribers in other processes. Resolves with the cursor.
   * Appends from one caller (pinned or not) resolve in the order they were made.
   */
  append(room: RoomKey, envelope: Uint8Array, nowMs: number): Promise<number>;
  /**
   * As `append`, but the envelope is kept outside count, bytes and age trimming until the
   * room is forgotten. Stores nothing and resolves with `PIN_LIMIT` when the room already
   * holds `maxPinnedPerRoom` pinned envelopes.
   */
  appendPinned(room: RoomKey, envelope: Uint8Array, nowMs: number): Promise<PinnedAppend>;
  /** Envelopes after a cursor, at most `limit`, with the room's head and epoch. */
  readAfter(room: RoomKey, after: number, limit: number, nowMs: number): Promise<HistoryPage>;
  /** Starts receiving the room's envelopes appended by other processes. */
  subscribe(room: RoomKey): Promise<void>;
  /** Stops receiving them once no local connection is in the room. */
  unsubscribe(room: RoomKey): Promise<void>;
  /** One listener, set by the relay, for envelopes from other processes. */
  onRemoteEnvelope(listener: RemoteEnvelopeListener): void;
  /** Drops idle rooms and expired envelopes; the relay calls it periodically. */
  sweep(nowMs: number): Promise<void>;
  stats(): StoreStats;
  close(): Promise<void>;
}
