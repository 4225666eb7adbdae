// CPU time and memory of a process, read from Linux's /proc so that servers are measured
// apart from the load generator (proc(5): /proc/<pid>/stat fields 14–15, /proc/<pid>/status).
import { readdirSync, readFileSync } from 'node:fs';
import { KIB } from '@sealroom/units';

/** utime and stime are counted in clock ticks; Linux has used 100 per second on every mainstream architecture (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS_PER_SECOND = 100;
/** Positions of utime and stime among the fields after the `(comm)` field, which can contain spaces. */
const UTIME_INDEX_AFTER_COMM = 11;
const STIME_INDEX_AFTER_COMM = 12;

export interface ProcessSample {
  /** User + system CPU seconds since the process started. */
  cpuSeconds: number;
  /** Resident set size now, bytes. */
  rssBytes: number;
  /** Peak resident set size since start (VmHWM), bytes. */
  peakRssBytes: number;
}

export function processAvailable(): boolean {
  try {
    readFileSync('/proc/self/stat', 'utf8');
    return true;
  } catch {
    return false;
  }
}

/** Returns undefined once the process has exited. */
export function sampleProcess(pid: number | 'self'): ProcessSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(afterComm[UTIME_INDEX_AFTER_COMM]) + Number(afterComm[STIME_INDEX_AFTER_COMM]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return {
      cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND,
      rssBytes: statusKb(status, 'VmRSS') * KIB,
      peakRssBytes: statusKb(status, 'VmHWM') * KIB,
    };
  } catch {
    return undefined;
  }
}

function statusKb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : 0;
}

/** CPU seconds a process spent between two samples. */
export function cpuBetween(before: ProcessSample | undefined, after: ProcessSample | undefined): number {
  if (!before || !after) return Number.NaN;
  return after.cpuSeconds - before.cpuSeconds;
}

export interface MachineSample {
  /** CPU seconds all cores spent busy (user, nice, system, irq, softirq) since boot. */
  busySeconds: number;
  /** CPU seconds the hypervisor ran something else while this machine wanted a core (steal). */
  stealSeconds: number;
}

/** Aggregate CPU counters of the whole machine, from the `cpu` line of /proc/stat (proc(5)). */
export function sampleMachine(): MachineSample | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const [label, ...fields] = line.trim().split(/\s+/);
    if (label !== 'cpu') return undefined;
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    const busyTicks = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0);
    return { busySeconds: busyTicks / CLOCK_TICKS_PER_SECOND, stealSeconds: (steal ?? 0) / CLOCK_TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** Busy and steal CPU seconds of the machine between two samples. */
export function machineBetween(before: MachineSample | undefined, after: MachineSample | undefined): MachineSample {
  if (!before || !after) return { busySeconds: Number.NaN, stealSeconds: Number.NaN };
  return { busySeconds: after.busySeconds - before.busySeconds, stealSeconds: after.stealSeconds - before.stealSeconds };
}

/** Field of the parent pid among the fields after `(comm)` in /proc/<pid>/stat. */
const PPID_INDEX_AFTER_COMM = 1;

/** Every live descendant of a process (children, their children…), from /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[PPID_INDEX_AFTER_COMM]);
      children.set(parent, [...(children.get(parent) ?? []), pid]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** CPU seconds of this process and every descendant alive now (servers, browsers, their helpers). */
export function treeCpuSeconds(): number {
  return [process.pid, ...descendants(process.pid)].reduce((sum, pid) => sum + (sampleProcess(pid)?.cpuSeconds ?? 0), 0);
}
