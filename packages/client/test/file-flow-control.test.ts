/**
 * The sender's end-to-end window (file-flow-control.ts) as a pure function of the
 * receivers' reports and the time: who still paces, and how long the sender waits.
 */
import { describe, expect, it } from 'vitest';
import { LAGGARD_MIN_SILENCE_MS, LAGGARD_SILENT_INTERVALS, RECEIVER_STALL_MS, RECEIVER_WINDOW_CHUNKS, windowWaitMs } from '../src/file-flow-control.js';

const CHUNKS = 1000;
const T0 = 1_000_000;
const W = RECEIVER_WINDOW_CHUNKS;

describe('windowWaitMs', () => {
  it('sends within the slowest receiver’s window, waits beyond it', () => {
    const receivers = [
      { next: 10, at: T0 },
      { next: 40, at: T0 },
    ];
    expect(windowWaitMs(receivers, 10 + W - 1, CHUNKS, T0)).toBe(0);
    expect(windowWaitMs(receivers, 10 + W, CHUNKS, T0)).toBe(RECEIVER_STALL_MS);
  });

  it('a lone silent receiver paces until the stall timeout, then not at all', () => {
    const alone = [{ next: 10, at: T0, interval: 100 }];
    expect(windowWaitMs(alone, 10 + W, CHUNKS, T0 + RECEIVER_STALL_MS - 1)).toBe(1);
    expect(windowWaitMs(alone, 10 + W, CHUNKS, T0 + RECEIVER_STALL_MS)).toBe(0);
  });

  it('a receiver behind another stops pacing after its own report intervals of silence, never before the floor', () => {
    const interval = 1_000;
    const silence = LAGGARD_SILENT_INTERVALS * interval;
    const receivers = [
      { next: 10, at: T0, interval },
      { next: 10 + W, at: T0 + silence },
    ];
    expect(windowWaitMs(receivers, 10 + W, CHUNKS, T0 + silence - 1)).toBe(1);
    expect(windowWaitMs(receivers, 10 + W, CHUNKS, T0 + silence)).toBe(0);
    const quick = [
      { next: 10, at: T0, interval: 1 },
      { next: 10 + W, at: T0 },
    ];
    expect(windowWaitMs(quick, 10 + W, CHUNKS, T0 + LAGGARD_MIN_SILENCE_MS - 1)).toBe(1);
    expect(windowWaitMs(quick, 10 + W, CHUNKS, T0 + LAGGARD_MIN_SILENCE_MS)).toBe(0);
  });

  it('a slow receiver that keeps reporting keeps pacing, however far the others are ahead', () => {
    const receivers = [
      { next: 10, at: T0, interval: 5_000 },
      { next: 10 + W, at: T0 },
    ];
    expect(windowWaitMs(receivers, 10 + W, CHUNKS, T0 + 4_999)).toBeGreaterThan(0);
  });

  it('a receiver whose first report has not come keeps the full stall timeout', () => {
    const receivers = [
      { next: 0, at: T0 },
      { next: W, at: T0 },
    ];
    expect(windowWaitMs(receivers, W, CHUNKS, T0 + LAGGARD_MIN_SILENCE_MS * 5)).toBeGreaterThan(0);
  });

  it('a receiver that has every chunk no longer paces', () => {
    expect(windowWaitMs([{ next: CHUNKS, at: T0 }], CHUNKS + W, CHUNKS, T0)).toBe(0);
  });
});
