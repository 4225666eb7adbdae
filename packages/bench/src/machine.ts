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
