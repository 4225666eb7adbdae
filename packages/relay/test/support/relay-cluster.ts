/**
 * Real relay processes (the CLI, from the TypeScript sources through tsx) sharing one
 * redis-server, for the scale-out fault tests. Each process can be SIGKILLed; `stopAll`
 * ends whatever a test left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI_SOURCE = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
/** How long a relay process may take to print its listening line on a busy machine. */
const RELAY_START_TIMEOUT_MS = 30_000;
const POLL_MS = 20;

export interface RelayChild {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly output: () => string;
}

const running = new Set<RelayChild>();

/** Starts one relay process with `--redis <url>` (through its environment twin) and waits until it listens. */
export async function startRelayChild(redisUrl: string, extraArgs: readonly string[] = []): Promise<RelayChild> {
  const args = [
    '--import',
    'tsx',
    '-e',
    `import(${JSON.stringify(CLI_SOURCE)}).then((cli) => cli.main(process.argv.slice(1)))`,
    '--',
    '--port',
    '0',
    '--log-level',
    process.env.RELAY_TEST_LOGS ? 'debug' : 'warn',
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, { env: { ...process.env, SEALROOM_REDIS_URL: redisUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    if (process.env.RELAY_TEST_LOGS) process.stderr.write(chunk);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const deadline = Date.now() + RELAY_START_TIMEOUT_MS;
  for (;;) {
    const match = /listening on (\S+) \(WebSocket (\S+)\)/.exec(output);
    if (match) {
      const relay: RelayChild = { url: match[1]!, wsUrl: match[2]!, port: Number(new URL(match[1]!).port), child, output: () => output };
      running.add(relay);
      return relay;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`relay did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Ends the process with `signal` and waits for it to exit. */
export async function stopRelayChild(relay: RelayChild, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  running.delete(relay);
  if (relay.child.exitCode !== null || relay.child.signalCode !== null) return;
  const exited = new Promise((resolve) => relay.child.once('exit', resolve));
  relay.child.kill(signal);
  await exited;
}

/** SIGKILLs every relay process still running. */
export async function stopAllRelayChildren(): Promise<void> {
  await Promise.all([...running].map((relay) => stopRelayChild(relay, 'SIGKILL')));
}
