// The offered-rate sweep shared by the fan-out and scale-out sections. Servers take turns
// at every rate, so a change in the machine's background load hits all of them alike; each
// keeps climbing until it is saturated and a further step no longer raises what it delivers.
import { SECOND_MS } from '@sealroom/units';
import type { FanoutProfile } from '../profile.js';
import type { LoadGenerator, RunParams, RunResult } from '../load/generator.js';
import { fmtFixed, fmtInt } from '../report.js';
import { cpuBetween, sampleProcess } from '../proc-stats.js';

/** After a run, servers count as idle once they use less than this share of a core… */
const IDLE_CORE_SHARE = 0.2;
/** …over this interval, ms. */
const IDLE_PROBE_MS = 250;
/** Give up waiting for a backlog to clear after this long, ms. */
const IDLE_WAIT_MAX_MS = 20_000;

/**
 * Waits until the servers have worked off any backlog a run left (their CPU use drops),
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

/** One measured run followed by a wait for the servers to go idle. */
export async function measure(generator: LoadGenerator, profile: FanoutProfile, ratePerConnection: number, pids: number[]): Promise<RunResult> {
  const result = await generator.run(runParams(profile, ratePerConnection, pids));
  await waitForIdle(pids);
  return result;
}

/** A step is past saturation when less than this share of offered deliveries arrive in the window. */
const SATURATED_DELIVERED_RATIO = 0.95;
/** …or more than this share of sends found the socket's buffer full… */
const SATURATED_SKIPPED_RATIO = 0.01;
/** …or the median delivery waits this long: queues are growing, not the load being carried, ms. */
const SATURATED_P50_MS = 50;
/** Past saturation, a step must deliver this much more than the best so far to count as progress… */
const PLATEAU_GAIN = 1.05;
/** …and a server stops climbing after this many saturated steps in a row without progress (one could be a burst of background load)… */
const PLATEAU_PATIENCE = 2;
/**
 * …or once the offered load is this many times the most it has delivered: deeper overload
 * only measures how queues behave (and takes long to drain), not what the server carries.
 */
const MAX_OVERLOAD = 2;

export type SweepStep = RunResult & { ratePerConnection: number; saturated: boolean };

export interface SweepSubject {
  label: string;
  generator: LoadGenerator;
  /** Server processes whose CPU is charged to this subject. */
  pids: number[];
  sweep: SweepStep[];
  /** Offered rate (per connection) of the step that delivered the most. */
  peakRate: number;
  reachedSaturation: boolean;
}

export function isSaturated(result: RunResult): boolean {
  return (
    result.deliveredRatio < SATURATED_DELIVERED_RATIO ||
    result.skippedRatio > SATURATED_SKIPPED_RATIO ||
    !(result.p50Ms <= SATURATED_P50_MS)
  );
}

export function runParams(profile: FanoutProfile, ratePerConnection: number, serverPids: number[]): RunParams {
  return {
    ratePerConnection,
    warmupMs: profile.warmupMs,
    measureMs: profile.measureMs,
    drainQuietMs: profile.drainQuietMs,
    drainMaxMs: profile.drainMaxMs,
    serverPids,
  };
}

export async function sweepInterleaved(subjects: SweepSubject[], profile: FanoutProfile, log: (line: string) => void, prefix: string): Promise<void> {
  const active = new Set(subjects);
  const stalled = new Map<SweepSubject, number>();
  let rate = profile.startRate;
  for (let step = 0; step < profile.maxSteps && active.size > 0; step += 1) {
    for (const subject of subjects) {
      if (!active.has(subject)) continue;
      const best = Math.max(0, ...subject.sweep.map((done) => done.deliveredPerSec));
      const result = await measure(subject.generator, profile, rate, subject.pids);
      const saturated = isSaturated(result);
      subject.sweep.push({ ...result, ratePerConnection: rate, saturated });
      if (result.deliveredPerSec > best) subject.peakRate = rate;
      log(
        `${prefix} ${subject.label}: ${fmtInt(result.offeredPerSec)} offered → ${fmtInt(result.deliveredPerSec)} delivered/s, p50 ${fmtFixed(result.p50Ms)} ms${saturated ? ' (saturated)' : ''}${result.drained ? '' : ' (backlog not drained)'}`,
      );
      if (saturated) subject.reachedSaturation = true;
      const stall = saturated && result.deliveredPerSec < best * PLATEAU_GAIN ? (stalled.get(subject) ?? 0) + 1 : 0;
      stalled.set(subject, stall);
      const bestNow = Math.max(best, result.deliveredPerSec);
      if (stall >= PLATEAU_PATIENCE || (saturated && result.offeredPerSec >= MAX_OVERLOAD * bestNow)) active.delete(subject);
    }
    rate *= profile.stepFactor;
  }
}

/** The most a subject delivered in any sweep step. */
export function sweepPeak(subject: SweepSubject): number {
  return Math.max(...subject.sweep.map((step) => step.deliveredPerSec));
}
