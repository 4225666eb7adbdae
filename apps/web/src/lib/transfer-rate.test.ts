import { describe, expect, it } from 'vitest';
import { MIB } from '@sealroom/units';
import { RATE_MIN_SPAN_MS, RATE_WINDOW_MS, addSample, bytesPerSecond, formatRate, type RateSample } from './transfer-rate.js';

const feed = (points: [number, number][]) => points.reduce<RateSample[]>((samples, [atMs, bytes]) => addSample(samples, { atMs, bytes }), []);

describe('transfer rate', () => {
  it('is unknown until progress spans the minimum time', () => {
    expect(bytesPerSecond(feed([[0, 0]]))).toBeNull();
    expect(
      bytesPerSecond(
        feed([
          [0, 0],
          [RATE_MIN_SPAN_MS - 1, MIB],
        ]),
      ),
    ).toBeNull();
    expect(
      bytesPerSecond(
        feed([
          [0, 0],
          [RATE_MIN_SPAN_MS, MIB],
        ]),
      ),
    ).toBe(2 * MIB);
  });

  it('counts only the last window, so it follows a slowdown', () => {
    const samples = feed([
      [0, 0],
      [1_000, 20 * MIB],
      [2_000, 40 * MIB],
      [2_000 + RATE_WINDOW_MS, 41 * MIB],
      [3_000 + RATE_WINDOW_MS, 42 * MIB],
    ]);
    // 20 MiB/s at first; the last window holds only the slow second.
    expect(samples.map((s) => s.atMs)).toEqual([2_000 + RATE_WINDOW_MS, 3_000 + RATE_WINDOW_MS]);
    expect(bytesPerSecond(samples)).toBe(MIB);
  });

  it('starts over when progress goes backwards (a new transfer)', () => {
    expect(
      feed([
        [0, 0],
        [1_000, 10 * MIB],
        [1_100, 0],
      ]),
    ).toEqual([{ atMs: 1_100, bytes: 0 }]);
  });

  it('reads as a size per second', () => {
    expect(formatRate(12 * MIB)).toBe('12 MB/s');
    expect(formatRate(1.5 * 1024)).toBe('1.5 KB/s');
  });
});
