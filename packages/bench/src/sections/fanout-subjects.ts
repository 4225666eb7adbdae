// The fan-out section's subjects and what a workload's measurement hands to its report.
import type { FanoutWorkload } from '../profile.js';
import type { SubjectRuns } from '../starvation.js';

/** A server under test: a server kind, one of its variants, or the relay of `--compare-relay`. */
export type SubjectKey = 'relay' | 'relay-candidate' | 'relay-profiled' | 'bare-ws-batched' | 'bare-ws' | 'socket.io';

export const LABELS: Record<SubjectKey, string> = {
  relay: 'Sealroom relay',
  'relay-candidate': 'relay candidate (--compare-relay)',
  'relay-profiled': 'relay under --cpu-prof (not compared)',
  'bare-ws-batched': 'bare ws, batched as the relay',
  'bare-ws': 'bare ws, unbatched',
  'socket.io': 'Socket.IO rooms',
};

export interface WorkloadResult {
  workload: FanoutWorkload;
  /** The relay's command-line flags in this workload. */
  relayArgs: string[];
  runs: Map<SubjectKey, SubjectRuns>;
  /** Peak RSS of each subject's server, one per round. */
  peakRssBytes: Map<SubjectKey, number[]>;
  /** 1-minute load average before and after the workload. */
  loadAverage: { start: number; end: number };
}
