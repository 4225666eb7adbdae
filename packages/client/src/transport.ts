/**
 * One WebSocket per relay, carrying all of that relay's rooms (PROTOCOL Part A).
 *
 * The connection reconnects with exponential backoff, full jitter and a cap; after each
 * (re)connect it re-admits every bound room and catches up from that room's last
 * processed cursor before handing the room back to its session for sending. Envelopes
 * reach a room's handler strictly in cursor order, one at a time, each exactly once per
 * connection lifetime (the session de-duplicates by message id across lifetimes).
 */
import type { ConnectionState } from './api.js';
import type { TransportErrorCode } from './codes.js';
import type { Clock, WebSocketConstructor, WebSocketLike } from './platform.js';
import { reconnectDelay } from './backoff.js';
import { Keepalive } from './keepalive.js';
import type { RoomBinding } from './room-binding.js';
import { TransportError } from './transport-errors.js';
import { fromBase64Url, toBase64Url } from '@sealroom/protocol';
import {
  decodeRelayFrame,
  encodeJson,
  encodePublish,
  envelopeLength,
  HISTORY_PAGE_LIMIT,
  MAX_REQUEST_ID,
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
/** Wait before asking again for history the relay refused, ms. */
const HISTORY_RETRY_MS = 1_000;
/** Poll interval while waiting for the socket's send buffer to drain, ms (no drain event exists). */
const BUFFER_POLL_MS = 5;
/** Envelope limit assumed until the relay's hello says otherwise: 1 MiB frame − header. */
const FALLBACK_MAX_ENVELOPE_BYTES = MIB - PUBLISH_HEADER_BYTES;

interface RoomState {
  binding: RoomBinding;
  /** Part A room id bytes. */
  roomBytes: Uint8Array;
  phase: 'idle' | 'joining' | 'catching-up' | 'ready';
  /** Highest cursor handed to the queue on this connection. */
  queuedUpTo: number;
  /** Live DELIVER frames held back while history is still arriving. */
  heldLive: { cursor: number; envelope: Uint8Array }[];
  /** Serialises envelope processing. */
  chain: Promise<void>;
}

interface PendingPublish {
  room: string;
  resolve: (cursor: number) => void;
  reject: (error: TransportError) => void;
}

export interface RelayConnectionOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  clock: Clock;
  baseDelayMs: number;
  maxDelayMs: number;
  onState(state: ConnectionState, retryInMs: number | null): void;
  /** Connection-level relay error (not tied to a room). */
  onRelayError(code: TransportErrorCode, message: string): void;
}

