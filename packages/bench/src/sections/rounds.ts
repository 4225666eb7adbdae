// The fixed-load sweep shared by the fan-out and scale-out sections. Every subject (a
// server, or a group of relay processes) is offered the same list of loads, lightest
// first. Subjects take turns at every step, in an order that rotates from round to round,
// so drift in the machine's background load hits all of them alike; each round starts
// fresh processes and connections, so the rounds are independent repeats whose spread
// says how much a figure moved.
import { SECOND_MS } from '@sealroom/units';
import type { LoadGenerator, RunParams, RunResult } from '../load/generator.js';
import { cpuBetween, sampleProcess } from '../proc-stats.js';
import { fmtFixed, fmtInt } from '../report.js';
import { stepRun, type StepRun, type SubjectRuns } from '../starvation.js';

/** After a run, processes count as idle once they use less than this share of a core… */
const IDLE_CORE_SHARE = 0.2;
/** …over this interval, ms. */
const IDLE_PROBE_MS = 250;
/** Give up waiting for a backlog to clear after this long, ms. */
const IDLE_WAIT_MAX_MS = 20_000;
/**
 * A subject that delivered less than this share of the offered load is deep in overload:
 * it skips the round's heavier steps, which would only measure how its queues grow (and
 * take long to drain). The table shows those steps as not run.
 */
const DEEP_OVERLOAD_DELIVERED_RATIO = 0.5;

export interface RunTiming {
  warmupMs: number;
  measureMs: number;
  /** Stop waiting for stragglers after this long without a delivery, ms. */
  drainQuietMs: number;
  drainMaxMs: number;
}

export interface OpenedSubject {
  generator: LoadGenerator;
  /** Processes whose CPU every run reports, in this order (`RunResult.cpuSecondsByPid`). */
  pids: number[];
  close(): Promise<void>;
}

export interface Subject {
  key: string;
  label: string;
  /** Starts fresh processes and connects the load for one round. */
  open(round: number): Promise<OpenedSubject>;
}

export interface RoundsPlan {
  subjects: Subject[];
  /** Offered rate of each step, envelopes per connection per second, lightest first. */
  rates: number[];
  rounds: number;
  timing: RunTiming;
  /** Progress lines start with this. */
  prefix: string;
  log(line: string): void;
}

/**
 * Waits until the processes have worked off any backlog a run left (their CPU use drops),
 * so an overloaded step does not spill into the next measurement. Returns whether they
 * went idle in time.
 */
export async function waitForIdle(pids: number[]): Promise<boolean> {
  // The generator (this process) too: its workers may still be reading a backlog.
  const watched: (number | 'self')[] = [...pids, 'self'];
  const deadline = performance.now() + IDLE_WAIT_MAX_MS;
  while (performance.now() < deadline) {
    const before = watched.map((pid) => sampleProcess(pid));
    await new Promise((resolve) => setTimeout(resolve, IDLE_PROBE_MS));
    const busiest = Math.max(...watched.map((pid, index) => cpuBetween(before[index], sampleProcess(pid)) || 0));
    if (busiest < (IDLE_CORE_SHARE * IDLE_PROBE_MS) / SECOND_MS) return true;
  }
  return false;
}

export function runParams(timing: RunTiming, ratePerConnection: number, serverPids: number[]): RunParams {
  return { ratePerConnection, ...timing, serverPids };
}

/** One measured run followed by a wait for the processes to go idle. */
export async function measure(generator: LoadGenerator, timing: RunTiming, ratePerConnection: number, pids: number[]): Promise<RunResult> {
  const result = await generator.run(runParams(timing, ratePerConnection, pids));
  await waitForIdle(pids);
  return result;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % Math.max(1, items.length);
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/**
 * Runs every subject at every step, round after round; returns each subject's runs by key.
 * Within a round a subject is opened just before its first run (then left to go idle) and
 * closed after its last — early, when it goes deep into overload — so no more processes
 * sit on the machine than the remaining steps need.
 */
export async function runRounds(plan: RoundsPlan): Promise<Map<string, SubjectRuns>> {
  const results = new Map<string, SubjectRuns>(plan.subjects.map((subject) => [subject.key, { label: subject.label, rounds: [] }]));
  for (let round = 0; round < plan.rounds; round += 1) {
    const opened = new Map<Subject, OpenedSubject>();
    const close = async (subject: Subject) => {
      const handle = opened.get(subject);
      opened.delete(subject);
      await handle?.close();
    };
    try {
      const order = rotate(plan.subjects, round);
      const runs = new Map<Subject, (StepRun | undefined)[]>(plan.subjects.map((subject) => [subject, plan.rates.map(() => undefined)]));
      const deepInOverload = new Set<Subject>();
      for (const [step, rate] of plan.rates.entries()) {
        for (const subject of order) {
          if (deepInOverload.has(subject)) continue;
          let handle = opened.get(subject);
          if (!handle) {
            handle = await subject.open(round);
            opened.set(subject, handle);
            await waitForIdle(handle.pids);
          }
          const run = stepRun(await measure(handle.generator, plan.timing, rate, handle.pids), step, rate);
          runs.get(subject)![step] = run;
          plan.log(
            `${plan.prefix} round ${round + 1} ${subject.label}: ${fmtInt(run.offeredPerSec)} offered → ${fmtInt(run.deliveredPerSec)} delivered/s, p50 ${fmtFixed(run.p50Ms)} ms, server ${fmtFixed(run.serverCpuSeconds / run.windowSeconds)} cores${run.saturated ? ' (saturated)' : ''}${run.machineLimit ? ' (machine-limited)' : ''}${run.drained ? '' : ' (backlog not drained)'}`,
          );
          if (run.deliveredRatio < DEEP_OVERLOAD_DELIVERED_RATIO || step === plan.rates.length - 1) {
            if (run.deliveredRatio < DEEP_OVERLOAD_DELIVERED_RATIO) deepInOverload.add(subject);
            await close(subject);
          }
        }
      }
      for (const subject of plan.subjects) results.get(subject.key)!.rounds.push(runs.get(subject)!);
    } finally {
      for (const subject of [...opened.keys()]) await close(subject);
    }
  }
  return results;
}
