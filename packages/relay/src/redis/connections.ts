/**
 * The Redis store's two connections and their health. Commands fail fast while Redis
 * is unreachable (no offline queue, no blind resend of a script whose outcome is
 * unknown), so an append is either acknowledged after Redis accepted it or refused
 * with BACKEND_UNAVAILABLE. The subscriber reconnects with backoff and ioredis's
 * `autoResubscribe` restores its channels.
 */
import { randomInt } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';

/** Stable code of every outage error the store throws; the relay maps it to a wire refusal. */
export const BACKEND_UNAVAILABLE = 'BACKEND_UNAVAILABLE';
type StoreErrorCode = typeof BACKEND_UNAVAILABLE;

export class StoreUnavailableError extends Error {
  readonly code: StoreErrorCode = BACKEND_UNAVAILABLE;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** How long `createRedisStore` waits for the first connection before giving up. */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Reconnect backoff: first delay, doubling per attempt up to the cap, plus jitter. */
const RECONNECT_BASE_MS = 50;
const RECONNECT_CAP_MS = 2_000;
const RECONNECT_JITTER_MS = 100;
/** Attempts past which the backoff stops doubling (it is at the cap long before). */
const RECONNECT_MAX_DOUBLINGS = 16;

export interface ConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  readonly url: string;
  readonly connectTimeoutMs?: number;
  /** Told when the backend goes down or comes back; never given room ids or bytes. */
  readonly onBackendChange?: (up: boolean, detail: string) => void;
  /** Extra ioredis options (tests shorten timeouts here). */
  readonly redisOptions?: Partial<RedisOptions>;
}

function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // Errors from Redis itself (ReplyError: OOM, NOSCRIPT, WRONGTYPE…) are not outages.
  return error.name !== 'ReplyError';
}

export class RedisConnections {
  readonly commands: Redis;
  readonly subscriber: Redis;
  readonly #onBackendChange: ConnectionOptions['onBackendChange'];
  /** Starts false so the first 'ready' of both connections is reported as up. */
  #wasUp = false;
  #closed = false;

  constructor(options: ConnectionOptions) {
    this.#onBackendChange = options.onBackendChange;
    const retryStrategy = (attempt: number): number =>
      Math.min(RECONNECT_BASE_MS * 2 ** Math.min(attempt - 1, RECONNECT_MAX_DOUBLINGS), RECONNECT_CAP_MS) + randomInt(RECONNECT_JITTER_MS);
    const common: RedisOptions = {
      lazyConnect: true,
      retryStrategy,
      connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      ...options.redisOptions,
    };
    this.commands = new Redis(options.url, {
      ...common,
      connectionName: 'sealroom-relay',
      // Fail fast while Redis is away: the relay refuses the publish with a code
      // instead of holding it, and never re-sends a script whose effect is unknown
      // (it may have run; a blind resend would store the envelope twice).
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
    });
    this.subscriber = new Redis(options.url, {
      ...common,
      connectionName: 'sealroom-relay-sub',
      // ioredis re-issues the SUBSCRIBE of this process's channel when the connection comes back
      // (tested against a restarted redis-server; DEPLOYMENT.md §7 says why ioredis).
      autoResubscribe: true,
    });
    for (const connection of [this.commands, this.subscriber]) {
      // Without an 'error' listener ioredis would crash the process on an outage.
      connection.on('error', () => this.#noteBackend());
      connection.on('close', () => this.#noteBackend());
      connection.on('ready', () => this.#noteBackend());
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Both connections are ready. */
  isUp(): boolean {
    return this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  /** Runs a command, turning a lost connection into StoreUnavailableError. */
  async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError('store closed');
    try {
      return await operation();
    } catch (error) {
      if (isConnectionError(error)) {
        throw new StoreUnavailableError(`Redis unavailable: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    }
  }

  /** The first connection of both; rejects with StoreUnavailableError (both closed then). */
  async connect(): Promise<void> {
    try {
      await Promise.all([this.commands.connect(), this.subscriber.connect()]);
    } catch (error) {
      await this.close();
      throw new StoreUnavailableError(`cannot connect to Redis: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(
      [this.commands, this.subscriber].map(async (connection) => {
        if (connection.status === 'ready') {
          await connection.quit().catch(() => connection.disconnect());
        } else {
          connection.disconnect();
        }
      }),
    );
  }

  #noteBackend(): void {
    if (this.#closed) return;
    const up = this.isUp();
    if (up === this.#wasUp) return;
    this.#wasUp = up;
    this.#onBackendChange?.(up, `commands ${this.commands.status}, subscriber ${this.subscriber.status}`);
  }
}
