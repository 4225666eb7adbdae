/**
 * The relay's command-line flags, in `--help` order: each flag, its environment twin and its
 * default. The network, TLS, storage, scale-out and logging flags are here; the limit and
 * retention flags are in cli-limit-flags.ts, what a flag is in cli-flag.ts, and how each
 * kind of value is read (sizes with KiB/MiB/GiB suffixes, durations with ms/s/m/h/d) in
 * cli-values.ts.
 */
import { DEFAULT_HOST, DEFAULT_PORT, DEFAULT_STORAGE, type RelayOptions, type SyncMode } from './options.js';
import type { Flag } from './cli-flag.js';
import { LIMIT_FLAGS } from './cli-limit-flags.js';
import { duration } from './cli-values.js';

/**
 * Where the durable store keeps its database when neither `--data-dir` nor `--memory` (nor
 * `--redis`) is given: a directory beside where the relay was started, plain to see and to
 * back up, rather than one hidden in a home directory. The container image and the systemd
 * unit name their own (/data, /var/lib/sealroom-relay).
 */
export const DEFAULT_DATA_DIR = 'sealroom-data';

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
    name: 'batch-delay',
    group: 'storage',
    env: 'SEALROOM_BATCH_DELAY',
    kind: 'delay',
    fallback: duration(DEFAULT_STORAGE.batchDelayMs),
    help: 'How long a message may wait for others to share its write (a commit of the durable store, a call to Redis). Longer saves CPU per message and adds that much latency; 0 writes at the end of each event-loop turn.',
    apply: (o, v: number) => (o.storage = { ...o.storage, batchDelayMs: v }),
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
  ...LIMIT_FLAGS,
];
