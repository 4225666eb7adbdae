import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { Admission } from './admission.js';
import { answerHistory, type CatchUpPort } from './catchup.js';
import { Connection, Connections, type ConnectionEvents } from './connection.js';
import { CLOSE_REASON, CloseCode, ErrorCode, RefusalReason, RelayStartError } from './errors.js';
import { createRequestListener, WS_PATH } from './http.js';
import { createLogger, errorMessage, type Logger } from './log.js';
import { MemoryRoomStore } from './memory-store.js';
import { createMetrics, RelayCounters } from './metrics.js';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  resolveLimits,
  resolveRetention,
  type RelayHealth,
  type RelayLimits,
  type RelayOptions,
  type RetentionLimits,
  type RunningRelay,
} from './options.js';
import { UpgradeGate } from './upgrade.js';
import { Outbound } from './outbound.js';
import { setRoomRetention } from './retention.js';
import { deliverRemote, publish, Rooms, type PublishPort } from './rooms.js';
import type { RoomKey, RoomStore } from './store.js';
import {
  MAX_HISTORY_PAGE_ENTRIES,
  PROTOCOL_VERSION,
  PUBLISH_HEADER_BYTES,
  PUBLISH_ID_OFFSET,
  PUBLISH_ROOM_OFFSET,
  ROOM_ID_BASE64URL_CHARS,
  ROOM_ID_BYTES,
} from './wire.js';
import { isRoomKey, roomField, type Json } from './validation.js';

/** How long shutdown waits for clients to answer the 1001 close before cutting them. */
const SHUTDOWN_GRACE_MS = 2000;
/** Longest `id` string a ping may carry (it is echoed back). */
const MAX_PING_ID_CHARS = 64;
/** The handshake check runs this many times per timeout, so a timeout fires within 1.5×. */
const HANDSHAKE_CHECKS_PER_TIMEOUT = 2;
const MIN_TIMER_MS = 5;

