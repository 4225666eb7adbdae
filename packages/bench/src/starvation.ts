// When a measured run can carry a verdict. A figure compares servers at one offered load;
// it is only worth a verdict if, at that load, every server carried what was offered and
// the load generator — which shares the machine's cores with the servers — kept its
// schedule. Otherwise the machine, not the server, was the limit: the report then says
// "machine starved — no verdict" instead of met or not met (STYLE.md: a benchmark compares
// equals; DESIGN.md §5).
import type { RunResult } from './load/generator.js';

/** What the report prints instead of a verdict when the machine was the limit. */
export const STARVED = 'machine starved — no verdict';

/** A step is past saturation when less than this share of offered deliveries arrive in the window… */
const SATURATED_DELIVERED_RATIO = 0.95;
/** …or more than this share of sends found the socket's buffer full… */
const SATURATED_SKIPPED_RATIO = 0.01;
/** …or the median delivery waits this long: queues are growing, not the load being carried, ms. */
const SATURATED_P50_MS = 50;
/** A generator that issued less than this share of its schedule lagged behind it. */
export const SCHEDULE_KEPT_MIN = 0.98;
/** A worker whose event loop was busy more than this share of the window set the pace itself. */
export const GENERATOR_LOOP_BUSY_MAX = 0.9;
/**
 * Cores other processes (none the harness started) may keep busy during a window before
 * the run no longer compares equals: beside a server and its generator on two cores, more
 * than half a core of someone else's work means the server ran on a crowded machine while
 * the one it is compared with may not have.
 */
export const OTHER_CORES_MAX = 0.5;
/** How many steps below the reference a comparison may fall back to (see `chooseStep`). */
export const MAX_FALLBACK_STEPS = 1;

/** One subject's run at one step of the sweep. */
export interface StepRun extends RunResult {
  /** Index of the step in the workload's list of offered loads. */
  step: number;
  ratePerConnection: number;
  saturated: boolean;
  /** Why the machine — the generator, or other processes — and not the server set the pace; undefined when it did not. */
  machineLimit?: string;
}

/** A subject's runs: `rounds[round][step]`, undefined where the step was not run (past saturation). */
export interface SubjectRuns {
  label: string;
  rounds: (StepRun | undefined)[][];
}

export function isSaturated(result: RunResult): boolean {
  return result.deliveredRatio < SATURATED_DELIVERED_RATIO || result.skippedRatio > SATURATED_SKIPPED_RATIO || !(result.p50Ms <= SATURATED_P50_MS);
}

/**
 * Why the machine, not the server, was the limit of a run — the generator lagged its
 * schedule, a generator worker was saturated, or other processes crowded the cores — or
 * undefined when none of these happened.
 */
export function machineLimit(result: RunResult): string | undefined {
  if (result.scheduleKeptRatio < SCHEDULE_KEPT_MIN)
    return `the generator issued only ${(result.scheduleKeptRatio * 100).toFixed(1)}% of its schedule (achieved offered load below the target)`;
  if (result.generatorLoopUtilisation > GENERATOR_LOOP_BUSY_MAX)
    return `a generator worker's event loop was busy ${(result.generatorLoopUtilisation * 100).toFixed(0)}% of the window (generator CPU saturated)`;
  const others = (result.machineBusySeconds - result.ownCpuSeconds) / result.windowSeconds;
  if (others > OTHER_CORES_MAX) return `other processes kept ${others.toFixed(2)} cores busy during the window`;
  return undefined;
}

export function stepRun(result: RunResult, step: number, ratePerConnection: number): StepRun {
  const limit = machineLimit(result);
  return { ...result, step, ratePerConnection, saturated: isSaturated(result), ...(limit ? { machineLimit: limit } : {}) };
}

/**
 * The whole workload is starved when the first, lightest step already saturated any of its
 * servers, or the machine was the limit there, in any round: every server here carries that
 * load on a quiet machine, so a later comparison would measure the machine.
 */
export function firstStepStarvation(subjects: SubjectRuns[], describeLoad: (step: number) => string): string | undefined {
  for (const subject of subjects) {
    for (const [round, runs] of subject.rounds.entries()) {
      const first = runs[0];
      if (!first) return `${subject.label} did not run the first step (${describeLoad(0)}) in round ${round + 1}`;
      if (first.machineLimit) return `at the first step (${describeLoad(0)}), round ${round + 1}, ${subject.label}: ${first.machineLimit}`;
      if (first.saturated) return `the first step (${describeLoad(0)}) already saturated ${subject.label} in round ${round + 1}`;
    }
  }
  return undefined;
}

/** Why a step cannot be compared for these subjects, or undefined when it can. */
function stepProblem(subjects: SubjectRuns[], step: number): string | undefined {
  for (const subject of subjects) {
    for (const [round, runs] of subject.rounds.entries()) {
      const run = runs[step];
      if (!run) return `${subject.label} did not run it in round ${round + 1} (past saturation)`;
      if (run.machineLimit) return `${subject.label}, round ${round + 1}: ${run.machineLimit}`;
      if (run.saturated) return `${subject.label} was saturated there in round ${round + 1}`;
    }
  }
  return undefined;
}

export type StepChoice = { step: number; /** Why each higher step down from the reference was passed over. */ passedOver: string[] } | { starved: string };

/**
 * The step at which to compare `subjects`: the reference step when every one of them
 * carried it in every round and the machine was not the limit; otherwise the step below
 * (a slower server, Socket.IO, is compared at a load it carries), but no lower — at light
 * loads fixed costs (timers, wake-ups) rather than the cost per delivery decide the figure.
 * No such step, or a starved first step among any of the workload's `everyone`, means no
 * verdict.
 */
export function chooseStep(subjects: SubjectRuns[], reference: number, describeLoad: (step: number) => string, everyone: SubjectRuns[] = subjects): StepChoice {
  const starvedAtFirst = firstStepStarvation(everyone, describeLoad);
  if (starvedAtFirst) return { starved: starvedAtFirst };
  const passedOver: string[] = [];
  for (let step = reference; step >= Math.max(0, reference - MAX_FALLBACK_STEPS); step -= 1) {
    const problem = stepProblem(subjects, step);
    if (!problem) return { step, passedOver };
    passedOver.push(`${describeLoad(step)}: ${problem}`);
  }
  return {
    starved: `neither at ${describeLoad(reference)} nor one step below did every server carry the load with the machine not the limit (${passedOver.join('; ')})`,
  };
}

/** `numerator / denominator` of one figure, round by round, at one step. */
export function ratiosByRound(numerator: SubjectRuns, denominator: SubjectRuns, step: number, figure: (run: StepRun) => number): number[] {
  return numerator.rounds.map((runs, round) => {
    const a = runs[step];
    const b = denominator.rounds[round]?.[step];
    return a && b ? figure(a) / figure(b) : Number.NaN;
  });
}
