import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MIB } from '@sealroom/units';
import type { Connection } from '../src/connection.js';
import { ErrorCode } from '../src/errors.js';
import { createLogger } from '../src/log.js';
import { RelayCounters } from '../src/metrics.js';
import { Outbound } from '../src/outbound.js';
import { TokenBuckets } from '../src/rate-limit.js';
import { MAX_PAUSE_MS, ReadPause } from '../src/read-pause.js';

function harness() {
  const events: string[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const pause = new ReadPause<string>({
    pause: (conn) => events.push(`pause ${conn}`),
    resume: (conn) => events.push(`resume ${conn}`),
    setTimer: (fn, ms) => timers.push({ fn, ms }),
  });
  return { pause, events, timers };
}

describe('ReadPause: not reading a connection for a moment after RATE_LIMITED', () => {
  it('pauses until the bucket allows a message again, then resumes', () => {
    const { pause, events, timers } = harness();
    pause.afterRefusal('a', 4.2);
    expect(events).toEqual(['pause a']);
    expect(timers.map((t) => t.ms)).toEqual([5]);
    timers[0]!.fn();
    expect(events).toEqual(['pause a', 'resume a']);
    expect(pause.size).toBe(0);
  });

  it('caps a long wait at MAX_PAUSE_MS and never pauses for less than a millisecond', () => {
    const { pause, timers } = harness();
    pause.afterRefusal('slow', 60_000);
    pause.afterRefusal('soon', 0);
    expect(timers.map((t) => t.ms)).toEqual([MAX_PAUSE_MS, 1]);
  });

  it('does not stack pauses: refusals of frames read while paused add no timer', () => {
    const { pause, events, timers } = harness();
    pause.afterRefusal('a', 5);
    pause.afterRefusal('a', 5);
    pause.afterRefusal('b', 5);
    expect(events).toEqual(['pause a', 'pause b']);
    expect(timers).toHaveLength(2);
    timers[0]!.fn();
    // Paused again after the resume: a new refusal is a new pause.
    pause.afterRefusal('a', 5);
    expect(events).toEqual(['pause a', 'pause b', 'resume a', 'pause a']);
  });
});

describe('TokenBuckets.msUntilAllowed', () => {
  const budget = { messagesPerSecond: 200, messageBurst: 2, bytesPerSecond: 1000, byteBurst: 4000 };

  it('is 0 while a message fits, then the time until the emptier bucket holds it', () => {
    const buckets = new TokenBuckets(budget, 0);
    expect(buckets.msUntilAllowed(budget, 10)).toBe(0);
    expect(buckets.take(budget, 10, 0)).toBe(true);
    expect(buckets.take(budget, 10, 0)).toBe(true);
    expect(buckets.take(budget, 10, 0)).toBe(false);
    // No message left: one refills in 1/200 s.
    expect(buckets.msUntilAllowed(budget, 10)).toBe(5);
    // 3,980 bytes left: 3,990 more need 10 bytes at 1,000/s, and the message 5 ms.
    expect(buckets.msUntilAllowed(budget, 3_990)).toBe(10);
    // Never more than the burst is waited for (a larger message is refused however long it waits).
    expect(buckets.msUntilAllowed(budget, 1_000_000)).toBe(20);
  });
});

describe('Outbound: refusals that say when to ask again pause reading', () => {
  it('tells the pause of HISTORY_LIMITED and REGISTRATION_LIMITED with their retryAfterMs, and of no other refusal', () => {
    const sent: string[] = [];
    const ws = { readyState: WebSocket.OPEN, bufferedAmount: 0, _socket: null, send: (data: string) => sent.push(data) };
    const conn = { ws, address: '127.0.0.1' } as unknown as Connection;
    const told: number[] = [];
    const out = new Outbound(
      { maxBufferedBytes: MIB },
      new RelayCounters(),
      createLogger('silent', () => undefined),
      (_conn, ms) => told.push(ms),
    );
    out.error(conn, ErrorCode.HISTORY_LIMITED, 'spent', 'room', undefined, 250);
    out.error(conn, ErrorCode.REGISTRATION_LIMITED, 'spent', 'room', undefined, 1_000);
    out.error(conn, ErrorCode.NOT_JOINED, 'not in this room', 'room');
    out.error(conn, ErrorCode.BAD_MESSAGE, 'bad');
    expect(told).toEqual([250, 1_000]);
    // Every refusal is still answered.
    expect(sent.map((text) => (JSON.parse(text) as { code: string }).code)).toEqual(['HISTORY_LIMITED', 'REGISTRATION_LIMITED', 'NOT_JOINED', 'BAD_MESSAGE']);
  });
});