export class RelayConnection {
  private socket: WebSocketLike | undefined;
  private readonly rooms = new Map<string, RoomState>();
  private readonly pending = new Map<number, PendingPublish>();
  private nextRequestId = 1;
  private attempt = 0;
  private retryTimer: unknown;
  private readonly keepalive: Keepalive;
  private closed = false;
  private helloSeen = false;
  private stateValue: ConnectionState = 'offline';
  /** Largest envelope the relay accepts (its hello's `maxEnvelopeBytes`). */
  maxEnvelopeBytes = FALLBACK_MAX_ENVELOPE_BYTES;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: RelayConnectionOptions) {
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

  addRoom(binding: RoomBinding): void {
    const existing = this.rooms.get(binding.roomId);
    if (existing !== undefined) return;
    const roomBytes = fromBase64Url(binding.roomId);
    if (roomBytes === undefined) throw new TransportError('BAD_ROOM_ID');
    const state: RoomState = { binding, roomBytes, phase: 'idle', queuedUpTo: 0, heldLive: [], chain: Promise.resolve() };
    this.rooms.set(binding.roomId, state);
    if (this.helloSeen) this.join(state);
    this.start();
  }

  /** Tells the relay we leave the room and stops delivering its envelopes. */
  removeRoom(roomId: string): void {
    const state = this.rooms.get(roomId);
    if (state === undefined) return;
    this.rooms.delete(roomId);
    if (this.helloSeen && state.phase !== 'idle') this.sendJson({ t: 'leave', room: roomId });
  }

  hasRooms(): boolean {
    return this.rooms.size > 0;
  }

  isReady(roomId: string): boolean {
    return this.rooms.get(roomId)?.phase === 'ready';
  }

  /** Publishes an envelope (`pinned`: kept outside the relay's trimming, A.4); resolves with its cursor when the relay acknowledges it. */
  publish(roomId: string, envelope: EnvelopeBytes, options: { pinned?: boolean } = {}): Promise<number> {
    const state = this.rooms.get(roomId);
    if (state === undefined || state.phase !== 'ready' || this.socket === undefined) {
      return Promise.reject(new TransportError('NOT_CONNECTED'));
    }
    if (envelopeLength(envelope) > this.maxEnvelopeBytes) return Promise.reject(new TransportError('ENVELOPE_TOO_LARGE'));
    const id = this.nextRequestId;
    this.nextRequestId = id >= MAX_REQUEST_ID ? 1 : id + 1;
    const frame = encodePublish(id, state.roomBytes, envelope, options.pinned === true);
    return new Promise<number>((resolve, reject) => {
      this.pending.set(id, { room: roomId, resolve, reject });
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

  private setState(state: ConnectionState, retryInMs: number | null): void {
    this.stateValue = state;
    this.options.onState(state, retryInMs);
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
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
    for (const state of this.rooms.values()) {
      const wasReady = state.phase === 'ready';
      state.phase = 'idle';
      state.heldLive = [];
      if (wasReady) state.binding.onDisconnected();
    }
    const failed = [...this.pending.values()];
    this.pending.clear();
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
      const entry = this.pending.get(frame.requestId);
      if (entry === undefined) return;
      this.pending.delete(frame.requestId);
      entry.resolve(frame.cursor);
      return;
    }
    const state = this.rooms.get(frame.room);
    if (state === undefined) return;
    if (frame.kind === 'deliver' && state.phase !== 'ready') {
      state.heldLive.push({ cursor: frame.cursor, envelope: frame.envelope });
      return;
    }
    this.enqueue(state, frame.cursor, frame.envelope, frame.kind === 'deliver');
  }

  private enqueue(state: RoomState, cursor: number, envelope: Uint8Array, live: boolean): void {
    if (cursor <= state.queuedUpTo || cursor <= state.binding.cursor()) return;
    state.queuedUpTo = cursor;
    state.chain = state.chain.then(() => state.binding.onEnvelope(cursor, envelope, live)).catch(() => undefined);
  }

  private join(state: RoomState): void {
    state.phase = 'joining';
    state.queuedUpTo = 0;
    this.sendJson({ t: 'join', room: state.binding.roomId });
  }

  private onControl(message: ServerMessage): void {
    switch (message.t) {
      case 'hello': {
        this.helloSeen = true;
        this.attempt = 0;
        if (message.limits.maxEnvelopeBytes !== undefined) this.maxEnvelopeBytes = message.limits.maxEnvelopeBytes;
        else if (message.limits.maxFrameBytes !== undefined) this.maxEnvelopeBytes = message.limits.maxFrameBytes - PUBLISH_HEADER_BYTES;
        this.setState('open', null);
        this.keepalive.arm();
        for (const state of this.rooms.values()) this.join(state);
        return;
      }
      case 'challenge': {
        const state = this.rooms.get(message.room);
        if (state === undefined) return;
        if (!message.registered && state.binding.cursor() > 0)
          state.binding.onRelayReset({ reason: 'unregistered', lastCursor: state.binding.cursor(), previousEpoch: state.binding.relayEpoch() });
        const socket = this.socket;
        state.binding
          .prove(message.nonce, message.registered)
          .then(({ mac, key, maxAgeMs }) => {
            if (this.socket !== socket) return;
            const registration = key !== undefined && !message.registered ? { key: toBase64Url(key), ...(maxAgeMs === undefined ? {} : { maxAgeMs }) } : {};
            this.sendJson({ t: 'prove', room: message.room, mac: toBase64Url(mac), ...registration });
          })
          .catch(() => state.binding.onError('PROOF_FAILED', 'could not compute the admission proof'));
        return;
      }
      case 'joined': {
        const state = this.rooms.get(message.room);
        if (state === undefined) return;
        if (message.head < state.binding.cursor())
          state.binding.onRelayReset({ reason: 'head-behind', lastCursor: state.binding.cursor(), previousEpoch: state.binding.relayEpoch() });
        state.binding.onRelayEpoch(message.epoch);
        state.phase = 'catching-up';
        this.requestHistory(state, state.binding.cursor());
        return;
      }
      case 'gap': {
        void this.rooms.get(message.room)?.binding.onGap(message.after, message.upTo);
        return;
      }
      case 'history-end': {
        const state = this.rooms.get(message.room);
        if (state === undefined || state.phase !== 'catching-up') return;
        if (message.more) {
          this.requestHistory(state, Math.max(state.queuedUpTo, state.binding.cursor()));
          return;
        }
        state.phase = 'ready';
        const held = state.heldLive;
        state.heldLive = [];
        for (const frame of held) this.enqueue(state, frame.cursor, frame.envelope, true);
        // Ready only once everything fetched so far is processed, so a session learns
        // of removals and rotations before its outbox goes out.
        const socket = this.socket;
        state.chain = state.chain.then(() => {
          if (this.socket === socket && state.phase === 'ready') state.binding.onReady();
        });
        return;
      }
      case 'pong': {
        this.keepalive.arm();
        return;
      }
      case 'error': {
        if (message.id !== undefined && this.pending.has(message.id)) {
          const entry = this.pending.get(message.id)!;
          this.pending.delete(message.id);
          entry.reject(new TransportError(message.code, message.message));
        }
        if (message.room !== undefined) {
          const state = this.rooms.get(message.room);
          if (state !== undefined && state.phase === 'catching-up' && message.id === undefined) {
            // A refused history request (rate limit, store outage): ask again shortly rather
            // than leave the room stuck before `ready`.
            const socket = this.socket;
            this.options.clock.setTimeout(() => {
              if (this.socket === socket && state.phase === 'catching-up') this.requestHistory(state, Math.max(state.queuedUpTo, state.binding.cursor()));
            }, HISTORY_RETRY_MS);
            return;
          }
          if (state !== undefined && (state.phase === 'joining' || message.code === 'ADMISSION_DENIED')) state.phase = 'idle';
          state?.binding.onError(message.code, message.message);
        } else if (message.id === undefined) {
          this.options.onRelayError(message.code, message.message);
        }
        return;
      }
      default:
        return;
    }
  }

  private requestHistory(state: RoomState, after: number): void {
    this.sendJson({ t: 'history', room: state.binding.roomId, after, limit: HISTORY_PAGE_LIMIT });
  }
}