class Relay implements ConnectionEvents {
  readonly limits: RelayLimits;
  readonly retention: RetentionLimits;
  readonly counters = new RelayCounters();
  readonly rooms: Rooms;
  private readonly admission: Admission;
  private readonly publishing: PublishPort;
  private readonly catchUp: CatchUpPort;
  readonly connections: Connections;
  readonly out: Outbound;
  readonly wss: WebSocketServer;
  readonly server: Server;
  readonly metrics;
  readonly helloText: string;
  private readonly timers: NodeJS.Timeout[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    readonly options: RelayOptions,
    readonly store: RoomStore,
    private readonly ownsStore: boolean,
    readonly log: Logger,
  ) {
    this.limits = resolveLimits(options.limits);
    this.retention = resolveRetention(options.retention);
    this.connections = new Connections({ limits: this.limits, counters: this.counters, log, events: this });
    this.out = new Outbound(this.limits, this.counters, log);
    this.rooms = new Rooms({ store, out: this.out, log, admitted: (conn) => this.connections.admitted(conn) });
    this.admission = new Admission({
      store,
      rooms: this.rooms,
      out: this.out,
      limits: this.limits,
      log,
      isOpen: (conn) => this.connections.open.has(conn),
    });
    this.publishing = { rooms: this.rooms.local, store, out: this.out, counters: this.counters, log };
    this.catchUp = { rooms: this.rooms.local, store, out: this.out, limits: this.limits };
    this.metrics = createMetrics({
      counters: this.counters,
      localRooms: () => this.rooms.local.size,
      storeStats: () => this.store.stats(),
    });
    this.helloText = JSON.stringify({
      v: PROTOCOL_VERSION,
      t: 'hello',
      limits: {
        maxFrameBytes: this.limits.maxFrameBytes,
        maxEnvelopeBytes: this.limits.maxFrameBytes - PUBLISH_HEADER_BYTES,
        maxControlBytes: this.limits.maxControlBytes,
        maxRoomsPerConnection: this.limits.maxRoomsPerConnection,
        messagesPerSecond: this.limits.messagesPerSecond,
        messageBurst: this.limits.messageBurst,
        bytesPerSecond: this.limits.bytesPerSecond,
        byteBurst: this.limits.byteBurst,
        maxHistoryPage: MAX_HISTORY_PAGE_ENTRIES,
        heartbeatIntervalMs: this.limits.heartbeatIntervalMs,
        maxRetentionAgeMs: this.retention.maxAgeMs,
      },
    });

    const serverOptions = { maxHeaderSize: this.limits.maxHeaderBytes };
    this.server = options.tls
      ? createHttpsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key })
      : createHttpServer(serverOptions);
    // One more than allowed, so a request over the limit is seen (and refused) rather
    // than silently truncated.
    this.server.maxHeadersCount = this.limits.maxHeaderCount + 1;
    this.server.on('request', createRequestListener(this, options));
    const gate = new UpgradeGate(
      {
        limits: this.limits,
        counters: this.counters,
        closing: () => this.closing !== undefined,
        connectionsFrom: (address) => this.connections.fromAddress(address),
        accept: (req, socket, head, address) => this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, address)),
      },
      options.allowedOrigins,
    );
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => gate.onUpgrade(req, socket, head));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => gate.onClientError(err, socket));

    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.limits.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.wss.on('wsClientError', (_err: Error, socket: Duplex) => gate.onBadHandshake(socket));
    store.onRemoteEnvelope((room, cursor, envelope) => deliverRemote(this.publishing, room, cursor, envelope));
  }

  async listen(): Promise<RunningRelay> {
    const host = this.options.host ?? DEFAULT_HOST;
    const port = this.options.port ?? DEFAULT_PORT;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new RelayStartError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${err.message}`));
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.server.on('error', (err) => this.log.error('server_error', { message: err.message }));
    this.startTimers();
    const actualPort = (this.server.address() as AddressInfo).port;
    const urlHost = displayHost(host);
    const secure = this.options.tls !== undefined;
    const url = `${secure ? 'https' : 'http'}://${urlHost}:${actualPort}`;
    const wsUrl = `${secure ? 'wss' : 'ws'}://${urlHost}:${actualPort}${WS_PATH}`;
    return {
      url,
      wsUrl,
      port: actualPort,
      health: () => this.health(),
      close: () => this.close(),
    };
  }

  private startTimers(): void {
    const every = (ms: number, fn: () => void): void => {
      const timer = setInterval(fn, Math.max(MIN_TIMER_MS, ms));
      timer.unref();
      this.timers.push(timer);
    };
    every(this.limits.heartbeatIntervalMs, () => this.connections.heartbeat());
    every(this.limits.handshakeTimeoutMs / HANDSHAKE_CHECKS_PER_TIMEOUT, () => this.connections.closeUnadmitted(Date.now()));
    every(this.retention.sweepIntervalMs, () => {
      this.store.sweep(Date.now()).catch((err: unknown) => this.log.warn('sweep_failed', { message: errorMessage(err) }));
    });
  }

  health(): RelayHealth {
    const stats = this.store.stats();
    return {
      status: stats.backendUp ? 'ok' : 'degraded',
      connections: this.counters.connections,
      rooms: this.rooms.local.size,
      retainedEnvelopes: stats.retainedEnvelopes,
      retainedBytes: stats.retainedBytes,
    };
  }

  // ---------------------------------------------------------------- connections

  private onConnection(ws: WebSocket, address: string): void {
    this.connections.add(ws, address, Date.now());
    ws.send(this.helloText);
    if (this.log.enabled('debug')) this.log.debug('connection_open', { address, connections: this.counters.connections });
  }

  onSocketError(err: Error & { code?: string }): void {
    // `ws` closes the connection itself (1002/1007/1009); count why.
    this.counters.refuse(err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? RefusalReason.FRAME_TOO_LARGE : RefusalReason.PROTOCOL_ERROR);
    this.log.debug('ws_error', { code: err.code ?? 'unknown' });
  }

  onClose(conn: Connection): void {
    if (!this.connections.remove(conn)) return;
    this.rooms.leaveAll(conn);
    conn.challenges = undefined;
    conn.admitting = undefined;
    if (this.log.enabled('debug')) this.log.debug('connection_closed', { address: conn.address, connections: this.counters.connections });
  }

  // ---------------------------------------------------------------- messages

  onMessage(conn: Connection, data: Buffer, isBinary: boolean): void {
    if (this.closing) return;
    if (!conn.take(this.limits, data.length, Date.now())) {
      this.refuseRate(conn, data, isBinary);
      return;
    }
    if (isBinary) publish(this.publishing, conn, data);
    else this.onText(conn, data);
  }

  /**
   * RATE_LIMITED names the refused request's room (and PUBLISH id) when it can, so a
   * client knows which publish or history request to send again later.
   */
  private refuseRate(conn: Connection, data: Buffer, isBinary: boolean): void {
    let room: RoomKey | undefined;
    let id: number | undefined;
    if (isBinary && data.length >= PUBLISH_HEADER_BYTES) {
      id = data.readUInt32BE(PUBLISH_ID_OFFSET);
      room = data.toString('base64url', PUBLISH_ROOM_OFFSET, PUBLISH_HEADER_BYTES);
    } else if (!isBinary && data.length <= this.limits.maxControlBytes) {
      try {
        const message: unknown = JSON.parse(data.toString('utf8'));
        if (message !== null && typeof message === 'object') room = roomField(message as Json);
      } catch {
        // Not JSON: no room to name.
      }
    }
    this.out.error(conn, ErrorCode.RATE_LIMITED, 'rate limit exceeded; message dropped, send it again later', room, id);
  }

  private onText(conn: Connection, data: Buffer): void {
    if (data.length > this.limits.maxControlBytes) {
      this.out.error(conn, ErrorCode.MESSAGE_TOO_LARGE, `control messages are at most ${this.limits.maxControlBytes} bytes`);
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data.toString('utf8'));
    } catch {
      this.out.error(conn, ErrorCode.BAD_JSON, 'text frame is not JSON');
      return;
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      this.out.error(conn, ErrorCode.BAD_JSON, 'text frame is not a JSON object');
      return;
    }
    const msg = message as Json;
    if (typeof msg.v !== 'number') {
      this.out.error(conn, ErrorCode.BAD_MESSAGE, 'missing protocol version "v"');
      return;
    }
    if (msg.v !== PROTOCOL_VERSION) {
      this.out.error(conn, ErrorCode.UNSUPPORTED_VERSION, `protocol version ${msg.v} is not supported; this relay speaks ${PROTOCOL_VERSION}`);
      return;
    }
    let work: Promise<void> | undefined;
    switch (msg.t) {
      case 'join': {
        const room = this.roomOf(conn, msg);
        if (room !== undefined) work = this.admission.join(conn, room);
        break;
      }
      case 'prove': {
        const room = this.roomOf(conn, msg);
        if (room !== undefined) work = this.admission.prove(conn, room, msg);
        break;
      }
      case 'leave':
        {
          const room = this.roomOf(conn, msg);
          if (room !== undefined) this.rooms.leave(conn, room);
        }
        break;
      case 'history': {
        const room = this.roomOf(conn, msg);
        if (room !== undefined) work = answerHistory(this.catchUp, conn, room, msg);
        break;
      }
      case 'retention': {
        const room = this.roomOf(conn, msg);
        if (room !== undefined) work = setRoomRetention(this, conn, room, msg);
        break;
      }
      case 'ping':
        this.onPing(conn, msg);
        break;
      default:
        if (typeof msg.t === 'string') this.out.error(conn, ErrorCode.UNKNOWN_TYPE, 'unknown message type');
        else this.out.error(conn, ErrorCode.BAD_MESSAGE, 'missing message type "t"');
    }
    work
      ?.catch((err: unknown) => {
        this.log.warn('store_failed', { message: errorMessage(err) });
        this.out.error(conn, ErrorCode.UNAVAILABLE, 'the room store is unavailable', roomField(msg));
      })
      .catch((err: unknown) => this.log.error('refusal_failed', { message: errorMessage(err) }));
  }

  /** The room of a message, or undefined after answering BAD_ROOM. */
  private roomOf(conn: Connection, msg: Json): RoomKey | undefined {
    const room = msg.room;
    if (!isRoomKey(room)) {
      this.out.error(conn, ErrorCode.BAD_ROOM, `"room" must be ${ROOM_ID_BYTES} bytes in base64url (${ROOM_ID_BASE64URL_CHARS} characters)`);
      return undefined;
    }
    return room;
  }

  private onPing(conn: Connection, msg: Json): void {
    const id = msg.id;
    const valid =
      id === undefined ||
      (typeof id === 'number' && Number.isFinite(id)) ||
      (typeof id === 'string' && id.length <= MAX_PING_ID_CHARS);
    if (!valid) {
      this.out.error(conn, ErrorCode.BAD_MESSAGE, `ping "id" must be a number or a string of at most ${MAX_PING_ID_CHARS} characters`);
      return;
    }
    this.out.json(conn, { v: PROTOCOL_VERSION, t: 'pong', id });
  }

  // ---------------------------------------------------------------- shutdown

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const open = [...this.connections.open];
    const allClosed = Promise.all(
      open.map(
        (conn) =>
          new Promise<void>((resolve) => {
            if (conn.ws.readyState === WebSocket.CLOSED) resolve();
            else conn.ws.once('close', () => resolve());
          }),
      ),
    );
    for (const conn of open) conn.ws.close(CloseCode.GOING_AWAY, CLOSE_REASON[CloseCode.GOING_AWAY]);
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([allClosed, new Promise<void>((resolve) => (grace = setTimeout(resolve, SHUTDOWN_GRACE_MS)))]);
    clearTimeout(grace);
    for (const conn of this.connections.open) conn.ws.terminate();
    this.server.closeAllConnections();
    await serverClosed;
    this.wss.close();
    if (this.ownsStore) await this.store.close();
    this.log.info('stopped');
  }
}

