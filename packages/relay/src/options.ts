import type { RoomStore } from './store.js';
import { DAY_MS, KIB, MIB, MINUTE_MS, SECOND_MS } from '@sealroom/units';

/** Per-connection and per-address limits. Every refusal has a code (errors.ts). */
export interface RelayLimits {
  /** Largest WebSocket message the relay accepts, in bytes (`ws` maxPayload). */
  maxFrameBytes: number;
  /** Largest text (JSON control) message, in bytes. Control messages are tiny. */
  maxControlBytes: number;
  /**
   * Rooms one connection may be admitted to (or have a pending challenge for). A room of
   * the membership protocol uses up to three relay rooms (current epoch, previous epoch,
   * lobby), so 256 lets one tab hold about 85 rooms.
   */
  maxRoomsPerConnection: number;
  /** Open WebSocket connections from one remote address. */
  maxConnectionsPerAddress: number;
  /** Token bucket: sustained messages per second per connection. */
  messagesPerSecond: number;
  /** Token bucket: burst of messages per connection. */
  messageBurst: number;
  /** Token bucket: sustained bytes per second per connection. */
  bytesPerSecond: number;
  /** Token bucket: burst of bytes per connection (at least `maxFrameBytes`). */
  byteBurst: number;
  /** A connection whose unsent output passes this many bytes is cut off. */
  maxBufferedBytes: number;
  /** Interval between pings; a peer that has not answered the previous one is dropped. */
  heartbeatIntervalMs: number;
  /** A connection admitted to no room this long after connecting is closed (4001). */
  handshakeTimeoutMs: number;
  /** Most HTTP headers in a request (the CVE-2024-37890 class of attack). */
  maxHeaderCount: number;
  /** Most bytes of HTTP headers in a request (Node's `maxHeaderSize`). */
  maxHeaderBytes: number;
  /** Most bytes one history answer sends before saying `more: true`. */
  maxHistoryPageBytes: number;
}

/** Bounds of the retention log. */
export interface RetentionLimits {
  /** Envelopes kept per room. */
  maxEnvelopesPerRoom: number;
  /** Envelope bytes kept per room. */
  maxBytesPerRoom: number;
  /** Oldest envelope kept, in milliseconds. A room may register with less (A.3). */
  maxAgeMs: number;
  /**
   * The least a room may register for, in milliseconds: a shorter age would let an envelope
   * expire before a member who was briefly offline (a reload, a tunnel) could fetch it.
   */
  minAgeMs: number;
  /**
   * Pinned envelopes (membership commits) one room keeps outside trimming, for its whole
   * life; a pinned publish past it is refused with PIN_LIMIT.
   */
  maxPinnedPerRoom: number;
  /** Envelope bytes kept over all rooms; the oldest envelopes go first. */
  maxTotalBytes: number;
  /** A room with no connection and no new envelope for this long is forgotten. */
  idleRoomMs: number;
  /**
   * Rooms remembered at once (admission key, cursors, log). A new room past it makes the
   * store forget the oldest room nobody is connected to, so registrations cannot grow
   * memory without bound. Rooms with a connection are never forgotten for space.
   */
  maxRooms: number;
  /** How often expired envelopes and idle rooms are swept. */
  sweepIntervalMs: number;
}

export const DEFAULT_LIMITS: Readonly<RelayLimits> = Object.freeze({
  // 1 MiB: large enough for 256 KiB file chunks with room to spare, small enough
  // that one message cannot hog memory.
  maxFrameBytes: 1 * MIB,
  maxControlBytes: 4 * KIB,
  maxRoomsPerConnection: 256,
  // A household or an office behind one NAT, with a few tabs each.
  maxConnectionsPerAddress: 64,
  messagesPerSecond: 200,
  messageBurst: 400,
  // 16 MiB/s sustained lets a 100 MB file through in seconds; bursts of 32 MiB.
  bytesPerSecond: 16 * MIB,
  byteBurst: 32 * MIB,
  maxBufferedBytes: 16 * MIB,
  heartbeatIntervalMs: 30 * SECOND_MS,
  handshakeTimeoutMs: 15 * SECOND_MS,
  maxHeaderCount: 100,
  maxHeaderBytes: 16 * KIB,
  maxHistoryPageBytes: 8 * MIB,
});

