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

/**
/**
 * Why a registration stored nothing (docs/PROTOCOL.md A.3):
 * - `STORE_FULL`: the store holds as many rooms as it may, and none can be forgotten to
 *   make space (a room with a retained or pinned envelope, or a connection, never is).
 * - `NOT_ORIGINAL_KEY`: the room was forgotten a short while ago (within
 *   `forgottenRoomMemoryMs`), and the offered key is not the one it was registered with:
 *   only holders of the original key may start it again.
 */
export type ClaimRefusal = { readonly ok: false; readonly code: 'STORE_FULL' | 'NOT_ORIGINAL_KEY' };

/**
 * Called for envelopes appended to a room by another relay process. A store calls it, per
 * room, in increasing cursor order, and only for the room's current incarnation.
 */
export type RemoteEnvelopeListener = (room: RoomKey, cursor: number, envelope: Uint8Array) => void;

/**
 * What a store shared between processes learnt about a room this process is subscribed
 * to, outside the room's envelopes (see {@link RoomStore.onRoomState}).
 */
export interface RoomState {
  /**
   * The room's incarnation now. Undefined when the room could not be kept: its history was
   * lost and it is registered again under another admission key, so no member admitted
   * under the old one stays admitted.
   */
  readonly epoch: string | undefined;
  /** The room's head in that incarnation when the store looked (0 when unknown). */
  readonly head: number;
}

export type RoomStateListener = (room: RoomKey, state: RoomState) => void;

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
   * incarnation). Returns the key that is registered afterwards, or why nothing was
   * stored (a store that bounds its rooms, or remembers forgotten ones, may refuse).
   */
  claimAdmissionKey(room: RoomKey, key: Uint8Array, maxAgeMs: number): Promise<Uint8Array | ClaimRefusal>;
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
  /**
   * Starts receiving the room's envelopes appended by other processes. The relay subscribes
   * a room only once it is registered; a shared store refuses an unregistered one.
   */
  subscribe(room: RoomKey): Promise<void>;
  /** Stops receiving them once no local connection is in the room. */
  unsubscribe(room: RoomKey): Promise<void>;
  /** One listener, set by the relay, for envelopes from other processes. */
  onRemoteEnvelope(listener: RemoteEnvelopeListener): void;
  /**
   * Optional: only stores shared between processes (Redis) implement it. The store calls the
   * listener for a subscribed room (a) when envelopes other processes appended may not have
   * reached it (its feed was interrupted): every cursor up to `head` exists, and the relay
   * reads those it has not delivered; (b) when the room's incarnation changed while this
   * process had members in it (the backend lost the room's history and the store registered
   * it again under the same admission key and retention age): `epoch` is the new one, and
   * the members must be told. After (b), appends made before it are refused, never stored in
   * the new incarnation.
   */
  onRoomState?(listener: RoomStateListener): void;
  /** Drops idle rooms and expired envelopes; the relay calls it periodically. */
  sweep(nowMs: number): Promise<void>;
  stats(): StoreStats;
  close(): Promise<void>;
}
