/**
 * The relay's command-line flags: each flag, its environment twin, its default, its help
 * line and where its value goes in the options. How a value is read: cli-values.ts.
 */
import {
  DEFAULT_HOST,
  DEFAULT_LIMITS,
  DEFAULT_PORT,
  DEFAULT_RETENTION,
  DEFAULT_STORAGE,
  type RelayLimits,
  type RelayOptions,
  type RetentionLimits,
  type SyncMode,
} from './options.js';
import type { Flag } from './cli-flag-shape.js';
import { DAY_MS, HOUR_MS, KIB, MIB, MINUTE_MS, SECOND_MS } from '@sealroom/units';

/**
 * Where the durable store keeps its database when neither `--data-dir` nor `--memory` (nor
 * `--redis`) is given: a directory beside where the relay was started, plain to see and to
 * back up, rather than one hidden in a home directory. The container image and the systemd
 * unit name their own (/data, /var/lib/sealroom-relay).
 */
export const DEFAULT_DATA_DIR = 'sealroom-data';

const limit =
  <K extends keyof RelayLimits>(key: K) =>
  (options: RelayOptions, value: number): void => {
    options.limits = { ...options.limits, [key]: value };
  };
const retain =
  <K extends keyof RetentionLimits>(key: K) =>
  (options: RelayOptions, value: number): void => {
    options.retention = { ...options.retention, [key]: value };
  };

const bytes = (n: number): string => (n % MIB === 0 ? `${n / MIB}MiB` : n % KIB === 0 ? `${n / KIB}KiB` : `${n}`);
const duration = (ms: number): string =>
  ms % DAY_MS === 0
    ? `${ms / DAY_MS}d`
    : ms % HOUR_MS === 0
      ? `${ms / HOUR_MS}h`
      : ms % MINUTE_MS === 0
        ? `${ms / MINUTE_MS}m`
        : ms % SECOND_MS === 0
          ? `${ms / SECOND_MS}s`
          : `${ms}ms`;

