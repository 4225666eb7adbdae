// What one measured run says, per figure: CPU per delivery, cores used by the servers, the
// generator and everything else on the machine. The sections read runs only through these.
import { SECOND_US } from '@sealroom/units';
import type { RunResult } from './load/generator.js';

/** µs of server CPU (user + system, every process in `serverPids`) per delivery in the window. */
export function cpuMicrosPerDelivery(run: RunResult): number {
  const delivered = run.deliveredPerSec * run.windowSeconds;
  return delivered > 0 ? (run.serverCpuSeconds / delivered) * SECOND_US : Number.NaN;
}

/** µs of one server process's CPU per delivery in the window. */
export function pidCpuMicrosPerDelivery(run: RunResult, pidIndex: number): number {
  const delivered = run.deliveredPerSec * run.windowSeconds;
  return delivered > 0 ? ((run.cpuSecondsByPid[pidIndex] ?? Number.NaN) / delivered) * SECOND_US : Number.NaN;
}

export function serverCores(run: RunResult): number {
  return run.serverCpuSeconds / run.windowSeconds;
}

export function pidCores(run: RunResult, pidIndex: number): number {
  return (run.cpuSecondsByPid[pidIndex] ?? Number.NaN) / run.windowSeconds;
}

export function generatorCores(run: RunResult): number {
  return run.generatorCpuSeconds / run.windowSeconds;
}

/**
 * Cores busy with other people's work during the window: the machine's busy time minus
 * everything this harness started (generator, servers, idle servers of other subjects).
 * Clock ticks make it ±0.01 s per sample, so small negatives are read as zero.
 */
export function otherCores(run: RunResult): number {
  return Math.max(0, (run.machineBusySeconds - run.ownCpuSeconds) / run.windowSeconds);
}

/** Cores the hypervisor gave to other machines while this one wanted them. */
export function stealCores(run: RunResult): number {
  return run.machineStealSeconds / run.windowSeconds;
}
