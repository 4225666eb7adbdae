// The machine a run happened on, for the report: results only compare within one run.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { REPO_ROOT } from './servers.js';

export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  totalMemoryBytes: number;
  node: string;
  os: string;
  loadAverage: number[];
  commit: string;
}

export function machineInfo(): MachineInfo {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.availableParallelism(),
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadAverage: os.loadavg(),
    commit,
  };
}

/** How often the load average is sampled while the suite runs, ms. */
const LOAD_SAMPLE_INTERVAL_MS = 5_000;

export interface LoadAverageSummary {
  /** 1-minute load average when the run started, at its end, and its highest and mean sample in between. */
  start: number;
  end: number;
  max: number;
  mean: number;
  samples: number;
}

/**
 * Samples the 1-minute load average through a run, so the report can say how busy the
 * machine was while it measured (a load average above the core count means processes
 * waited for a CPU).
 */
export class LoadAverageMonitor {
  private readonly values: number[] = [os.loadavg()[0] ?? Number.NaN];
  private readonly timer = setInterval(() => this.values.push(os.loadavg()[0] ?? Number.NaN), LOAD_SAMPLE_INTERVAL_MS);

  constructor() {
    this.timer.unref();
  }

  /** Stops sampling and summarises. */
  stop(): LoadAverageSummary {
    clearInterval(this.timer);
    this.values.push(os.loadavg()[0] ?? Number.NaN);
    return {
      start: this.values[0]!,
      end: this.values.at(-1)!,
      max: Math.max(...this.values),
      mean: this.values.reduce((sum, value) => sum + value, 0) / this.values.length,
      samples: this.values.length,
    };
  }
}

/** The 1-minute load average now. */
export function loadAverageNow(): number {
  return os.loadavg()[0] ?? Number.NaN;
}
