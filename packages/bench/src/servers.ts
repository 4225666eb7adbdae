// Starts each server under test as its own child process (plain `node`, no TypeScript
// loader), so its CPU seconds and RSS are its own and not the load generator's.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ServerKind } from './load/connections.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/**
 * `SEALROOM_BENCH_RELAY_CLI` names another relay entry point to measure (a patched build,
 * an older release) in place of the workspace's; the workspace relay is then not built.
 */
export const RELAY_CLI_OVERRIDE = process.env.SEALROOM_BENCH_RELAY_CLI;
export const RELAY_CLI = RELAY_CLI_OVERRIDE ?? fileURLToPath(new URL('../../relay/bin/sealroom-relay.js', import.meta.url));
export const RELAY_BUILT_ENTRY = RELAY_CLI_OVERRIDE ?? fileURLToPath(new URL('../../relay/dist/cli.js', import.meta.url));
const BARE_WS_SERVER = fileURLToPath(new URL('./servers/bare-ws-server.mjs', import.meta.url));
const SOCKET_IO_SERVER = fileURLToPath(new URL('./servers/socketio-server.mjs', import.meta.url));

export const LOOPBACK_HOST = '127.0.0.1';
/** How long a server may take to start listening, ms. */
const START_TIMEOUT_MS = 20_000;
/** How often readiness of the relay's /healthz is polled while it starts, ms. */
const HEALTH_POLL_MS = 100;
/** How long a server may take to exit after SIGTERM before it is killed, ms. */
const STOP_GRACE_MS = 5_000;

export interface RunningServer {
  kind: ServerKind;
  label: string;
  pid: number;
  port: number;
  /** http:// URL of the server (the relay also serves the web app there). */
  httpUrl: string;
  /** ws:// URL of the WebSocket endpoint. */
  wsUrl: string;
  /** Lines the server wrote to stderr, kept for error reports. */
  stderr(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra CLI flags for the relay (limits raised for the benchmark, Redis URL). */
  relayArgs?: string[];
  /** Flags for `node` itself (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Another relay entry point to run instead of the workspace's (`--compare-relay`). */
  relayCli?: string;
  /** Switches for a baseline server, e.g. `--batch` for the bare `ws` server. */
  serverArgs?: string[];
  label?: string;
}

/** Children still running, each with how to kill it at once. */
const running = new Map<ChildProcess, () => void>();
let exitHookInstalled = false;

/** Children must never outlive the harness, whatever way it ends. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const kill of running.values()) kill();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/**
 * Makes `child` end with the harness, however it ends (`kill`: SIGKILL to the child unless
 * given, e.g. to a process group). Resolves when the child has exited.
 */
export function endsWithHarness(child: ChildProcess, kill: () => void = () => child.kill('SIGKILL')): Promise<void> {
  installExitHook();
  running.set(child, kill);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  return exited;
}

export function relayBuilt(): boolean {
  return existsSync(RELAY_CLI) && existsSync(RELAY_BUILT_ENTRY);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK_HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startServer(kind: ServerKind, options: StartOptions = {}): Promise<RunningServer> {
  let child: ChildProcess;
  let port: number;
  let stderr = '';
  const label = options.label ?? kind;
  if (kind === 'relay') {
    port = await freePort();
    const args = [...(options.nodeArgs ?? []), options.relayCli ?? RELAY_CLI, '--port', String(port), '--host', LOOPBACK_HOST, ...(options.relayArgs ?? [])];
    child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } else {
    const script = kind === 'bare-ws' ? BARE_WS_SERVER : SOCKET_IO_SERVER;
    child = spawn(process.execPath, [script, '--port', '0', '--host', LOOPBACK_HOST, ...(options.serverArgs ?? [])], { stdio: ['pipe', 'pipe', 'pipe'] });
    port = 0;
  }
  const exited = endsWithHarness(child);
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP_CHARS);
  });
  try {
    port = kind === 'relay' ? await waitForHealth(port, exited, () => stderr) : await waitForReadyLine(child, exited, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const wsPath = kind === 'relay' ? '/ws' : '/';
  return {
    kind,
    label,
    pid: child.pid ?? 0,
    port,
    httpUrl: `http://${LOOPBACK_HOST}:${port}`,
    wsUrl: `ws://${LOOPBACK_HOST}:${port}${wsPath}`,
    stderr: () => stderr,
    stop: () => stopChild(child, exited),
  };
}

/** Characters of a server's stderr kept for error messages. */
const STDERR_KEEP_CHARS = 4_000;

/** Asks a child to exit and kills it if it has not after STOP_GRACE_MS; resolves once it is gone. */
async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

function waitForReadyLine(child: ChildProcess, exited: Promise<void>, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`server did not start within ${START_TIMEOUT_MS} ms: ${stderr()}`)), START_TIMEOUT_MS);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited while starting: ${stderr()}`));
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk;
      const line = buffered.split('\n').find((candidate) => candidate.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      const parsed = JSON.parse(line) as { port?: number };
      resolve(Number(parsed.port));
    });
  });
}

async function waitForHealth(port: number, exited: Promise<void>, stderr: () => string): Promise<number> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`relay exited while starting: ${stderr()}`);
    try {
      const response = await fetch(`http://${LOOPBACK_HOST}:${port}/healthz`);
      if (response.ok) return port;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, HEALTH_POLL_MS));
  }
  throw new Error(`relay did not answer /healthz within ${START_TIMEOUT_MS} ms: ${stderr()}`);
}

export interface RunningRedis {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

/** A throwaway redis-server on a free loopback port: no persistence, gone when stopped. */
export async function startRedis(): Promise<RunningRedis> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', LOOPBACK_HOST, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = endsWithHarness(child);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms: ${output}`)), START_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      output = (output + chunk).slice(-STDERR_KEEP_CHARS);
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`redis-server exited while starting: ${output}`)));
  });
  return {
    pid: child.pid ?? 0,
    url: `redis://${LOOPBACK_HOST}:${port}`,
    stop: () => stopChild(child, exited),
  };
}

export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}
