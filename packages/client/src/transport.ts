/**
 * One WebSocket per relay, carrying all of that relay's rooms (PROTOCOL Part A, version 2).
 *
 * The connection reconnects with exponential backoff, full jitter and a cap; after each
 * (re)connect it re-admits every bound room, checks the relay's room incarnation (`epoch`)
 * against the one the room's cursor belongs to, and catches up from that cursor before
 * handing the room back to its session for sending. Envelopes reach a room strictly in
 * cursor order, one at a time, each at most once per connection lifetime (the session
 * de-duplicates by message id across lifetimes); a hole in the cursors is fetched, never
 * skipped (cursor-order.ts). What the connection promises each room: room-binding.ts.
 *
 * This file holds the socket's lifecycle (connect, reconnect, state, keepalive, publish with
 * ACK matching, buffer waits); each room's state machine lives beside it, reached through the
 * {@link RoomLink} port: relay-room-state.ts (the state), room-catch-up.ts (admission and
 * catch-up), room-retry.ts (refusals and their retries).
 */
import type { ConnectionState } from './api.js';
import type { TransportErrorCode } from './codes.js';
import type { Clock, WebSocketConstructor, WebSocketLike } from './platform.js';
import { reconnectDelay } from './backoff.js';
import { Keepalive } from './keepalive.js';
import { PendingPublishes } from './pending-publishes.js';
import type { RoomBinding } from './room-binding.js';
import { newRoomState, recovered, resetOnDisconnect, stopRetry, type RoomLink, type RoomState } from './relay-room-state.js';
import { acceptFrame, fillHoles, join, onChallenge, onHistoryEnd, onJoined } from './room-catch-up.js';
import { markUnavailable, onRoomError } from './room-retry.js';
import { TransportError } from './transport-errors.js';
import { fromBase64Url } from '@sealroom/protocol';
import {
  decodeRelayFrame,
  encodeJson,
  encodePublish,
  envelopeLength,
  parseServerMessage,
  PUBLISH_HEADER_BYTES,
  type EnvelopeBytes,
  type ServerMessage,
} from './wire.js';
import { MIB } from '@sealroom/units';

/** WebSocket readyState OPEN (WHATWG). */
const WS_OPEN = 1;
/** Close code for a client-initiated close (RFC 6455 normal closure). */
const WS_CLOSE_NORMAL = 1000;
/** Poll interval while waiting for the socket's send buffer to drain, ms (no drain event exists). */
const BUFFER_POLL_MS = 5;
/** Envelope limit assumed until the relay's hello says otherwise: 1 MiB frame − header. */
const FALLBACK_MAX_ENVELOPE_BYTES = MIB - PUBLISH_HEADER_BYTES;

export interface RelayConnectionOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  clock: Clock;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Connection state: `reconnecting` also while a room waits to retry a refusal of the relay's store. */
  onState(state: ConnectionState, retryInMs: number | null): void;
  /** Connection-level relay error (not tied to a room). */
  onRelayError(code: TransportErrorCode, message: string): void;
}

