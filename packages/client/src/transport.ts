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
 */
import type { ConnectionState } from './api.js';
import type { TransportErrorCode } from './codes.js';
import type { Clock, WebSocketConstructor, WebSocketLike } from './platform.js';
import { reconnectDelay } from './backoff.js';
import { CursorOrder } from './cursor-order.js';
import { Keepalive } from './keepalive.js';
import type { RelayResetReason, RoomBinding } from './room-binding.js';
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
/** Poll interval while waiting for the socket's send buffer to drain, ms (no drain event exists). */
const BUFFER_POLL_MS = 5;
/** Envelope limit assumed until the relay's hello says otherwise: 1 MiB frame − header. */
const FALLBACK_MAX_ENVELOPE_BYTES = MIB - PUBLISH_HEADER_BYTES;

interface RoomState {
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

interface PendingPublish {
  room: string;
  /** Order of sending on this connection (request ids wrap, this does not). */
  seq: number;
  frame: Uint8Array;
  /** Refused with UNAVAILABLE: sent again once the room's retry comes. */
  refused: boolean;
  resolve: (cursor: number) => void;
  reject: (error: TransportError) => void;
}

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
  private readonly pending = new Map<number, PendingPublish>();
  private nextRequestId = 1;
  private publishSeq = 0;
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
    const state: RoomState = {
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
    this.rooms.set(binding.roomId, state);
    if (this.helloSeen) this.join(state);
    this.start();
  }

