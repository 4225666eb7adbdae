import { describe, expect, it } from 'vitest';
import { RelayConnection } from '../src/transport.js';
import type { Clock, ConnectionState, WebSocketLike } from '../src/index.js';

/** A clock whose timers run only when the test says so. */
function manualClock() {
  const timers: { at: number; run: () => void; id: number }[] = [];
  let now = 0;
  let nextId = 1;
  const clock: Clock = {
    now: () => now,
    setTimeout: (run, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, run, id });
      return id;
    },
    clearTimeout: (id) => {
      const index = timers.findIndex((t) => t.id === id);
      if (index >= 0) timers.splice(index, 1);
    },
  };
  const runNext = () => {
    timers.sort((a, b) => a.at - b.at);
    const timer = timers.shift();
    if (timer === undefined) throw new Error('no timer pending');
    now = timer.at;
    timer.run();
  };
  return { clock, runNext, pending: () => timers.length };
}

/** A WebSocket that never connects: each attempt closes at once (relay down). */
class RefusedSocket implements WebSocketLike {
  static attempts = 0;
  binaryType = 'arraybuffer';
  readyState = 3;
  bufferedAmount = 0;
  onopen: WebSocketLike['onopen'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  constructor() {
    RefusedSocket.attempts += 1;
    queueMicrotask(() => this.onclose?.({ code: 1006, reason: '' }));
  }
  send(): void {}
  close(): void {}
}

describe('reconnect backoff', () => {
  it('grows exponentially with full jitter, never below half the base, and is capped', async () => {
    const BASE = 100;
    const CAP = 3_000;
    const { clock, runNext } = manualClock();
    const states: { state: ConnectionState; retryInMs: number | null }[] = [];
    const connection = new RelayConnection({
      url: 'ws://127.0.0.1:9/ws',
      WebSocket: RefusedSocket,
      clock,
      baseDelayMs: BASE,
      maxDelayMs: CAP,
      onState: (state, retryInMs) => states.push({ state, retryInMs }),
      onRelayError: () => {},
    });
    connection.start();
    const ATTEMPTS = 40;
    for (let i = 0; i < ATTEMPTS; i += 1) {
      await Promise.resolve(); // the refused socket closes in a microtask
      runNext();
    }
    connection.close();
    const delays = states.filter((s) => s.state === 'reconnecting' && s.retryInMs !== null).map((s) => s.retryInMs!);
    expect(delays.length).toBeGreaterThanOrEqual(ATTEMPTS - 1);
    delays.forEach((delay, attempt) => {
      expect(delay).toBeGreaterThanOrEqual(BASE / 2);
      expect(delay).toBeLessThanOrEqual(Math.min(CAP, BASE * 2 ** attempt));
    });
    // Jitter: later delays (all under the cap) are not all the same number.
    const capped = delays.slice(10);
    expect(new Set(capped).size).toBeGreaterThan(1);
    expect(Math.max(...capped)).toBeLessThanOrEqual(CAP);
    expect(states.at(-1)?.state).toBe('offline');
    expect(RefusedSocket.attempts).toBeGreaterThanOrEqual(ATTEMPTS);
  });

  it('treats a silent connection (no pong) as dead and reconnects', async () => {
    const { clock, runNext } = manualClock();
    const sent: string[] = [];
    let sockets = 0;
    /** Opens, says hello, then never answers anything: a half-open TCP path. */
    class SilentSocket implements WebSocketLike {
      binaryType = 'arraybuffer';
      readyState = 1;
      bufferedAmount = 0;
      onopen: WebSocketLike['onopen'] = null;
      onclose: WebSocketLike['onclose'] = null;
      onerror: WebSocketLike['onerror'] = null;
      onmessage: WebSocketLike['onmessage'] = null;
      constructor() {
        sockets += 1;
        queueMicrotask(() => this.onmessage?.({ data: JSON.stringify({ v: 2, t: 'hello', limits: { maxFrameBytes: 1 << 20 } }) }));
      }
      send(data: string | ArrayBufferView | ArrayBuffer): void {
        if (typeof data === 'string') sent.push(data);
      }
      close(): void {}
    }
    const states: ConnectionState[] = [];
    const connection = new RelayConnection({
      url: 'ws://127.0.0.1:9/ws',
      WebSocket: SilentSocket,
      clock,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      onState: (state) => states.push(state),
      onRelayError: () => {},
    });
    connection.start();
    await Promise.resolve();
    expect(states.at(-1)).toBe('open');
    runNext(); // keepalive interval: a ping goes out
    expect(sent.some((m) => JSON.parse(m).t === 'ping')).toBe(true);
    runNext(); // no pong before the deadline
    expect(states.at(-1)).toBe('reconnecting');
    runNext(); // the retry
    await Promise.resolve();
    expect(sockets).toBe(2);
    expect(states.at(-1)).toBe('open');
    connection.close();
  });
});
