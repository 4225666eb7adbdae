// How the abuse run (abuse-test.ts) reads its honest latencies. Issue 14 asks that honest p99
// stay under 2× of calm while the relay is attacked. Each abuse phase's p99 beside the calm
// phase just before it is printed, but at millisecond p99s on a shared 2-core machine one
// calm phase's p99 beside the next calm's moves as far as the goal allows (0.45–2.6× in the
// runs of 2026-12-04), so a pair cannot tell abuse from drift. The judged figure pools
// instead: every honest delivery of every phase of a scenario against every honest delivery
// of every calm phase, with the calm phases' own drift printed beside it as the noise floor.
import { quantileOfSorted } from '../stats.js';

/** Honest deliveries' latencies of one phase, ms. */
export interface PhaseLatencies {
  readonly phase: string;
  readonly latenciesMs: ArrayLike<number>;
}

/** Issue 14: honest p99 under abuse below this multiple of calm. */
export const ABUSE_P99_GOAL = 2;

/** The p99 of all the phases' latencies taken together. */
export function pooledP99(phases: readonly PhaseLatencies[]): number {
  const total = phases.reduce((sum, phase) => sum + phase.latenciesMs.length, 0);
  const all = new Float64Array(total);
  let at = 0;
  for (const phase of phases) {
    all.set(phase.latenciesMs, at);
    at += phase.latenciesMs.length;
  }
  return quantileOfSorted(all.sort(), 0.99);
}

export interface PooledRatio {
  readonly scenario: string;
  readonly deliveries: number;
  readonly p99Ms: number;
  readonly ratio: number;
}

/**
 * For each scenario, the p99 of its phases pooled over `calm`'s pooled p99. `calm` is every
 * phase without abuse, whenever in the run it came.
 */
export function pooledRatios(
  scenarios: readonly string[],
  abused: readonly PhaseLatencies[],
  calm: readonly PhaseLatencies[],
): { calmP99Ms: number; ratios: PooledRatio[] } {
  const calmP99Ms = pooledP99(calm);
  const ratios = scenarios.map((scenario) => {
    const phases = abused.filter((phase) => phase.phase === scenario);
    const p99Ms = pooledP99(phases);
    return { scenario, deliveries: phases.reduce((sum, phase) => sum + phase.latenciesMs.length, 0), p99Ms, ratio: p99Ms / calmP99Ms };
  });
  return { calmP99Ms, ratios };
}

/** Each calm phase's p99 over the calm phase before it: how far p99 moves with no abuse at all. */
export function calmDrift(calmP99sMs: readonly number[]): number[] {
  return calmP99sMs.slice(1).map((p99, index) => p99 / calmP99sMs[index]!);
}