  /** Tells the relay we leave the room and stops delivering its envelopes. */
  removeRoom(roomId: string): void {
    const state = this.rooms.get(roomId);
    if (state === undefined) return;
    this.rooms.delete(roomId);
    this.stopRetry(state);
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
    const id = this.nextRequestId;
    this.nextRequestId = id >= MAX_REQUEST_ID ? 1 : id + 1;
    this.publishSeq += 1;
    const frame = encodePublish(id, state.roomBytes, envelope, options.pinned === true);
    return new Promise<number>((resolve, reject) => {
      this.pending.set(id, { room: roomId, seq: this.publishSeq, frame, refused: false, resolve, reject });
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
    for (const state of this.rooms.values()) {
      const wasReady = state.phase === 'ready' && !state.unavailable;
      this.stopRetry(state);
      // The next admission starts over; its backoff keeps growing until one succeeds.
      state.unavailable = false;
      state.retryInMs = null;
      state.phase = 'idle';
      state.order = undefined;
      state.early = [];
      state.fetching = false;
      state.fillAfterSeq = undefined;
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
    if (state === undefined || state.phase === 'idle' || state.phase === 'joining') return;
    if (frame.kind === 'history') state.lastFetched = Math.max(state.lastFetched, frame.cursor);
    if (state.order === undefined) {
      // Live envelopes can follow `joined` before the room's cursor has been checked
      // against the relay's epoch; they wait for it.
      if (frame.kind === 'deliver') state.early.push({ cursor: frame.cursor, envelope: frame.envelope });
      return;
    }
    state.order.accept(frame.cursor, frame.envelope, frame.kind === 'deliver');
    this.fillHoles(state);
  }

  private onAck(requestId: number, cursor: number): void {
    const entry = this.pending.get(requestId);
    if (entry === undefined) return;
    this.pending.delete(requestId);
    const state = this.rooms.get(entry.room);
    if (state !== undefined) {
      state.order?.own(cursor);
      if (state.unavailable && !this.hasRefused(state)) this.recovered(state);
    }
    entry.resolve(cursor);
    if (state !== undefined) this.fillHoles(state);
  }

  // ------------------------------------------------------------------------------
  // Admission and catch-up

  private join(state: RoomState): void {
    state.phase = 'joining';
    state.order = undefined;
    state.early = [];
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
        if (state === undefined || state.phase !== 'joining') return;
        state.unregistered = !message.registered;
        const socket = this.socket;
        state.binding
          .prove(message.nonce, message.registered)
          .then(({ mac, key, maxAgeMs }) => {
            if (this.socket !== socket) return;
            // The key (and the retention it registers with) only for an unregistered room:
            // a registered room's key is never sent again.
            const registration = key !== undefined && !message.registered ? { key: toBase64Url(key), ...(maxAgeMs === undefined ? {} : { maxAgeMs }) } : {};
            this.sendJson({ t: 'prove', room: message.room, mac: toBase64Url(mac), ...registration });
          })
          .catch(() => state.binding.onError('PROOF_FAILED', 'could not compute the admission proof'));
        return;
      }
      case 'joined': {
        const state = this.rooms.get(message.room);
        if (state === undefined || state.phase === 'idle') return;
        if (state.phase !== 'joining') this.readmitted(state);
        state.phase = 'catching-up';
        const socket = this.socket;
        // In the binding's queue: envelopes of the previous connection may still be in it,
        // and the cursor to check (and to catch up from) is the one after them.
        this.queue(state, () => {
          if (this.socket !== socket || state.phase !== 'catching-up') return;
          this.checkIncarnation(state, message.head, message.epoch);
          state.order = new CursorOrder(state.binding.cursor(), {
            envelope: (cursor, envelope, live) => this.handOver(state, () => state.binding.onEnvelope(cursor, envelope, live)),
            gap: (after, upTo) => this.handOver(state, () => state.binding.onGap(after, upTo)),
          });
          this.fetch(state);
          const early = state.early;
          state.early = [];
          for (const frame of early) state.order.accept(frame.cursor, frame.envelope, true);
        });
        return;
      }
      case 'gap': {
        this.rooms.get(message.room)?.order?.gap(message.after, message.upTo);
        return;
      }
      case 'history-end': {
        const state = this.rooms.get(message.room);
        if (state === undefined || state.order === undefined || !state.fetching) return;
        if (message.more) {
          this.sendHistory(state, Math.max(state.lastFetched, state.order.frontier));
          return;
        }
        state.fetching = false;
        state.order.historyEnd(message.head);
        if (state.phase === 'catching-up') this.caughtUp(state);
        else if (state.unavailable && !this.hasRefused(state)) this.recovered(state);
        this.fillHoles(state);
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

  /**
   * `joined` again while admitted (PROTOCOL A.3): the room's incarnation changed under this
   * admission (the relay's store lost its history and registered it again). What was held or
   * being fetched belongs to the old incarnation; the room starts over as after a fresh
   * admission, the epoch rule tells the binding, and it is not ready until caught up.
   */
  private readmitted(state: RoomState): void {
    const wasReady = state.phase === 'ready' && !state.unavailable;
    state.order = undefined;
    state.early = [];
    state.fetching = false;
    state.fillAfterSeq = undefined;
    state.unregistered = false;
    if (wasReady) state.binding.onDisconnected();
  }

  /**
   * The relay's room is another incarnation than the one the binding's cursor belongs to:
   * what the binding had not fetched from the old one is gone, and it must say so.
   */
  private checkIncarnation(state: RoomState, head: number, epoch: string): void {
    const { binding } = state;
    const cursor = binding.cursor();
    let reason: RelayResetReason | undefined;
    if (cursor > 0) {
      if (state.unregistered) reason = 'unregistered';
      else if (binding.relayEpoch() !== epoch) reason = 'epoch-changed';
      else if (head < cursor) reason = 'head-behind';
    }
    if (reason !== undefined) binding.onRelayReset({ reason, lastCursor: cursor, previousEpoch: binding.relayEpoch() });
    binding.onRelayEpoch(epoch);
  }

  /** The first catch-up of this admission is fetched: ready once the binding has processed it. */
  private caughtUp(state: RoomState): void {
    state.phase = 'ready';
    state.retryAttempt = 0;
    const wasUnavailable = state.unavailable;
    state.unavailable = false;
    state.retryInMs = null;
    if (wasUnavailable) this.refreshState();
    // Ready only once everything fetched so far is processed, so a session learns of
    // removals and rotations before its outbox goes out.
    this.readyAfterQueue(state);
  }

  private readyAfterQueue(state: RoomState): void {
    const socket = this.socket;
    this.queue(state, () => {
      if (this.socket === socket && this.isReady(state.binding.roomId)) state.binding.onReady();
    });
  }

  private handOver(state: RoomState, call: () => void | Promise<void>): void {
    this.queue(state, call);
  }

  /** Runs `call` after everything the binding was handed before; a throw does not stop the queue. */
  private queue(state: RoomState, call: () => void | Promise<void>): void {
    state.chain = state.chain.then(call).catch(() => undefined);
  }

  private fetch(state: RoomState): void {
    state.fetching = true;
    state.lastFetched = state.order!.frontier;
    this.sendHistory(state, state.order!.frontier);
  }

  private sendHistory(state: RoomState, after: number): void {
    this.sendJson({ t: 'history', room: state.binding.roomId, after, limit: HISTORY_PAGE_LIMIT });
  }

  /**
   * Fetches the missing range when a cursor is held past a hole — unless publishes of mine
   * sent before the hole appeared are still unacknowledged: over several relay processes
   * another member's envelope can overtake the ACK of mine, and the ACK fills the hole.
   */
  private fillHoles(state: RoomState): void {
    const { order } = state;
    if (order === undefined || state.fetching || state.phase !== 'ready' || state.unavailable || !order.hasHole()) {
      if (order !== undefined && !order.hasHole()) state.fillAfterSeq = undefined;
      return;
    }
    state.fillAfterSeq ??= this.publishSeq;
    const fillAfter = state.fillAfterSeq;
    for (const entry of this.pending.values()) {
      if (entry.room === state.binding.roomId && !entry.refused && entry.seq <= fillAfter) return;
    }
    state.fillAfterSeq = undefined;
    this.fetch(state);
  }

  // ------------------------------------------------------------------------------
  // Refusals and retries

  private onRelayError(message: Extract<ServerMessage, { t: 'error' }>): void {
    const entry = message.id === undefined ? undefined : this.pending.get(message.id);
    const state = message.room === undefined ? undefined : this.rooms.get(message.room);
    if (entry !== undefined) {
      if (message.code === 'UNAVAILABLE' && state !== undefined) {
        // Not stored: sent again, as it is, once the room's retry comes.
        entry.refused = true;
        this.unavailable(state);
        this.fillHoles(state);
        return;
      }
      this.pending.delete(message.id!);
      entry.reject(new TransportError(message.code, message.message));
      if (state !== undefined) this.fillHoles(state);
      return;
    }
    if (state === undefined) {
      if (message.id === undefined && message.room === undefined) this.options.onRelayError(message.code, message.message);
      return;
    }
    if (state.fetching && message.code === 'HISTORY_LIMITED') {
      // The relay is pacing this catch-up (its budget per connection and address): ask
      // again when it says, without showing the room as disconnected.
      state.fetching = false;
      this.retryAfter(state, message.retryAfterMs);
      return;
    }
    if (state.phase === 'joining' && message.code === 'REGISTRATION_LIMITED') {
      // Too many new rooms from this address lately: register again when the relay says.
      state.phase = 'idle';
      this.retryAfter(state, message.retryAfterMs);
      return;
    }
    if (state.fetching && (message.code === 'UNAVAILABLE' || message.code === 'RATE_LIMITED')) {
      // A refused history request: asked again after a pause rather than leaving the room
      // stuck before `ready` (or with a hole).
      state.fetching = false;
      this.unavailable(state);
      return;
    }
    if (state.phase === 'joining' && (message.code === 'UNAVAILABLE' || message.code === 'RATE_LIMITED')) {
      // The relay's store is down, or this connection is over its rate: join again later.
      state.phase = 'idle';
      this.unavailable(state);
      return;
    }
    if (state.phase === 'joining' || message.code === 'ADMISSION_DENIED') state.phase = 'idle';
    state.binding.onError(message.code, message.message);
  }

  /** Marks the room as waiting for the relay's store and schedules its next try. */
  private unavailable(state: RoomState): void {
    const wasReady = state.phase === 'ready' && !state.unavailable;
    state.unavailable = true;
    if (wasReady) state.binding.onDisconnected();
    if (state.retryTimer === undefined) {
      const delay = reconnectDelay(state.retryAttempt, this.options.baseDelayMs, this.options.maxDelayMs);
      state.retryAttempt += 1;
      state.retryInMs = delay;
      state.retryTimer = this.options.clock.setTimeout(() => this.retry(state), delay);
    }
    this.refreshState();
  }

  /**
   * Asks again after the relay's `retryAfterMs` (or the backoff when it named none), with
   * the room's state as it is: a budget refusal is a pause, not an outage.
   */
  private retryAfter(state: RoomState, retryAfterMs: number | undefined): void {
    if (state.retryTimer !== undefined) return;
    const delay = retryAfterMs ?? reconnectDelay(state.retryAttempt, this.options.baseDelayMs, this.options.maxDelayMs);
    state.retryAttempt += 1;
    state.retryTimer = this.options.clock.setTimeout(() => this.retry(state), delay);
  }

  /** The room's retry: whatever the store refused is asked again. */
  private retry(state: RoomState): void {
    state.retryTimer = undefined;
    if (this.rooms.get(state.binding.roomId) !== state || this.socket === undefined || !this.helloSeen) return;
    if (state.phase === 'idle') {
      this.join(state);
      return;
    }
    if (state.order !== undefined && !state.fetching && (state.phase === 'catching-up' || state.order.hasHole())) this.fetch(state);
    const refused = [...this.pending.values()].filter((entry) => entry.room === state.binding.roomId && entry.refused).sort((a, b) => a.seq - b.seq);
    for (const entry of refused) {
      entry.refused = false;
      this.socket.send(entry.frame);
    }
    // Nothing left to ask (the refusal was of a request that has been answered since).
    if (state.phase === 'ready' && !state.fetching && refused.length === 0) this.recovered(state);
  }

  /** The store took this room's requests again: ready, and the connection open. */
  private recovered(state: RoomState): void {
    if (!state.unavailable) return;
    state.unavailable = false;
    state.retryAttempt = 0;
    state.retryInMs = null;
    this.stopRetry(state);
    this.refreshState();
    if (state.phase === 'ready') this.readyAfterQueue(state);
  }

  private hasRefused(state: RoomState): boolean {
    for (const entry of this.pending.values()) if (entry.room === state.binding.roomId && entry.refused) return true;
    return false;
  }

  private stopRetry(state: RoomState): void {
    if (state.retryTimer !== undefined) this.options.clock.clearTimeout(state.retryTimer);
    state.retryTimer = undefined;
  }
}
