/**
 * What the relay connection (transport.ts) keeps per room it carries, and the narrow port
 * through which the per-room logic (room-catch-up.ts, room-retry.ts) reaches the connection.
 *
 * It exists so the room's state machine — idle → joining → catching-up → ready, with the
 * "waiting for the relay's store" flag beside it — can be read apart from the socket's
 * lifecycle: the room parts see only {@link RoomLink}, never the socket or the pending
 * publishes themselves. The helpers here are the ones both room parts share.
 */
import type { Clock } from './platform.js';
import type { CursorOrder } from './cursor-order.js';
import type { RoomBinding } from './room-binding.js';

export interface RoomState {
  binding: RoomBinding;
  /** Part A room id bytes. */
  roomBytes: Uint8Array;
  phase: 'idle' | 'joining' | 'catching-up' | 'ready';
  /** The challenge said the room had no admission key (this admission registers it). */
  unregistered: boolean;
  /** Cursor order of this admission; undefined until `joined` has been checked against the binding. */
  order: CursorOrder | undefined;
  /** Live DELIVERs that came before `order` existed. */
  early: { cursor: number; envelope: Uint8Array }[];
  /** A `history` request is out; `lastFetched` is the highest cursor its answer brought so far. */
  fetching: boolean;
  lastFetched: number;
  /** A hole waits for the ACKs of publishes sent before it was seen (one of them may fill it). */
  fillAfterSeq: number | undefined;
  /** The relay's store refused this room (UNAVAILABLE): it is retried after `retryTimer`. */
  unavailable: boolean;
  retryAttempt: number;
  retryTimer: unknown;
  retryInMs: number | null;
  /** Serialises what the binding is handed. */
  chain: Promise<void>;
}

/** What a room's state machine needs from the connection that carries it (a port). */
export interface RoomLink {
  readonly clock: Clock;
  /** Sends a control message when the socket is open (dropped otherwise, as the socket is). */
  sendJson(message: Record<string, unknown>): void;
  /** The current socket's identity: an async step whose socket changed meanwhile does nothing. */
  socketToken(): unknown;
  /** A socket is open and the relay's hello has been seen. */
  isLive(): boolean;
  /** `state` is still the connection's state for its room (not removed, not replaced). */
  isBound(state: RoomState): boolean;
  /** The connection's `isReady(roomId)`: admitted, caught up, and the store taking envelopes. */
  isReady(roomId: string): boolean;
  /** The reconnect backoff for the given attempt, ms. */
  backoffMs(attempt: number): number;
  /** Sequence number of the latest publish sent on this connection. */
  publishSeq(): number;
  /** A publish for the room, sent at or before `seq` and not refused, still waits for its ACK. */
  awaitsAck(roomId: string, seq: number): boolean;
  /** A publish for the room was refused by the relay's store and waits for the room's retry. */
  hasRefused(roomId: string): boolean;
  /** Sends the room's refused publishes again in sending order; returns how many. */
  resendRefused(roomId: string): number;
  /** Recomputes the connection state from the rooms waiting for the relay's store. */
  refreshState(): void;
}

export function newRoomState(binding: RoomBinding, roomBytes: Uint8Array): RoomState {
  return {
    binding,
    roomBytes,
    phase: 'idle',
    unregistered: false,
    order: undefined,
    early: [],
    fetching: false,
    lastFetched: 0,
    fillAfterSeq: undefined,
    unavailable: false,
    retryAttempt: 0,
    retryTimer: undefined,
    retryInMs: null,
    chain: Promise.resolve(),
  };
}

/** Runs `call` after everything the binding was handed before; a throw does not stop the queue. */
export function queue(state: RoomState, call: () => void | Promise<void>): void {
  state.chain = state.chain.then(call).catch(() => undefined);
}

/** Ready only once everything handed to the binding so far is processed. */
export function readyAfterQueue(state: RoomState, link: RoomLink): void {
  const socket = link.socketToken();
  queue(state, () => {
    if (link.socketToken() === socket && link.isReady(state.binding.roomId)) state.binding.onReady();
  });
}

export function stopRetry(state: RoomState, clock: Clock): void {
  if (state.retryTimer !== undefined) clock.clearTimeout(state.retryTimer);
  state.retryTimer = undefined;
}

/** The store took this room's requests again: ready, and the connection open. */
export function recovered(state: RoomState, link: RoomLink): void {
  if (!state.unavailable) return;
  state.unavailable = false;
  state.retryAttempt = 0;
  state.retryInMs = null;
  stopRetry(state, link.clock);
  link.refreshState();
  if (state.phase === 'ready') readyAfterQueue(state, link);
}

/** The socket went away: the next admission starts over (its backoff keeps growing until one succeeds). */
export function resetOnDisconnect(state: RoomState, clock: Clock): void {
  const wasReady = state.phase === 'ready' && !state.unavailable;
  stopRetry(state, clock);
  state.unavailable = false;
  state.retryInMs = null;
  state.phase = 'idle';
  state.order = undefined;
  state.early = [];
  state.fetching = false;
  state.fillAfterSeq = undefined;
  if (wasReady) state.binding.onDisconnected();
}