/** Every flag and its environment twin. `--help` prints this table. */
export const FLAGS: readonly Flag[] = [
  {
    name: 'host',
    group: 'network',
    value: 'address',
    env: 'SEALROOM_HOST',
    kind: 'string',
    fallback: DEFAULT_HOST,
    help: 'Interface to listen on. Loopback only by default; use 0.0.0.0 to expose the relay (put TLS in front or use --tls-cert/--tls-key).',
    apply: (o, v: string) => (o.host = v),
  },
  {
    name: 'port',
    group: 'network',
    env: 'SEALROOM_PORT',
    kind: 'port',
    fallback: String(DEFAULT_PORT),
    help: 'Port to listen on (0 picks a free one).',
    apply: (o, v: number) => (o.port = v),
  },
  {
    name: 'tls-cert',
    group: 'tls',
    value: 'file',
    env: 'SEALROOM_TLS_CERT',
    kind: 'string',
    help: 'PEM certificate chain file: serve https:// and wss:// (needs --tls-key). Read again on SIGHUP.',
  },
  { name: 'tls-key', group: 'tls', value: 'file', env: 'SEALROOM_TLS_KEY', kind: 'string', help: 'PEM private key file for --tls-cert.' },
  {
    name: 'allowed-origin',
    group: 'network',
    value: 'origin',
    env: 'SEALROOM_ALLOWED_ORIGINS',
    kind: 'list',
    fallback: 'own origin + localhost',
    help: "Origin allowed to open a WebSocket, besides the relay's own (repeat, or comma-separated in the variable; * allows any).",
    apply: (o, v: string[]) => (o.allowedOrigins = v),
  },
  {
    name: 'connect-src',
    group: 'network',
    value: 'source',
    env: 'SEALROOM_CONNECT_SRC',
    kind: 'list',
    help: 'Extra relay the served app may connect to, added to the CSP connect-src (repeat, or comma-separated).',
    apply: (o, v: string[]) => (o.connectSrc = v),
  },
  {
    name: 'web-root',
    group: 'network',
    value: 'dir',
    env: 'SEALROOM_WEB_ROOT',
    kind: 'string',
    fallback: 'the bundled app',
    help: 'Directory of the built web app to serve.',
    apply: (o, v: string) => (o.webRoot = v),
  },
  {
    name: 'redis',
    group: 'scale-out',
    value: 'url',
    env: 'SEALROOM_REDIS_URL',
    kind: 'string',
    help: 'Redis URL (redis://host:port) to share rooms between several relay processes.',
    apply: (o, v: string) => (o.redis = v),
  },
  {
    name: 'trust-proxy',
    group: 'network',
    value: 'address',
    env: 'SEALROOM_TRUST_PROXY',
    kind: 'addresses',
    fallback: 'none',
    help: 'Reverse proxy in front of the relay (an address or a CIDR range; repeat, or comma-separated): a connection from it counts under the last X-Forwarded-For hop, for every per-address limit. Others count under their own address.',
    apply: (o, v: string[]) => (o.trustProxy = v),
  },
  {
    name: 'data-dir',
    group: 'storage',
    value: 'dir',
    env: 'SEALROOM_DATA_DIR',
    kind: 'string',
    fallback: `./${DEFAULT_DATA_DIR}`,
    help: 'Directory of the durable store (an SQLite database): rooms, admission keys and retained envelopes survive restarts and crashes. Created with mode 0700. Not used with --memory or --redis.',
    apply: (o, v: string) => (o.dataDir = v),
  },
  {
    name: 'memory',
    group: 'storage',
    env: 'SEALROOM_MEMORY',
    kind: 'switch',
    help: 'Keep rooms in memory only: everything is gone when the relay stops (clients then show a gap). Wins over --data-dir.',
    apply: (o, v: boolean) => (o.memory = v),
  },
  {
    name: 'data-sync',
    group: 'storage',
    env: 'SEALROOM_DATA_SYNC',
    kind: 'sync',
    fallback: DEFAULT_STORAGE.synchronous,
    help: 'When an envelope counts as stored: normal survives the relay crashing or being killed; full (an fsync before every acknowledgement batch) survives a power loss too.',
    apply: (o, v: SyncMode) => (o.storage = { ...o.storage, synchronous: v }),
  },
  {
    name: 'log-level',
    group: 'logging',
    env: 'SEALROOM_LOG_LEVEL',
    kind: 'level',
    fallback: 'info',
    help: 'debug, info, warn, error or silent. JSON lines on stderr.',
    apply: (o, v: RelayOptions['logLevel']) => (o.logLevel = v),
  },
  {
    name: 'max-frame-bytes',
    group: 'limits',
    env: 'SEALROOM_MAX_FRAME_BYTES',
    kind: 'bytes',
    fallback: bytes(DEFAULT_LIMITS.maxFrameBytes),
    help: 'Largest WebSocket message accepted (close 1009 above).',
    apply: limit('maxFrameBytes'),
  },
  {
    name: 'max-rooms-per-connection',
    group: 'limits',
    env: 'SEALROOM_MAX_ROOMS_PER_CONNECTION',
    kind: 'count',
    fallback: String(DEFAULT_LIMITS.maxRoomsPerConnection),
    help: 'Rooms one connection may join (ROOM_LIMIT above).',
    apply: limit('maxRoomsPerConnection'),
  },
  {
    name: 'max-connections-per-address',
    group: 'limits',
    env: 'SEALROOM_MAX_CONNECTIONS_PER_ADDRESS',
    kind: 'count',
    fallback: String(DEFAULT_LIMITS.maxConnectionsPerAddress),
    help: 'Open connections from one remote address (HTTP 429 above).',
    apply: limit('maxConnectionsPerAddress'),
  },
  {
    name: 'rate-messages',
    group: 'limits',
    env: 'SEALROOM_RATE_MESSAGES',
    kind: 'count',
    fallback: String(DEFAULT_LIMITS.messagesPerSecond),
    help: 'Messages per second per connection, sustained (RATE_LIMITED above).',
    apply: limit('messagesPerSecond'),
  },
  {
    name: 'burst-messages',
    group: 'limits',
    env: 'SEALROOM_BURST_MESSAGES',
    kind: 'count',
    fallback: String(DEFAULT_LIMITS.messageBurst),
    help: 'Messages per connection in a burst.',
    apply: limit('messageBurst'),
  },
  {
    name: 'rate-bytes',
    group: 'limits',
    env: 'SEALROOM_RATE_BYTES',
    kind: 'bytes',
    fallback: bytes(DEFAULT_LIMITS.bytesPerSecond),
    help: 'Bytes per second per connection, sustained.',
    apply: limit('bytesPerSecond'),
  },
  {
    name: 'burst-bytes',
    group: 'limits',
    env: 'SEALROOM_BURST_BYTES',
    kind: 'bytes',
    fallback: bytes(DEFAULT_LIMITS.byteBurst),
    help: 'Bytes per connection in a burst.',
    apply: limit('byteBurst'),
  },
  {
    name: 'max-buffered-bytes',
    group: 'limits',
    env: 'SEALROOM_MAX_BUFFERED_BYTES',
    kind: 'bytes',
    fallback: bytes(DEFAULT_LIMITS.maxBufferedBytes),
    help: 'Unsent bytes queued for one client before it is cut off as a slow consumer.',
    apply: limit('maxBufferedBytes'),
  },
  {
    name: 'heartbeat',
    group: 'limits',
    env: 'SEALROOM_HEARTBEAT',
    kind: 'duration',
    fallback: duration(DEFAULT_LIMITS.heartbeatIntervalMs),
    help: 'Ping interval; a peer silent for one interval is dropped.',
    apply: limit('heartbeatIntervalMs'),
  },
  {
    name: 'handshake-timeout',
    group: 'limits',
    env: 'SEALROOM_HANDSHAKE_TIMEOUT',
    kind: 'duration',
    fallback: duration(DEFAULT_LIMITS.handshakeTimeoutMs),
    help: 'Time a new connection has to join a room (close 4001 after).',
    apply: limit('handshakeTimeoutMs'),
  },
  {
    name: 'max-header-count',
    group: 'limits',
    env: 'SEALROOM_MAX_HEADER_COUNT',
    kind: 'count',
    fallback: String(DEFAULT_LIMITS.maxHeaderCount),
    help: 'HTTP headers per request (HTTP 431 above).',
    apply: limit('maxHeaderCount'),
  },
  {
    name: 'max-header-bytes',
    group: 'limits',
    env: 'SEALROOM_MAX_HEADER_BYTES',
    kind: 'bytes',
    fallback: bytes(DEFAULT_LIMITS.maxHeaderBytes),
    help: 'HTTP header bytes per request (HTTP 431 above).',
    apply: limit('maxHeaderBytes'),
  },
  {
    name: 'history-rate-bytes',
    group: 'limits',
    env: 'SEALROOM_HISTORY_RATE_BYTES',
    kind: 'bytes',
    fallback: bytes(DEFAULT_LIMITS.historyBytesPerSecond),
    help: 'Catch-up (history) bytes per second per connection, sustained (HISTORY_LIMITED above).',
    apply: limit('historyBytesPerSecond'),
  },
  {
    name: 'history-burst-bytes',
    group: 'limits',
    env: 'SEALROOM_HISTORY_BURST_BYTES',
    kind: 'bytes',
    fallback: bytes(DEFAULT_LIMITS.historyByteBurst),
    help: 'Catch-up bytes per connection in a burst.',
    apply: limit('historyByteBurst'),
  },
  {
    name: 'history-rate-bytes-per-address',
    group: 'limits',
    env: 'SEALROOM_HISTORY_RATE_BYTES_PER_ADDRESS',
    kind: 'bytes',
    fallback: bytes(DEFAULT_LIMITS.historyBytesPerSecondPerAddress),
    help: 'Catch-up bytes per second per address (IPv6: per /64) over all its connections.',
    apply: limit('historyBytesPerSecondPerAddress'),
  },
  {
    name: 'history-burst-bytes-per-address',
    group: 'limits',
    env: 'SEALROOM_HISTORY_BURST_BYTES_PER_ADDRESS',
    kind: 'bytes',
    fallback: bytes(DEFAULT_LIMITS.historyByteBurstPerAddress),
    help: 'Catch-up bytes per address in a burst.',
    apply: limit('historyByteBurstPerAddress'),
  },
  {
    name: 'registrations-per-minute',
    group: 'limits',
    env: 'SEALROOM_REGISTRATIONS_PER_MINUTE',
    kind: 'count',
    fallback: String(DEFAULT_LIMITS.registrationsPerMinute),
    help: 'New rooms one address (IPv6: one /64) may register per minute, sustained (REGISTRATION_LIMITED above).',
    apply: limit('registrationsPerMinute'),
  },
  {
    name: 'registration-burst',
    group: 'limits',
    env: 'SEALROOM_REGISTRATION_BURST',
    kind: 'count',
    fallback: String(DEFAULT_LIMITS.registrationBurst),
    help: 'New rooms one address may register in a burst.',
    apply: limit('registrationBurst'),
  },
  {
    name: 'retention-count',
    group: 'retention',
    env: 'SEALROOM_RETENTION_COUNT',
    kind: 'count',
    fallback: String(DEFAULT_RETENTION.maxEnvelopesPerRoom),
    help: 'Envelopes kept per room.',
    apply: retain('maxEnvelopesPerRoom'),
  },
  {
    name: 'retention-bytes',
    group: 'retention',
    env: 'SEALROOM_RETENTION_BYTES',
    kind: 'bytes',
    fallback: bytes(DEFAULT_RETENTION.maxBytesPerRoom),
    help: 'Envelope bytes kept per room.',
    apply: retain('maxBytesPerRoom'),
  },
  {
    name: 'retention-age',
    group: 'retention',
    env: 'SEALROOM_RETENTION_AGE',
    kind: 'duration',
    fallback: duration(DEFAULT_RETENTION.maxAgeMs),
    help: 'Oldest envelope kept (rooms may ask for less).',
    apply: retain('maxAgeMs'),
  },
  {
    name: 'retention-total-bytes',
    group: 'retention',
    env: 'SEALROOM_RETENTION_TOTAL_BYTES',
    kind: 'bytes',
    fallback: bytes(DEFAULT_RETENTION.maxTotalBytes),
    help: 'Envelope bytes kept over all rooms; oldest dropped first.',
    apply: retain('maxTotalBytes'),
  },
  {
    name: 'idle-room',
    group: 'retention',
    env: 'SEALROOM_IDLE_ROOM',
    kind: 'duration',
    fallback: duration(DEFAULT_RETENTION.idleRoomMs),
    help: 'A room nobody is in and nobody wrote to for this long is forgotten.',
    apply: retain('idleRoomMs'),
  },
  {
    name: 'max-rooms',
    group: 'retention',
    env: 'SEALROOM_MAX_ROOMS',
    kind: 'count',
    fallback: String(DEFAULT_RETENTION.maxRooms),
    help: 'Rooms kept at once; past it a new room makes the store forget the oldest room nobody is in and that holds no envelope, and without one the registration is refused (STORE_FULL).',
    apply: retain('maxRooms'),
  },
  {
    name: 'forgotten-room-memory',
    group: 'retention',
    env: 'SEALROOM_FORGOTTEN_ROOM_MEMORY',
    kind: 'duration',
    fallback: duration(DEFAULT_RETENTION.forgottenRoomMemoryMs),
    help: 'How long a forgotten room id stays reserved for holders of its original admission key (a hash of the key is kept).',
    apply: retain('forgottenRoomMemoryMs'),
  },
  {
    name: 'max-forgotten-rooms',
    group: 'retention',
    env: 'SEALROOM_MAX_FORGOTTEN_ROOMS',
    kind: 'count',
    fallback: String(DEFAULT_RETENTION.maxForgottenRooms),
    help: 'Forgotten room ids remembered at once; past it the oldest memory goes first.',
    apply: retain('maxForgottenRooms'),
  },
];
