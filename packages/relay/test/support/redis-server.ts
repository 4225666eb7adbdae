/**
 * Starts a real `redis-server` for tests: loopback only, a free port, a private temp
 * directory, no persistence unless the test asks for it. Tests that need Redis call
 * `redisAvailability()` first: on a machine without `redis-server` they skip with a loud
 * message, except when `REQUIRE_REDIS=1` (CI), where the absence is a failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REDIS_BINARY = process.env.REDIS_SERVER_BIN ?? 'redis-server';
const LOOPBACK = '127.0.0.1';
/** How long a fresh redis-server may take to accept connections on a busy machine. */
const START_TIMEOUT_MS = 15_000;
/** How long a SIGTERM'd redis-server may take to exit before it is killed. */
const STOP_TIMEOUT_MS = 5_000;
/** Pause between readiness probes while redis-server starts. */
const PROBE_INTERVAL_MS = 25;
/** A port picked by the OS can be taken by someone else before redis binds it. */
const PORT_ATTEMPTS = 5;

export interface RedisAvailability {
  readonly available: boolean;
  readonly reason?: string;
}

let cachedAvailability: RedisAvailability | undefined;

export function redisAvailability(): RedisAvailability {
  if (cachedAvailability) return cachedAvailability;
  const probe = spawnSync(REDIS_BINARY, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const reason = `${REDIS_BINARY} is not runnable (${probe.error?.message ?? `exit ${probe.status}`})`;
    if (process.env.REQUIRE_REDIS === '1') {
      throw new Error(`REQUIRE_REDIS=1 but ${reason}: install redis-server (Debian: apt-get install redis-server).`);
    }
    console.warn(
      `\n${'!'.repeat(78)}\n!! SKIPPING Redis tests: ${reason}.\n!! Install redis-server, or set REQUIRE_REDIS=1 to make this a failure.\n${'!'.repeat(78)}\n`,
    );
    cachedAvailability = { available: false, reason };
  } else {
    cachedAvailability = { available: true };
  }
  return cachedAvailability;
}

export interface RedisServerOptions {
  /** Append-only file with fsync on every write, so a SIGKILL loses nothing acknowledged. */
  readonly appendOnly?: boolean;
  /** Extra `--name value` directives. */
  readonly extraArgs?: readonly string[];
}

export interface RedisServerHandle {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Stops the server (SIGTERM, or SIGKILL when `hard`), keeping its directory. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port and directory (reloads the AOF when enabled). */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('no port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: LOOPBACK, port });
    let answer = '';
    socket.setEncoding('utf8');
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer.includes('\r\n')) {
        socket.destroy();
        // "-LOADING" while an AOF is replayed: not ready yet.
        resolve(answer.startsWith('+PONG'));
      }
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function launch(port: number, dir: string, options: RedisServerOptions): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    LOOPBACK,
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendOnly ? 'yes' : 'no',
    ...(options.appendOnly ? ['--appendfsync', 'always'] : []),
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(REDIS_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output.trim()}`);
    if (await pingOnce(port)) return child;
    await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer within ${START_TIMEOUT_MS} ms: ${output.trim()}`);
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'sealroom-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS && !child; attempt += 1) {
    port = await freePort();
    try {
      child = await launch(port, dir, options);
    } catch (error) {
      lastError = error;
    }
  }
  if (!child) {
    await rm(dir, { recursive: true, force: true });
    throw lastError instanceof Error ? lastError : new Error('redis-server did not start');
  }
  let current: ChildProcess | undefined = child;

  const stop = async (hard = false): Promise<void> => {
    const running = current;
    current = undefined;
    if (!running) return;
    running.kill(hard ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited(running);
    clearTimeout(timer);
  };

  return {
    port,
    url: `redis://${LOOPBACK}:${port}`,
    dir,
    stop,
    async restart() {
      await stop();
      current = await launch(port, dir, options);
    },
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