export class RelayConnection {
  private socket: WebSocketLike | undefined;
  private readonly rooms = new Map<string, RoomState>();
  private readonly pending = new PendingPublishes();
  private readonly link: RoomLink;
  private attempt = 0;
  private retryTimer: unknown;
  private readonly keepalive: Keepalive;
  private closed = false;
  private helloSeen = false;
  private stateValue: ConnectionState = 'offline';
  private retryInMsValue: number | null = null;
  /** Largest envelope the relay accepts (its hello's `maxEnvelopeBytes`). */
  maxEnvelopeBytes = FALLBACK_MAX_ENVELOPE_BYTES;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: RelayConnectionOptions) {
    this.link = this.roomLink();
    this.keepalive = new Keepalive(options.clock, {
      ping: () => this.sendJson({ t: 'ping', id: options.clock.now() }),
      dead: () => {
        // No pong: the path is dead even though no close arrived. Start over.
        const socket = this.socket;
        this.dropSocket();
        socket?.close(WS_CLOSE_NORMAL, 'keepalive timeout');
        this.scheduleReconnect();
      },
    });
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Bytes queued in the socket and not yet handed to the network. */
  get bufferedAmount(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  start(): void {
    if (this.socket === undefined && this.retryTimer === undefined && !this.closed) this.connect();
  }

  /** Carries a room on this connection: admitted (again after every reconnect) and caught up. */
  addRoom(binding: RoomBinding): void {
    const existing = this.rooms.get(binding.roomId);
    if (existing !== undefined) return;
    const roomBytes = fromBase64Url(binding.roomId);
    if (roomBytes === undefined) throw new TransportError('BAD_ROOM_ID');
    const state = newRoomState(binding, roomBytes);
    this.rooms.set(binding.roomId, state);
    if (this.helloSeen) join(state, this.link);
    this.start();
  }

  /** Tells the relay we leave the room and stops delivering its envelopes. */
  removeRoom(roomId: string): void {
    const state = this.rooms.get(roomId);
    if (state === undefined) return;
    this.rooms.delete(roomId);
    stopRetry(state, this.options.clock);
    if (this.helloSeen && state.phase !== 'idle') this.sendJson({ t: 'leave', room: roomId });
    this.refreshState();
  }

  hasRooms(): boolean {
    return this.rooms.size > 0;
  }

  /** Admitted and caught up on the open socket, and the relay's store is taking its envelopes. */
  isReady(roomId: string): boolean {
    const state = this.rooms.get(roomId);
    return state !== undefined && state.phase === 'ready' && !state.unavailable;
  }

  /**
   * Publishes an envelope; resolves with its cursor when the relay acknowledges it. `pinned`
   * asks the relay to keep it outside trimming (membership commits; at most `maxPinnedPerRoom`
   * per relay room, else `PIN_LIMIT`). Rejects `NOT_CONNECTED` when the room is not ready,
   * `DISCONNECTED` when the socket drops first; a refusal by the relay's store is retried.
   */
  publish(roomId: string, envelope: EnvelopeBytes, options: { pinned?: boolean } = {}): Promise<number> {
    const state = this.rooms.get(roomId);
    if (state === undefined || !this.isReady(roomId) || this.socket === undefined) {
      return Promise.reject(new TransportError('NOT_CONNECTED'));
    }
    if (envelopeLength(envelope) > this.maxEnvelopeBytes) return Promise.reject(new TransportError('ENVELOPE_TOO_LARGE'));
    const { id, seq } = this.pending.next();
    const frame = encodePublish(id, state.roomBytes, envelope, options.pinned === true);
    return new Promise<number>((resolve, reject) => {
      this.pending.add(id, { room: roomId, seq, frame, refused: false, resolve, reject });
      this.socket!.send(frame);
    });
  }

  /** Resolves when the socket's send buffer has drained below `bytes` (or the connection changed). */
  async waitForBufferBelow(bytes: number): Promise<void> {
    while (this.socket !== undefined && this.socket.bufferedAmount > bytes) {
      await new Promise<void>((resolve) => this.options.clock.setTimeout(resolve, BUFFER_POLL_MS));
    }
  }

  /** Resolves on the next state change (used by senders waiting for a reconnect). */
  nextChange(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  close(): void {
    this.closed = true;
    this.keepalive.stop();
    if (this.retryTimer !== undefined) this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const socket = this.socket;
    this.dropSocket();
    socket?.close(WS_CLOSE_NORMAL, 'client closed');
    this.setState('offline', null);
  }

  // ------------------------------------------------------------------------------
  // Connection state

  private setState(state: ConnectionState, retryInMs: number | null): void {
    if (state === this.stateValue && retryInMs === this.retryInMsValue) return;
    this.stateValue = state;
    this.retryInMsValue = retryInMs;
    this.options.onState(state, retryInMs);
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * While the socket is open: `open`, or `reconnecting` (with the soonest retry) as long as
   * a room waits for the relay's store, so the UI's connection status stays truthful.
   */
  private refreshState(): void {
    if (!this.helloSeen) return;
    let soonest: number | null | undefined;
    for (const state of this.rooms.values()) {
      if (!state.unavailable) continue;
      if (soonest === undefined || (state.retryInMs !== null && (soonest === null || state.retryInMs < soonest))) soonest = state.retryInMs;
    }
    if (soonest === undefined) this.setState('open', null);
    else this.setState('reconnecting', soonest);
  }

  private connect(): void {
    this.retryTimer = undefined;
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting', null);
    let socket: WebSocketLike;
    try {
      socket = new this.options.WebSocket(this.options.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.onFrame(event.data);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.dropSocket();
      this.scheduleReconnect();
    };
    socket.onerror = () => {
      // `close` follows every `error` in both browsers and ws; reconnect happens there.
    };
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.helloSeen = false;
    this.keepalive.stop();
    if (socket !== undefined) {
      socket.onmessage = null;
      socket.onclose = null;
      socket.onopen = null;
    }
    for (const state of this.rooms.values()) resetOnDisconnect(state, this.options.clock);
    const failed = this.pending.drain();
    for (const entry of failed) entry.reject(new TransportError('DISCONNECTED'));
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delay = reconnectDelay(this.attempt, this.options.baseDelayMs, this.options.maxDelayMs);
    this.attempt += 1;
    this.setState('reconnecting', delay);
    this.retryTimer = this.options.clock.setTimeout(() => this.connect(), delay);
  }

  private sendJson(message: Record<string, unknown>): void {
    if (this.socket !== undefined && this.socket.readyState === WS_OPEN) this.socket.send(encodeJson(message));
  }

  // ------------------------------------------------------------------------------
  // Frames

  private onFrame(data: unknown): void {
    if (typeof data === 'string') {
      const message = parseServerMessage(data);
      if (message !== undefined) this.onControl(message);
      return;
    }
    const bytes =
      data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : undefined;
    if (bytes === undefined) return;
    const frame = decodeRelayFrame(bytes);
    if (frame === undefined) return;
    if (frame.kind === 'ack') {
      this.onAck(frame.requestId, frame.cursor);
      return;
    }
    const state = this.rooms.get(frame.room);
    if (state !== undefined) acceptFrame(state, frame.kind, frame.cursor, frame.envelope, this.link);
  }

  private onAck(requestId: number, cursor: number): void {
    const entry = this.pending.get(requestId);
    if (entry === undefined) return;
    this.pending.delete(requestId);
    const state = this.rooms.get(entry.room);
    if (state !== undefined) {
      state.order?.own(cursor);
      if (state.unavailable && !this.pending.hasRefused(entry.room)) recovered(state, this.link);
    }
    entry.resolve(cursor);
    if (state !== undefined) fillHoles(state, this.link);
  }

  // ------------------------------------------------------------------------------
  // Control messages

  private onControl(message: ServerMessage): void {
    switch (message.t) {
      case 'hello': {
        this.helloSeen = true;
        this.attempt = 0;
        if (message.limits.maxEnvelopeBytes !== undefined) this.maxEnvelopeBytes = message.limits.maxEnvelopeBytes;
        else if (message.limits.maxFrameBytes !== undefined) this.maxEnvelopeBytes = message.limits.maxFrameBytes - PUBLISH_HEADER_BYTES;
        this.setState('open', null);
        this.keepalive.arm();
        for (const state of this.rooms.values()) join(state, this.link);
        return;
      }
      case 'challenge': {
        const state = this.rooms.get(message.room);
        if (state !== undefined) onChallenge(state, message, this.link);
        return;
      }
      case 'joined': {
        const state = this.rooms.get(message.room);
        if (state !== undefined) onJoined(state, message, this.link);
        return;
      }
      case 'gap': {
        this.rooms.get(message.room)?.order?.gap(message.after, message.upTo);
        return;
      }
      case 'history-end': {
        const state = this.rooms.get(message.room);
        if (state !== undefined) onHistoryEnd(state, message, this.link);
        return;
      }
      case 'pong': {
        this.keepalive.arm();
        return;
      }
      case 'error': {
        this.onRelayError(message);
        return;
      }
      default:
        return;
    }
  }

  private onRelayError(message: Extract<ServerMessage, { t: 'error' }>): void {
    const entry = message.id === undefined ? undefined : this.pending.get(message.id);
    const state = message.room === undefined ? undefined : this.rooms.get(message.room);
    if (entry !== undefined) {
      if (message.code === 'UNAVAILABLE' && state !== undefined) {
        // Not stored: sent again, as it is, once the room's retry comes.
        entry.refused = true;
        markUnavailable(state, this.link);
        fillHoles(state, this.link);
        return;
      }
      this.pending.delete(message.id!);
      entry.reject(new TransportError(message.code, message.message));
      if (state !== undefined) fillHoles(state, this.link);
      return;
    }
    if (state === undefined) {
      if (message.id === undefined && message.room === undefined) this.options.onRelayError(message.code, message.message);
      return;
    }
    onRoomError(state, message, this.link);
  }

  // ------------------------------------------------------------------------------
  // The port the room parts see

  private roomLink(): RoomLink {
    return {
      clock: this.options.clock,
      sendJson: (message) => this.sendJson(message),
      socketToken: () => this.socket,
      isLive: () => this.socket !== undefined && this.helloSeen,
      isBound: (state) => this.rooms.get(state.binding.roomId) === state,
      isReady: (roomId) => this.isReady(roomId),
      backoffMs: (attempt) => reconnectDelay(attempt, this.options.baseDelayMs, this.options.maxDelayMs),
      publishSeq: () => this.pending.seq,
      awaitsAck: (roomId, seq) => this.pending.awaitsAck(roomId, seq),
      hasRefused: (roomId) => this.pending.hasRefused(roomId),
      resendRefused: (roomId) => {
        const refused = this.pending.refused(roomId);
        for (const entry of refused) {
          entry.refused = false;
          this.socket!.send(entry.frame);
        }
        return refused.length;
      },
      refreshState: () => this.refreshState(),
    };
  }
}
