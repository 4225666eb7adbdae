// A Chromium the harness can let go of. Playwright turns on the DevTools Network domain in
// every page it drives, and Chromium then copies every WebSocket frame's payload, base64
// in JSON, to the harness: a 100 MB transfer becomes about 270 MB of DevTools events (the
// sender's frames sent and the receiver's frames received, base64 each), serialised by the
// browser process and parsed by the harness, on the same two cores the pages need. A person's browser does none of that. So the browser file figure
// runs each person in a Chromium of their own, started here with a DevTools port, driven
// by Playwright over CDP for the clicks, and left alone (Playwright disconnected) while
// the file moves; the harness then reads the page's own record with `Runtime.evaluate`
// alone, which enables no domain.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { SECOND_MS } from '@sealroom/units';
import { endsWithHarness } from '../servers.js';

/** How long Chromium may take to print its DevTools address, ms. */
const START_TIMEOUT_MS = 30 * SECOND_MS;
/**
 * The switches Playwright's own headless launch adds (playwright-core's chromiumSwitches)
 * that bear on a page at work, so these pages run as the journey's other pages do.
 */
const HEADLESS_ARGS = [
  '--headless',
  '--hide-scrollbars',
  '--mute-audio',
  '--disable-field-trial-config',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  '--disable-ipc-flooding-protection',
  '--disable-back-forward-cache',
  '--disable-breakpad',
  '--disable-dev-shm-usage',
  '--disable-hang-monitor',
  '--disable-extensions',
  '--disable-features=PaintHolding,MediaRouter,OptimizationHints',
  '--no-default-browser-check',
  '--password-store=basic',
];

export interface UnwatchedChromium {
  /** The browser's DevTools WebSocket address, for `chromium.connectOverCDP`. */
  endpoint: string;
  /** The DevTools HTTP origin (`http://127.0.0.1:port`). */
  origin: string;
  stop(): Promise<void>;
}

/** Starts Chromium with a DevTools port and a fresh profile of its own (removed by `stop`). */
export async function startChromium(executable: string, args: readonly string[]): Promise<UnwatchedChromium> {
  const profile = mkdtempSync(path.join(tmpdir(), 'sealroom-bench-chromium-'));
  // A process group of its own: its helpers (zygote, crash handler) go with it.
  const child: ChildProcess = spawn(executable, [...args, ...HEADLESS_ARGS, '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const exited = endsWithHarness(child, () => process.kill(-child.pid!, 'SIGKILL'));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`Chromium printed no DevTools address in ${START_TIMEOUT_MS / SECOND_MS} s: ${output}`)),
        START_TIMEOUT_MS,
      );
      child.once('exit', (code) => reject(new Error(`Chromium exited (${code}) before listening: ${output}`)));
      child.stderr!.on('data', (data: Buffer) => {
        output += data.toString();
        const found = /DevTools listening on (ws:\/\/\S+)/.exec(output);
        if (found) {
          clearTimeout(timer);
          resolve(found[1]!);
        }
      });
    });
    child.stderr!.resume();
    return { endpoint, origin: new URL(endpoint).origin.replace(/^ws/, 'http'), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

type Send = (method: string, params: Record<string, unknown>) => Promise<Record<string, unknown>>;

/**
 * Runs `use` with a DevTools session of its own on the page whose URL starts with
 * `urlPrefix`: commands only, no domain enabled, so no events flow.
 */
async function withPage<T>(chromium: UnwatchedChromium, urlPrefix: string, use: (send: Send) => Promise<T>): Promise<T> {
  const targets = (await (await fetch(`${chromium.origin}/json/list`)).json()) as { type: string; url: string; webSocketDebuggerUrl: string }[];
  const target = targets.find((candidate) => candidate.type === 'page' && candidate.url.startsWith(urlPrefix));
  if (target === undefined) throw new Error(`no page at ${urlPrefix} in this Chromium`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    let nextId = 0;
    const send: Send = (method, params) =>
      new Promise((resolve, reject) => {
        const id = (nextId += 1);
        const onMessage = (data: WebSocket.RawData) => {
          const reply = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
          if (reply.id !== id) return;
          socket.off('message', onMessage);
          if (reply.error !== undefined) reject(new Error(`${method}: ${reply.error.message}`));
          else resolve(reply.result ?? {});
        };
        socket.on('message', onMessage);
        socket.send(JSON.stringify({ id, method, params }));
      });
    return await use(send);
  } finally {
    socket.close();
  }
}

/** Evaluates `expression` (a JSON-serialisable result) in the page whose URL starts with `urlPrefix`. */
export function evaluateUnwatched<T>(chromium: UnwatchedChromium, urlPrefix: string, expression: string): Promise<T> {
  return withPage(chromium, urlPrefix, async (send) => {
    const { result } = (await send('Runtime.evaluate', { expression, returnByValue: true })) as { result?: { value?: T } };
    return result?.value as T;
  });
}

/**
 * Sets the files of the `<input type="file">` that `selector` finds, as a person picking a file
 * does (Playwright refuses files over 50 MB to a browser it reached over CDP).
 */
export function pickFileUnwatched(chromium: UnwatchedChromium, urlPrefix: string, selector: string, file: string): Promise<void> {
  return withPage(chromium, urlPrefix, async (send) => {
    const { result } = (await send('Runtime.evaluate', { expression: `document.querySelector(${JSON.stringify(selector)})` })) as {
      result?: { objectId?: string };
    };
    if (result?.objectId === undefined) throw new Error(`no element matches ${selector}`);
    await send('DOM.setFileInputFiles', { files: [file], objectId: result.objectId });
  });
}
