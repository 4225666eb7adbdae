// Figures read across rounds: one subject's figure at one step, its saturation throughput,
// and how many rounds a condition held in. Shared by the fan-out and scale-out reports.
import type { StepRun, SubjectRuns } from '../starvation.js';
import { spread, type Spread } from '../stats.js';

/** A figure of one subject at one step, over the rounds that ran the step. */
export function atStep(runs: SubjectRuns, step: number, figure: (run: StepRun) => number): Spread {
  return spread(runs.rounds.map((round) => round[step]).flatMap((run) => (run ? [figure(run)] : [])));
}

/** In how many rounds a step was run and met `condition`; `of` counts every round. */
export function roundsWhere(runs: SubjectRuns, step: number, condition: (run: StepRun | undefined) => boolean): { count: number; of: number } {
  return { count: runs.rounds.filter((round) => condition(round[step])).length, of: runs.rounds.length };
}

export interface Saturation {
  /** Most deliveries/s in any step, per round, summarised over rounds. */
  deliveredPerSec: Spread;
  /** Per round: the most deliveries/s in any step. */
  perRound: number[];
  /** Rounds in which some step saturated the subject; in the others the figure is a lower bound. */
  saturatedRounds: number;
  /** Rounds whose best step had the machine, not the server, set the pace. */
  machineLimitedRounds: number;
}

/** The most a subject delivered over the common steps, round by round. */
export function saturation(runs: SubjectRuns): Saturation {
  const best = runs.rounds.map((round) => {
    const ran = round.filter((run): run is StepRun => run !== undefined);
    const top = ran.reduce<StepRun | undefined>((a, b) => (a && a.deliveredPerSec >= b.deliveredPerSec ? a : b), undefined);
    return { top, saturated: ran.some((run) => run.saturated) };
  });
  const perRound = best.map(({ top }) => top?.deliveredPerSec ?? Number.NaN);
  return {
    deliveredPerSec: spread(perRound),
    perRound,
    saturatedRounds: best.filter(({ saturated }) => saturated).length,
    machineLimitedRounds: best.filter(({ top }) => top?.machineLimit !== undefined).length,
  };
}

/** Element-wise a / b. */
export function divide(a: readonly number[], b: readonly number[]): number[] {
  return a.map((value, index) => value / (b[index] ?? Number.NaN));
}
