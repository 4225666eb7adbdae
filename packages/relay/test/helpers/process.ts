import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const START_WAIT_MS = 30_000;

export interface RelayProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly wsUrl: string;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first stderr line from now on that matches (logs are JSON lines). */
  nextStderr(pattern: RegExp): Promise<string>;
}

/** Spawns a relay command and resolves once it prints its listening line. */
export function spawnRelay(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; detached?: boolean; startWaitMs?: number },
): Promise<RelayProcess> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const waiting = new Set<{ pattern: RegExp; resolve: (line: string) => void; reject: (err: Error) => void }>();
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    for (const waiter of waiting) {
      if (!waiter.pattern.test(line)) continue;
      waiting.delete(waiter);
      waiter.resolve(line);
    }
  });
  const nextStderr = (pattern: RegExp): Promise<string> => new Promise((resolve, reject) => waiting.add({ pattern, resolve, reject }));
  // A process that ends while a test waits for its output fails the wait at once, saying how it ended.
  void exited.then(({ code, signal }) => {
    for (const waiter of waiting)
      waiter.reject(new Error(`relay exited (code ${code}, signal ${signal}) before logging ${waiter.pattern}; stderr: ${stderr.join('\n')}`));
    waiting.clear();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`relay did not start within ${options.startWaitMs ?? START_WAIT_MS} ms; stderr: ${stderr.join('\n')}`));
    }, options.startWaitMs ?? START_WAIT_MS);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`relay exited with ${code} before listening; stderr: ${stderr.join('\n')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout.push(line);
      const match = /listening on (\S+) \(WebSocket (\S+)\)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, wsUrl: match[2]!, stdout, stderr, exited, nextStderr });
      }
    });
  });
}
