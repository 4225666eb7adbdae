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
  /**
   * Catch-up output budget of one connection (token bucket): envelope bytes per second
   * that history answers may send, sustained. Past it `history` is refused with
   * HISTORY_LIMITED and a `retryAfterMs`.
   */
  historyBytesPerSecond: number;
  /** The same budget's burst, in bytes: a returning member's whole catch-up at once. */
  historyByteBurst: number;
  /** Catch-up output budget of one address (IPv6: one /64) over all its connections, bytes per second. */
  historyBytesPerSecondPerAddress: number;
  /** The per-address budget's burst, in bytes. */
  historyByteBurstPerAddress: number;
  /**
   * New rooms one address (IPv6: one /64) may register per minute, sustained (token
   * bucket). Past it a registering `prove` is refused with REGISTRATION_LIMITED.
   */
  registrationsPerMinute: number;
  /** Registrations one address may make in a burst. */
  registrationBurst: number;
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
  /**
   * How long a forgotten room id stays reserved for the holders of its original
   * admission key (only a hash of the key is kept), in ms.
   */
  forgottenRoomMemoryMs: number;
  /** Forgotten room ids remembered at once; past it the oldest memory goes first. */
  maxForgottenRooms: number;
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
  // A member back from a week away in a busy room fetches up to maxBytesPerRoom (64 MiB) of
  // it: the burst (16 MiB) takes the usual catch-up at once, the rate the rest of a full
  // room in about 12 s. Each address gets the same, over all its connections: a small relay
  // (a 100 Mbit/s uplink moves about 12 MiB/s) keeps most of its output for everyone else.
  // At 16 MiB/s, burst 64 MiB per address, one address pulled 26 MiB/s in the abuse run and
  // honest p99 rose 38-fold (docs/BENCHMARKS.md).
  historyBytesPerSecond: 4 * MIB,
  historyByteBurst: 16 * MIB,
  historyBytesPerSecondPerAddress: 4 * MIB,
  historyByteBurstPerAddress: 16 * MIB,
  // A room of the membership protocol registers up to three relay rooms, and every removal
  // or leave a new one: an address full of people making and reshaping rooms stays far
  // below one a second. A flood from one address (2,200/s seen) gets one a second.
  registrationsPerMinute: 60,
  registrationBurst: 60,
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
  // Longer than the longest absence retention serves (maxAgeMs, a week), so a member back
  // after its room was forgotten still finds the id reserved for its key.
  forgottenRoomMemoryMs: 30 * DAY_MS,
  // About 200 bytes each in memory: 100k stay near 20 MiB.
  maxForgottenRooms: 100_000,
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
  /**
   * The durable store's directory (when neither `store` nor `redis` is given): rooms,
   * admission keys and retained envelopes in an SQLite database there, kept across
   * restarts. Without it the relay keeps rooms in memory. The command line uses a data
   * directory by default (docs/DEPLOYMENT.md); this API does not create one unasked.
   */
  dataDir?: string;
  /** Keep rooms in memory even when `dataDir` is given (the command line's `--memory`). */
  memory?: boolean;
  /** How the durable store commits, and how long writes wait to share a commit or a Redis call: see {@link StorageOptions}. */
  storage?: Partial<StorageOptions>;
  /**
   * Addresses (or CIDR ranges) of reverse proxies in front of the relay. A connection from
   * one of them is counted under the address in the last hop of its `X-Forwarded-For`
   * header; any other connection under its own peer address, whatever headers it sends.
   */
  trustProxy?: string[];
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

/**
 * SQLite's `synchronous` setting for the durable store. Every acknowledgement waits for its
 * commit either way; what differs is what a commit survives:
 * - `normal`: the commit is in the write-ahead log, handed to the operating system — it
 *   survives the relay process crashing or being killed, not a power loss or a kernel
 *   crash (the last commits before one may be lost, the database stays consistent).
 * - `full`: the log is also flushed to the disk (fsync) before the acknowledgement — it
 *   survives a power loss too, at the cost of one fsync per batch of writes.
 */
export type SyncMode = 'normal' | 'full';

export interface StorageOptions {
  synchronous: SyncMode;
  /**
   * How long a write may wait for others to share its commit (durable store) or script call
   * (Redis), ms; 0 sends each event-loop turn's writes at its end (flush-timer.ts).
   */
  batchDelayMs: number;
}

export const DEFAULT_STORAGE: Readonly<StorageOptions> = Object.freeze({ synchronous: 'full', batchDelayMs: 1 });

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
