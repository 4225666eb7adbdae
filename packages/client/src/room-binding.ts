/**
 * The contract between the relay connection ({@link RelayConnection}, transport.ts) and each
 * room it carries: what the connection asks of the room, and what it promises in return.
 * A room session implements {@link RoomBinding}; a room may hold several bindings (one per
 * relay room: current epoch, previous epoch, lobby), each with its own relay room id.
 *
 * What the connection promises a binding (PROTOCOL Part A, version 2):
 *
 * - **One at a time, in order.** Every call below except `prove`, `onError` and
 *   `onDisconnected` is made from one queue per binding: `onRelayReset`, `onRelayEpoch`,
 *   `onEnvelope`, `onGap` and `onReady` each wait for the promise of the call before them.
 *   Envelopes come in strictly increasing cursor order.
 * - **Nothing dropped.** Cursors are contiguous per relay room incarnation (1, 2, 3, …). A
 *   DELIVER that arrives ahead of a missing cursor is held while the missing range is fetched
 *   with `history`; the binding receives every envelope of the range, then the held one. A
 *   cursor is skipped only when the relay says it is gone (`onGap`), when it is this
 *   connection's own publish (acknowledged to it, never handed back on the same
 *   connection), or when it is at or below the binding's cursor (a duplicate).
 * - **Loss is never silent.** When the relay's room is another incarnation than the one the
 *   binding's cursor belongs to — `joined.epoch` differs from {@link RoomBinding.relayEpoch},
 *   the room turns out unregistered, or the relay's head is behind the cursor — while the
 *   cursor is above 0, `onRelayReset` comes first, and catch-up restarts at cursor 0.
 * - **Ready means caught up.** After (re)admission the connection catches up from
 *   `cursor()` and calls `onReady` once everything fetched has been processed; only then
 *   does `isReady(roomId)` turn true and `publish` accept envelopes for the room.
 * - **Retries.** A `join` or PUBLISH refused with `UNAVAILABLE` (the relay's store is down)
 *   is retried with backoff while the socket stays open; meanwhile the room is not ready
 *   (`onDisconnected` was called) and the connection reports itself `reconnecting`.
 */
import type { TransportErrorCode } from './codes.js';

/** The answer to an admission challenge (Part A.3). */
export interface AdmissionProof {
  /** HMAC-SHA-256(admission key, "sealroom/admit/v1" ‖ room id ‖ nonce). */
  mac: Uint8Array;
  /** The admission key; sent only when the challenge said the room is unregistered (it registers it). */
  key?: Uint8Array;
  /**
   * The retention age, in ms, the room asks for when this proof registers it; sent only with
   * `key` (the relay keeps at most this, never under its floor, fixed from then on).
   */
  maxAgeMs?: number;
}

/** Why the relay's history of a room no longer continues the binding's cursor. */
export type RelayResetReason =
  /** `joined.epoch` is another incarnation than the one the cursor belongs to (or none was known). */
  | 'epoch-changed'
  /** The relay does not know the room any more (forgotten, or restarted empty). */
  | 'unregistered'
  /** Same epoch, but the relay's head is behind the cursor: it lost envelopes it had acknowledged. */
  | 'head-behind';

/** What a binding needs to show "messages after … could not be recovered". */
export interface RelayReset {
  readonly reason: RelayResetReason;
  /** The binding's cursor before the reset (above 0): what came after it in the old incarnation may be lost. */
  readonly lastCursor: number;
  /** The epoch `lastCursor` belonged to; undefined when the binding never learnt one. */
  readonly previousEpoch: string | undefined;
}

export interface RoomBinding {
  /** Base64url relay room id (32 bytes). */
  readonly roomId: string;
  /**
   * Answers an admission challenge. `registered` is the challenge's: when false, include
   * `key` (and `maxAgeMs` if the room wants a shorter retention) to register the room.
   */
  prove(nonce: Uint8Array, registered: boolean): Promise<AdmissionProof>;
  /** Last cursor fully processed (0 = none); catch-up asks for everything after it. Persisted by the binding. */
  cursor(): number;
  /**
   * The relay epoch `cursor()` belongs to: the last one given to {@link onRelayEpoch}
   * (persisted with the cursor), or undefined if none was ever given.
   */
  relayEpoch(): string | undefined;
  /**
   * The relay's room incarnation for this admission (`joined.epoch`). Called on every
   * admission, after `onRelayReset` if there was one and before any envelope: keep it with
   * the cursor.
   */
  onRelayEpoch(epoch: string): void;
  /**
   * The relay's history no longer continues `cursor()` (see {@link RelayReset}). Before it
   * returns, the binding must have set its cursor to 0 and forgotten its epoch; it records
   * the gap ("messages after … could not be recovered") as it likes, possibly later.
   */
  onRelayReset(reset: RelayReset): void;
  /**
   * One envelope, in cursor order; awaited before the next call. `live` is true for a
   * DELIVER (sent just now), false for a HISTORY replay (catch-up).
   */
  onEnvelope(cursor: number, envelope: Uint8Array, live: boolean): Promise<void>;
  /**
   * The relay dropped the unpinned envelopes of (after, upTo] before they could be fetched.
   * Comes in order: every envelope ≤ upTo that was still there (pinned ones) was handed over
   * before it. The binding should move its cursor to `upTo` (so the gap is not reported
   * again) and show the gap.
   */
  onGap(after: number, upTo: number): void | Promise<void>;
  /** Admission and catch-up finished on this connection (or the relay's store is back): sending may start. */
  onReady(): void;
  /** Admission refused, or another room-scoped refusal the connection does not retry itself. Not queued. */
  onError(code: TransportErrorCode, message: string): void;
  /**
   * The room is not ready until the next `onReady`: the connection dropped, or the relay's
   * store refused with `UNAVAILABLE` and the connection is retrying. Not queued.
   */
  onDisconnected(): void;
}
