/**
 * A WebSocket connection's state, and the registry of open connections with the two
 * timers that watch them: the heartbeat (drops peers that stopped answering pings) and
 * the handshake timeout (closes connections admitted to no room in time).
 */
import type { WebSocket } from 'ws';
import { CLOSE_REASON, CloseCode, RefusalReason } from './errors.js';
import type { Logger } from './log.js';
import type { RelayCounters } from './metrics.js';
import type { RelayLimits } from './options.js';
import type { TokenBucket } from './budgets.js';
import { TokenBuckets, type RateBudget } from './rate-limit.js';
import type { RoomKey } from './store.js';

/** Where a connection's socket events go. */
export interface ConnectionEvents {
  onMessage(conn: Connection, data: Buffer, isBinary: boolean): void;
  onSocketError(err: Error & { code?: string }): void;
  onClose(conn: Connection): void;
}

/**
 * Per-connection state, kept small (idle memory per connection is a budget): the rate
 * buckets are inherited fields, rooms a short array, challenges a map only while one is
 * pending, and the socket's listeners are shared functions, not closures.
 */
export class Connection extends TokenBuckets {
  /** Rooms this connection is admitted to (at most maxRoomsPerConnection, usually 1–3). */
  rooms: RoomKey[] | undefined = undefined;
  /** Pending challenge nonce per room; each is used at most once. */
  challenges: Map<RoomKey, Buffer> | undefined = undefined;
  /** Answered the last heartbeat ping. */
  alive = true;
  admittedOnce = false;
  /** Admissions being checked (store round trips) per room, with the nonce they answer;
   * only while one runs. A leave removes the entry, and that admission then ends silently. */
  admitting: Map<RoomKey, Buffer> | undefined = undefined;
  /** Catch-up output budget (budgets.ts), made on the first `history` request. */
  historyBucket: TokenBucket | undefined = undefined;

  constructor(
    readonly events: ConnectionEvents,
    readonly ws: WebSocket,
    /** The address group per-address limits count under (client-address.ts), never a raw IPv6 address. */
    readonly address: string,
    readonly connectedAtMs: number,
    budget: RateBudget,
  ) {
    super(budget, connectedAtMs);
  }

  inRoom(room: RoomKey): boolean {
    return this.rooms?.includes(room) ?? false;
  }

  /** Rooms admitted, challenged or being admitted: what maxRoomsPerConnection bounds. */
  roomCount(): number {
    return (this.rooms?.length ?? 0) + (this.challenges?.size ?? 0) + (this.admitting?.size ?? 0);
  }

  /** Drops the room's pending challenge and admission under way; true if there was either. */
  cancelAdmission(room: RoomKey): boolean {
    const cancelledChallenge = this.challenges?.delete(room) ?? false;
    const cancelledAdmission = this.admitting?.delete(room) ?? false;
    if (this.challenges?.size === 0) this.challenges = undefined;
    if (this.admitting?.size === 0) this.admitting = undefined;
    return cancelledChallenge || cancelledAdmission;
  }
}

const CONNECTION = Symbol('sealroom.connection');
type RelaySocket = WebSocket & { [CONNECTION]: Connection };

function connectionOf(ws: WebSocket): Connection {
  return (ws as RelaySocket)[CONNECTION];
}
function onSocketMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  const conn = connectionOf(this);
  conn.events.onMessage(conn, data, isBinary);
}
function onSocketPong(this: WebSocket): void {
  connectionOf(this).alive = true;
}
function onSocketError(this: WebSocket, err: Error & { code?: string }): void {
  connectionOf(this).events.onSocketError(err);
}
function onSocketClose(this: WebSocket): void {
  const conn = connectionOf(this);
  conn.events.onClose(conn);
}

/** What the registry needs from the relay. */
interface ConnectionsPort {
  readonly limits: RateBudget & Pick<RelayLimits, 'handshakeTimeoutMs'>;
  readonly counters: RelayCounters;
  readonly log: Logger;
  readonly events: ConnectionEvents;
}

/** Every open connection, the ones not yet admitted anywhere, and the count per address. */
export class Connections {
  readonly open = new Set<Connection>();
  /** Connections not yet admitted to any room (handshake timeout applies). */
  private readonly pending = new Set<Connection>();
  private readonly perAddress = new Map<string, number>();

  constructor(private readonly port: ConnectionsPort) {}

  /** Connections open from this address. */
  fromAddress(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  /** Registers a socket that has just completed its handshake. */
  add(ws: WebSocket, address: string, nowMs: number): Connection {
    const { port } = this;
    const conn = new Connection(port.events, ws, address, nowMs, port.limits);
    (ws as RelaySocket)[CONNECTION] = conn;
    this.open.add(conn);
    this.pending.add(conn);
    port.counters.connections += 1;
    this.perAddress.set(address, this.fromAddress(address) + 1);
    ws.on('message', onSocketMessage);
    ws.on('pong', onSocketPong);
    ws.on('error', onSocketError);
    ws.on('close', onSocketClose);
    return conn;
  }

  /** Forgets a closed connection; false if it was forgotten already. */
  remove(conn: Connection): boolean {
    if (!this.open.delete(conn)) return false;
    this.pending.delete(conn);
    this.port.counters.connections -= 1;
    const left = (this.perAddress.get(conn.address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(conn.address, left);
    else this.perAddress.delete(conn.address);
    return true;
  }

  /** A connection was admitted to a room: the handshake timeout no longer applies. */
  admitted(conn: Connection): void {
    if (conn.admittedOnce) return;
    conn.admittedOnce = true;
    this.pending.delete(conn);
  }

  /** Drops every peer that did not answer the previous ping, and pings the others. */
  heartbeat(): void {
    const { counters, log } = this.port;
    for (const conn of this.open) {
      if (!conn.alive) {
        counters.refuse(RefusalReason.HEARTBEAT_TIMEOUT);
        log.debug('heartbeat_timeout', { address: conn.address });
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      try {
        conn.ws.ping();
      } catch {
        conn.ws.terminate();
      }
    }
  }

  /** Closes (4001) the connections admitted to no room within handshakeTimeoutMs. */
  closeUnadmitted(nowMs: number): void {
    const deadline = nowMs - this.port.limits.handshakeTimeoutMs;
    for (const conn of this.pending) {
      if (conn.connectedAtMs > deadline) continue;
      this.pending.delete(conn);
      this.port.counters.refuse(RefusalReason.HANDSHAKE_TIMEOUT);
      conn.ws.close(CloseCode.HANDSHAKE_TIMEOUT, CLOSE_REASON[CloseCode.HANDSHAKE_TIMEOUT]);
    }
  }
}