// ------------------------------------------------------------------ helpers

function displayHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

async function createStore(options: RelayOptions, log: Logger): Promise<{ store: RoomStore; owned: boolean }> {
  if (options.store) return { store: options.store, owned: false };
  const retention = resolveRetention(options.retention);
  if (options.redis !== undefined) {
    // Loaded only when asked for, so the in-memory relay never touches ioredis.
    const { createRedisStore } = await import('./redis-store.js');
    try {
      const store = await createRedisStore({
        url: options.redis,
        retention: { maxEnvelopes: retention.maxEnvelopesPerRoom, maxBytes: retention.maxBytesPerRoom, maxAgeMs: retention.maxAgeMs },
        idleRoomTtlMs: Math.max(retention.idleRoomMs, retention.maxAgeMs),
        onBackendChange: (up, detail) => (up ? log.info('redis_up', { detail }) : log.warn('redis_down', { detail })),
      });
      return { store, owned: true };
    } catch (err) {
      throw new RelayStartError('REDIS_UNAVAILABLE', `cannot use Redis for rooms: ${errorMessage(err)}`);
    }
  }
  return { store: new MemoryRoomStore(retention), owned: true };
}

/** Starts a relay; resolves once it listens. */
export async function startRelay(options: RelayOptions = {}): Promise<RunningRelay> {
  const log = createLogger(options.logLevel ?? 'info', options.logSink ?? ((line) => process.stderr.write(line)));
  const { store, owned } = await createStore(options, log);
  const relay = new Relay(options, store, owned, log);
  try {
    return await relay.listen();
  } catch (err) {
    if (owned) await store.close();
    throw err;
  }
}
