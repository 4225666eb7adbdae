/**
 * Where rooms live: admission keys, cursors, retained envelopes, and the fan-out
 * between relay processes. The relay's connection handling talks only to this
 * interface, so one process in memory and many processes sharing Redis behave the same
 * to a client.
 *
 * Room ids are the base64url form of the 32-byte id clients derive (43 characters).
 */
export type RoomKey = string;

export interface RetainedEnvelope {
  readonly cursor: number;
  readonly envelope: Uint8Array;
}

export interface HistoryPage {
  /** Envelopes with cursor > `after`, oldest first. */
  readonly entries: readonly RetainedEnvelope[];
  /**
   * Highest cursor ever dropped by retention. When it is greater than the `after` the
   * caller asked for, envelopes in (after, trimmedUpTo] are gone and the client is told.
   */
  readonly trimmedUpTo: number;
  /** Latest cursor of the room (0 when it never had an envelope). */
  readonly head: number;
  /** True when more retained envelopes follow the last entry. */
  readonly more: boolean;
}

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
   * atomic across processes). Returns the key that is registered afterwards.
   */
  claimAdmissionKey(room: RoomKey, key: Uint8Array): Promise<Uint8Array>;
  /**
   * Assigns the room's next cursor, retains the envelope (trimming by count, bytes and
   * age) and makes it reach subscribers in other processes. Resolves with the cursor.
   * Appends from one caller resolve in the order they were made.
   */
  append(room: RoomKey, envelope: Uint8Array, nowMs: number): Promise<number>;
  /** Retained envelopes after a cursor, at most `limit`. */
  readAfter(room: RoomKey, after: number, limit: number, nowMs: number): Promise<HistoryPage>;
  /** Tightens the room's maximum retention age (disappearing messages). */
  setMaxAge(room: RoomKey, maxAgeMs: number): Promise<void>;
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
