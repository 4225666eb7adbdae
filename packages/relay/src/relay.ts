/**
 * The composition root: builds each part of the relay over the narrow port it needs,
 * and wires the HTTP server, the WebSocket server and the store's events to them.
 * Which file holds which part: the Layout table in the package README.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { Admission } from './admission.js';
import { HistoryBudget, RegistrationBudget } from './budgets.js';
import { answerHistory } from './catchup.js';
import { ClientAddresses } from './client-address.js';
import { Connections, type Connection, type ConnectionEvents } from './connection.js';
import { helloText, onControl, type ControlPort } from './control.js';
import { CLOSE_REASON, CloseCode, ErrorCode, RefusalReason, RelayStartError } from './errors.js';
import { createHttpHandler, WS_PATH, type HttpHandler } from './http.js';
import { createLogger, errorMessage, type Logger } from './log.js';
import { LOOP_SAMPLE_INTERVAL_MS, LoopDelay } from './loop-delay.js';
import { MemoryRoomStore } from './memory-store.js';
import { createMetrics, RelayCounters } from './metrics.js';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_STORAGE,
  resolveLimits,
  resolveRetention,
  type RelayHealth,
  type RelayLimits,
  type RelayOptions,
  type ReloadResult,
  type RetentionLimits,
  type RunningRelay,
  type TlsCredentials,
} from './options.js';
import { HistoryPacer } from './history-pacer.js';
import { Outbound } from './outbound.js';
import { refusedRequest } from './rate-limit.js';
import { ReadPause } from './read-pause.js';
import { whenDrained } from './send-batch.js';
import { deliverRemote, publish, Rooms, type PublishPort } from './rooms.js';
import type { RoomStore } from './store.js';
import { swapCertificate } from './tls-reload.js';
import { UpgradeGate } from './upgrade.js';

/** How long shutdown waits for clients to answer the 1001 close before cutting them. */
const SHUTDOWN_GRACE_MS = 2000;
/** The handshake check runs this many times per timeout, so a timeout fires within 1.5×. */
const HANDSHAKE_CHECKS_PER_TIMEOUT = 2;
const MIN_TIMER_MS = 5;

class Relay implements ConnectionEvents {
  private readonly limits: RelayLimits;
  private readonly retention: RetentionLimits;
  private readonly counters = new RelayCounters();
  private readonly connections: Connections;
  private readonly out: Outbound;
  private readonly rooms: Rooms;
  private readonly publishing: PublishPort;
  private readonly control: ControlPort;
  private readonly wss: WebSocketServer;
  private readonly server: Server;
  /** The same server when it speaks TLS (its certificate can be swapped), else undefined. */
  private readonly tlsServer: HttpsServer | undefined;
  private readonly http: HttpHandler;
  private readonly helloText: string;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Per-address budgets, pruned of addresses whose budget is whole again. */
  private readonly budgets: readonly { prune(nowMs: number): void }[];
  private readonly loopDelay: LoopDelay;
  private readonly readPause = new ReadPause<Connection>({
    pause: (conn) => conn.ws.pause(),
    resume: (conn) => conn.ws.resume(),
    setTimer: (fn, ms) => setTimeout(fn, ms),
  });
  private closing: Promise<void> | undefined;

