/**
 * The checks a WebSocket upgrade passes before a connection exists: path, header
 * limits, Origin allow-list and connections per address. A refused upgrade is answered
 * with an HTTP status (docs/PROTOCOL.md A.8) and counted by reason.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { RefusalReason } from './errors.js';
import { HTTP_REFUSAL, pathOf, WS_PATH, type HttpRefusal } from './http.js';
import type { RelayCounters } from './metrics.js';
import type { RelayLimits } from './options.js';

const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** What the upgrade checks need from the relay. */
interface UpgradePort {
  readonly limits: Pick<RelayLimits, 'maxHeaderCount' | 'maxConnectionsPerAddress'>;
  readonly counters: Pick<RelayCounters, 'refuse'>;
  /** True once shutdown has begun. */
  closing(): boolean;
  /** WebSocket connections open from this address. */
  connectionsFrom(address: string): number;
  /** The address group a request counts under (client-address.ts). */
  clientAddress(req: IncomingMessage): string;
  /** Completes the handshake of an upgrade that passed every check. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, address: string): void;
}

export class UpgradeGate {
  private readonly allowAnyOrigin: boolean;
  private readonly allowedOrigins: Set<string>;
  private readonly explicitOrigins: boolean;

  constructor(
    private readonly port: UpgradePort,
    allowedOrigins: readonly string[] | undefined,
  ) {
    this.explicitOrigins = allowedOrigins !== undefined && allowedOrigins.length > 0;
    this.allowAnyOrigin = allowedOrigins?.includes('*') ?? false;
    this.allowedOrigins = new Set(allowedOrigins ?? []);
  }

  /** The server's 'upgrade' listener. */
  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { port } = this;
    socket.on('error', () => socket.destroy());
    if (port.closing()) {
      rejectUpgrade(socket, 503);
      return;
    }
    if (pathOf(req.url) !== WS_PATH) {
      port.counters.refuse(RefusalReason.BAD_UPGRADE);
      rejectUpgrade(socket, 404);
      return;
    }
    if (req.rawHeaders.length / 2 > port.limits.maxHeaderCount) {
      port.counters.refuse(RefusalReason.TOO_MANY_HEADERS);
      rejectUpgrade(socket, 431);
      return;
    }
    if (!this.originAllowed(req)) {
      port.counters.refuse(RefusalReason.ORIGIN_FORBIDDEN);
      rejectUpgrade(socket, 403);
      return;
    }
    const address = port.clientAddress(req);
    if (port.connectionsFrom(address) >= port.limits.maxConnectionsPerAddress) {
      port.counters.refuse(RefusalReason.TOO_MANY_CONNECTIONS);
      rejectUpgrade(socket, 429);
      return;
    }
    port.accept(req, socket, head, address);
  }

  /** `ws` found the upgrade request invalid (key, version, subprotocol header). */
  onBadHandshake(socket: Duplex): void {
    this.port.counters.refuse(RefusalReason.BAD_UPGRADE);
    rejectUpgrade(socket, 400);
  }

  /** The server's 'clientError' listener: requests Node could not parse. */
  onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    // Node's own answer for oversized headers is 431; keep it, and count it.
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      this.port.counters.refuse(RefusalReason.HEADERS_TOO_LARGE);
      rejectUpgrade(socket, 431);
      return;
    }
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      rejectUpgrade(socket, 408);
      return;
    }
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    rejectUpgrade(socket, 400);
  }

  private originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    // Browsers always send Origin on WebSocket upgrades; other clients can set any
    // Origin they like, so its absence proves nothing and is allowed.
    if (origin === undefined) return true;
    if (this.allowAnyOrigin || this.allowedOrigins.has(origin)) return true;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return false;
    }
    if (parsed.host === req.headers.host) return true;
    return !this.explicitOrigins && LOCAL_HOSTNAMES.has(parsed.hostname);
  }
}

function rejectUpgrade(socket: Duplex, status: HttpRefusal): void {
  if (socket.writable) {
    const text = HTTP_REFUSAL[status];
    const body = `${status} ${text}\n`;
    // Destroy once flushed: a peer that never closes its side must not hold the socket.
    socket.once('finish', () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  } else {
    socket.destroy();
  }
}
