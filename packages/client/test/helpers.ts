/**
 * Shared fixtures for the client's integration tests: real relays, personas whose RSA keys
 * are generated once per test file (about a second each) and re-imported into fresh
 * clients from a backup, and a bounded poll for asynchronous conditions.
 */
import WebSocket from 'ws';
import { createMemoryStorage, createSealroomClient, type Clock, type ClientEvent, type SealroomClient, type TextMessage, type TimelineItem, type WebSocketConstructor } from '../src/index.js';

/** PBKDF2 iterations for test identities only (the shipped default is 600,000). */
export const TEST_PBKDF2_ITERATIONS = 1_000;
export const PASSWORD = 'correct horse battery staple';
/** Fast reconnects keep restart tests short. */
export const TEST_RECONNECT = { baseDelayMs: 50, maxDelayMs: 500 };
export const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;

/**
 * Generates one identity per name and returns its backup bytes. `displayNames` lets two
 * personas (an impostor, say) present the same display name.
 */
export async function makePersonas(relayUrl: string, names: string[], displayNames: Record<string, string> = {}): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  await Promise.all(
    names.map(async (name) => {
      const client = createSealroomClient({ relayUrl, storage: createMemoryStorage(), WebSocket: NodeWebSocket, dangerousTestOnlyPbkdf2Iterations: TEST_PBKDF2_ITERATIONS });
      await client.createIdentity({ displayName: displayNames[name] ?? name, password: PASSWORD });
      out.set(name, await client.exportBackup(PASSWORD));
      await client.close();
    }),
  );
  return out;
}

export interface TestClient {
  client: SealroomClient;
  events: ClientEvent[];
  name: string;
}

export async function clientFor(relayUrl: string, name: string, backup: Uint8Array, storage = createMemoryStorage()): Promise<TestClient> {
  const client = createSealroomClient({
    relayUrl,
    storage,
    WebSocket: NodeWebSocket,
    dangerousTestOnlyPbkdf2Iterations: TEST_PBKDF2_ITERATIONS,
    reconnect: TEST_RECONNECT,
  });
  const events: ClientEvent[] = [];
  client.onEvent((event) => events.push(event));
  if ((await client.identityState()) === 'none') await client.importBackup(backup, PASSWORD);
  else await client.unlock(PASSWORD);
  return { client, events, name };
}

/** Polls until `check` is true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function texts(items: TimelineItem[]): TextMessage[] {
  return items.filter((item): item is TextMessage => item.kind === 'text');
}

export function receivedTexts(t: TestClient, roomId: string): TextMessage[] {
  return t.events.flatMap((e) => (e.type === 'message' && e.roomId === roomId && e.item.kind === 'text' && e.item.state === 'received' ? [e.item] : []));
}

/**
 * A clock that runs in real time and can be moved forward: `advance(ms)` adds to its time
 * and runs at once every timer that falls due. A test skips the waits of recovery (resend,
 * stall) this way instead of sleeping through them, while the network stays real.
 */
export function skippableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; run: () => void; handle: ReturnType<typeof setTimeout> }>();
  const now = () => Date.now() + offset;
  return {
    now,
    setTimeout(run, ms) {
      const id = nextId++;
      const handle = setTimeout(() => {
        timers.delete(id);
        run();
      }, ms);
      timers.set(id, { at: now() + ms, run, handle });
      return id;
    },
    clearTimeout(id) {
      const timer = timers.get(id as number);
      if (timer === undefined) return;
      clearTimeout(timer.handle);
      timers.delete(id as number);
    },
    advance(ms) {
      offset += ms;
      const due = [...timers.entries()].filter(([, timer]) => timer.at <= now()).sort((a, b) => a[1].at - b[1].at);
      for (const [id, timer] of due) {
        clearTimeout(timer.handle);
        timers.delete(id);
        timer.run();
      }
    },
  };
}