  constructor(
    private readonly options: RelayOptions,
    private readonly store: RoomStore,
    private readonly ownsStore: boolean,
    private readonly log: Logger,
  ) {
    const limits = resolveLimits(options.limits);
    const retention = resolveRetention(options.retention);
    const counters = this.counters;
    this.limits = limits;
    this.retention = retention;
    this.helloText = helloText(limits, retention);
    this.connections = new Connections({ limits, counters, log, events: this });
    const out = new Outbound(limits, counters, log, (conn, retryAfterMs) => this.readPause.afterRefusal(conn, retryAfterMs));
    this.out = out;
    const rooms = new Rooms({ store, out, log, admitted: (conn) => this.connections.admitted(conn) });
    this.rooms = rooms;
    this.publishing = { rooms: rooms.local, store, out, counters, log };
    const registrations = new RegistrationBudget(limits);
    const budget = new HistoryBudget(limits);
    this.budgets = [registrations, budget];
    const admission = new Admission({ store, rooms, out, limits, retention, registrations, log, isOpen: (conn) => this.connections.open.has(conn) });
    const pacer = new HistoryPacer<Connection>({
      later: (fn) => setImmediate(fn),
      buffered: (conn) => conn.ws.bufferedAmount,
      whenDrained: (conn, fn) => whenDrained(conn.ws, fn),
    });
    const catchUp = { rooms: rooms.local, store, out, limits, budget, pacer };
    this.control = {
      limits,
      out,
      log,
      requests: {
        join: (conn, room) => admission.join(conn, room),
        prove: (conn, room, msg) => admission.prove(conn, room, msg),
        leave: (conn, room) => rooms.leave(conn, room),
        history: (conn, room, msg) => answerHistory(catchUp, conn, room, msg),
      },
    };
    store.onRemoteEnvelope((room, cursor, envelope) => deliverRemote(rooms.local, room, cursor, envelope));
    store.onRoomState?.((room, state) => rooms.storeState(room, state));

    const metrics = createMetrics({ counters, localRooms: () => rooms.local.size, storeStats: () => store.stats() });
    this.loopDelay = new LoopDelay(metrics);
    const serverOptions = { maxHeaderSize: limits.maxHeaderBytes };
    this.tlsServer = options.tls ? createHttpsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }) : undefined;
    this.server = this.tlsServer ?? createHttpServer(serverOptions);
    // One more than allowed, so a request over the limit is seen (and refused) rather
    // than silently truncated.
    this.server.maxHeadersCount = limits.maxHeaderCount + 1;
    this.http = createHttpHandler({ limits, counters, metrics, log, health: () => this.health() }, options);
    this.server.on('request', this.http.listener);
    const addresses = new ClientAddresses(options.trustProxy);
    const gate = new UpgradeGate(
      {
        limits,
        counters,
        clientAddress: (req) => addresses.of(req),
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
      maxPayload: limits.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.wss.on('wsClientError', (_err: Error, socket: Duplex) => gate.onBadHandshake(socket));
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
      reload: (changes) => this.reload(changes?.tls),
      close: () => this.close(),
    };
  }

  private async reload(tls: TlsCredentials | undefined): Promise<ReloadResult> {
    await this.http.reloadWebFiles();
    return tls === undefined ? { ok: true } : swapCertificate(this.tlsServer, tls);
  }

  private startTimers(): void {
    const every = (ms: number, fn: () => void): void => {
      const timer = setInterval(fn, Math.max(MIN_TIMER_MS, ms));
      timer.unref();
      this.timers.push(timer);
    };
    every(this.limits.heartbeatIntervalMs, () => this.connections.heartbeat());
    every(LOOP_SAMPLE_INTERVAL_MS, () => this.loopDelay.tick(performance.now()));
    every(this.limits.handshakeTimeoutMs / HANDSHAKE_CHECKS_PER_TIMEOUT, () => this.connections.closeUnadmitted(Date.now()));
    every(this.retention.sweepIntervalMs, () => {
      const nowMs = Date.now();
      for (const budget of this.budgets) budget.prune(nowMs);
      this.store.sweep(nowMs).catch((err: unknown) => this.log.warn('sweep_failed', { message: errorMessage(err) }));
    });
  }

  private health(): RelayHealth {
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

  onMessage(conn: Connection, data: Buffer, isBinary: boolean): void {
    if (this.closing) return;
    if (!conn.take(this.limits, data.length, Date.now())) {
      const { room, id } = refusedRequest(data, isBinary, this.limits.maxControlBytes);
      this.out.error(conn, ErrorCode.RATE_LIMITED, 'rate limit exceeded; message dropped, send it again later', room, id);
      this.readPause.afterRefusal(conn, conn.msUntilAllowed(this.limits, data.length));
      return;
    }
    if (isBinary) publish(this.publishing, conn, data);
    else onControl(this.control, conn, data);
  }

  onSocketError(err: Error & { code?: string }): void {
    // `ws` closes the connection itself (1002/1007/1008/1009); count why.
    this.counters.refuse(refusalOfSocketError(err.code));
    this.log.debug('ws_error', { code: err.code ?? 'unknown' });
  }

  onClose(conn: Connection): void {
    if (!this.connections.remove(conn)) return;
    this.rooms.leaveAll(conn);
    conn.challenges = undefined;
    conn.admitting = undefined;
    if (this.log.enabled('debug')) this.log.debug('connection_closed', { address: conn.address, connections: this.counters.connections });
  }

  // ---------------------------------------------------------------- shutdown

  private close(): Promise<void> {
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

/** The refusal reason of an error `ws` closed a connection for, by its code. */
function refusalOfSocketError(code: string | undefined): RefusalReason {
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return RefusalReason.FRAME_TOO_LARGE;
  if (code === 'WS_ERR_TOO_MANY_BUFFERED_PARTS') return RefusalReason.TOO_MANY_FRAGMENTS;
  return RefusalReason.PROTOCOL_ERROR;
}

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
    const { createRedisStore } = await import('./redis/store.js');
    try {
      const store = await createRedisStore({
        url: options.redis,
        retention: {
          maxEnvelopes: retention.maxEnvelopesPerRoom,
          maxBytes: retention.maxBytesPerRoom,
          maxAgeMs: retention.maxAgeMs,
          maxPinned: retention.maxPinnedPerRoom,
        },
        idleRoomTtlMs: Math.max(retention.idleRoomMs, retention.maxAgeMs),
        appendLingerMs: options.storage?.batchDelayMs ?? DEFAULT_STORAGE.batchDelayMs,
        onBackendChange: (up, detail) => (up ? log.info('redis_up', { detail }) : log.warn('redis_down', { detail })),
      });
      return { store, owned: true };
    } catch (err) {
      throw new RelayStartError('REDIS_UNAVAILABLE', `cannot use Redis for rooms: ${errorMessage(err)}`);
    }
  }
  if (options.dataDir !== undefined && options.memory !== true) {
    // Loaded only when asked for, so a relay in memory or over Redis never loads the native binding.
    const { openSqliteStore } = await import('./sqlite/open.js');
    const store = await openSqliteStore(options.dataDir, retention, options.storage, log);
    return { store, owned: true };
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