export const DEFAULT_RETENTION: Readonly<RetentionLimits> = Object.freeze({
  maxEnvelopesPerRoom: 10_000,
  maxBytesPerRoom: 64 * MIB,
  maxAgeMs: 7 * DAY_MS,
  minAgeMs: 30 * SECOND_MS,
  // A commit per epoch wins; a few more leave room for commits that lost a race.
  maxPinnedPerRoom: 8,
  maxTotalBytes: 256 * MIB,
  idleRoomMs: 7 * DAY_MS,
  // About 1 KiB of bookkeeping per empty room: 100k rooms stay near 100 MiB.
  maxRooms: 100_000,
  sweepIntervalMs: 1 * MINUTE_MS,
});

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface RelayOptions {
  /** Interface to listen on. Default 127.0.0.1; use 0.0.0.0 to expose (behind TLS). */
  host?: string;
  /** Port; 0 picks a free one. Default 8787. */
  port?: number;
  /** Where rooms live. Default: a fresh in-memory store, closed with the relay. A store
   * passed in is not closed by the relay. */
  store?: RoomStore;
  /** Redis URL for scale-out (when no `store` is given). */
  redis?: string;
  /** Directory of the built web app. Default: dist/web in the package, else the
   * workspace's apps/web/dist, else a built-in page saying the app is not built. */
  webRoot?: string;
  /** PEM certificate chain and private key (contents, not paths): serve https/wss. */
  tls?: TlsCredentials;
  /** Origins allowed to open a WebSocket besides the relay's own. Default: localhost
   * origins on any port. `*` allows any origin. */
  allowedOrigins?: string[];
  /** Extra `connect-src` sources in the Content-Security-Policy of served pages. */
  connectSrc?: string[];
  limits?: Partial<RelayLimits>;
  retention?: Partial<RetentionLimits>;
  /** Default 'info'. Logs go to stderr as JSON lines. */
  logLevel?: LogLevel;
  /** Where log lines go (default: process.stderr). */
  logSink?: (line: string) => void;
}

/** A PEM certificate chain and its private key (contents, not paths). */
export interface TlsCredentials {
  cert: string;
  key: string;
}

/** What `RunningRelay.reload` did: done, or why a new certificate was refused (the old one stays). */
export type ReloadResult = { readonly ok: true } | { readonly ok: false; readonly code: 'TLS_NOT_ENABLED' | 'TLS_INVALID'; readonly message: string };

export interface RunningRelay {
  /** http(s)://host:port */
  readonly url: string;
  /** ws(s)://host:port/ws */
  readonly wsUrl: string;
  readonly port: number;
  /** Current counts (what /healthz reports). */
  health(): RelayHealth;
  /**
   * Reads the web app directory again and, given `tls`, installs that certificate and key
   * for new connections (open ones keep theirs). What SIGHUP does in the command.
   */
  reload(changes?: { readonly tls?: TlsCredentials }): Promise<ReloadResult>;
  /** Stops accepting, closes every WebSocket with 1001, stops timers. */
  close(): Promise<void>;
}

export interface RelayHealth {
  readonly status: 'ok' | 'degraded';
  readonly connections: number;
  readonly rooms: number;
  readonly retainedEnvelopes: number;
  readonly retainedBytes: number;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8787;

export function resolveLimits(partial: Partial<RelayLimits> | undefined): RelayLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  // A burst smaller than one frame would refuse every maximum-size frame forever.
  limits.byteBurst = Math.max(limits.byteBurst, limits.maxFrameBytes);
  limits.messageBurst = Math.max(limits.messageBurst, 1);
  return limits;
}

export function resolveRetention(partial: Partial<RetentionLimits> | undefined): RetentionLimits {
  const retention = { ...DEFAULT_RETENTION, ...partial };
  // A floor above the ceiling would make every room keep longer than the relay allows.
  retention.minAgeMs = Math.min(retention.minAgeMs, retention.maxAgeMs);
  return retention;
}
