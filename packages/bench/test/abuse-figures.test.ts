// How the abuse run judges honest p99 (issue 14): phases pooled, calm drift beside it.
import { describe, expect, it } from 'vitest';
import { calmDrift, pooledP99, pooledRatios } from '../src/hardening/abuse-figures.js';

/** `count` latencies of `ms` each. */
const flat = (count: number, ms: number): number[] => Array<number>(count).fill(ms);

describe('abuse figures', () => {
  it('takes the p99 of the phases together, not the mean of their p99s', () => {
    // One phase with a slow tail of 2 % and one without: pooled, 1 % of all is slow.
    const tailed = { phase: 'a', latenciesMs: [...flat(98, 1), ...flat(2, 50)] };
    const clean = { phase: 'a', latenciesMs: flat(100, 1) };
    expect(pooledP99([tailed])).toBeCloseTo(50);
    expect(pooledP99([tailed, clean])).toBeLessThan(50);
    expect(pooledP99([tailed, clean])).toBeGreaterThan(1);
  });

  it('divides each scenario by every calm phase pooled, wherever in the run they came', () => {
    const calm = [
      { phase: 'calm', latenciesMs: flat(100, 2) },
      { phase: 'calm again', latenciesMs: flat(100, 4) },
    ];
    const abused = [
      { phase: 'flood', latenciesMs: flat(100, 6) },
      { phase: 'flood', latenciesMs: flat(100, 6) },
      { phase: 'churn', latenciesMs: flat(100, 3) },
    ];
    const { calmP99Ms, ratios } = pooledRatios(['flood', 'churn'], abused, calm);
    expect(calmP99Ms).toBe(4);
    expect(ratios).toEqual([
      { scenario: 'flood', deliveries: 200, p99Ms: 6, ratio: 1.5 },
      { scenario: 'churn', deliveries: 100, p99Ms: 3, ratio: 0.75 },
    ]);
  });

  it('gives the drift of each calm phase over the one before', () => {
    expect(calmDrift([2, 4, 1])).toEqual([2, 0.25]);
    expect(calmDrift([3])).toEqual([]);
  });
});
