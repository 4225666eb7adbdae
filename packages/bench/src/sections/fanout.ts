// Section: relay fan-out against three baselines — a bare `ws` broadcast server that
// batches its sends per event-loop turn exactly as the relay does, the same server
// unbatched, and Socket.IO with rooms — at the same fixed offered loads, in rounds. Two
// workloads: 1,000 connections against the relay as shipped (default limits), and 200
// busier connections with the rate limits lifted. The figures and verdicts are built in
// fanout-report.ts.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchContext } from '../context.js';
import { topSelfTime, type CpuProfile } from '../cpu-profile.js';
import type { ServerKind } from '../load/connections.js';
import { LoadGenerator } from '../load/generator.js';
import { loadAverageNow } from '../machine.js';
import { sampleProcess } from '../proc-stats.js';
import type { FanoutWorkload } from '../profile.js';
import { fmtFixed, type SectionResult } from '../report.js';
import { startServer } from '../servers.js';
import type { SubjectRuns } from '../starvation.js';
import { LABELS, type SubjectKey, type WorkloadResult } from './fanout-subjects.js';
import { fanoutSection } from './fanout-report.js';
import { runRounds, type Subject } from './rounds.js';

interface SubjectSpec {
  key: SubjectKey;
  kind: ServerKind;
  serverArgs?: string[];
  relayCli?: string;
}

function subjectSpecs(context: BenchContext): SubjectSpec[] {
  const relay = context.relay.available;
  return [
    ...(relay ? [{ key: 'relay' as const, kind: 'relay' as const }] : []),
    ...(relay && context.relayCandidate ? [{ key: 'relay-candidate' as const, kind: 'relay' as const, relayCli: context.relayCandidate }] : []),
    ...(relay && context.profileRelay ? [{ key: 'relay-profiled' as const, kind: 'relay' as const }] : []),
    { key: 'bare-ws-batched', kind: 'bare-ws', serverArgs: ['--batch'] },
    { key: 'bare-ws', kind: 'bare-ws' },
    { key: 'socket.io', kind: 'socket.io' },
  ];
}

function profileName(workload: FanoutWorkload, round: number): string {
  return `relay-${workload.key}-round${round + 1}.cpuprofile`;
}

async function runWorkload(context: BenchContext, workload: FanoutWorkload): Promise<WorkloadResult> {
  const relayArgs = workload.relayLimits === 'default' ? context.relay.defaultArgs : context.relay.benchArgs;
  const peakRssBytes = new Map<SubjectKey, number[]>();
  const subjects: Subject[] = subjectSpecs(context).map((spec) => ({
    key: spec.key,
    label: LABELS[spec.key],
    open: async (round) => {
      const profiling = spec.key === 'relay-profiled' && context.profileRelay;
      if (profiling) mkdirSync(context.profileRelay!.outDir, { recursive: true });
      const server = await startServer(spec.kind, {
        relayArgs,
        ...(spec.serverArgs ? { serverArgs: spec.serverArgs } : {}),
        ...(spec.relayCli ? { relayCli: spec.relayCli } : {}),
        ...(profiling ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', context.profileRelay!.outDir, '--cpu-prof-name', profileName(workload, round)] } : {}),
      });
      let generator: LoadGenerator;
      try {
        generator = await LoadGenerator.open({
          kind: spec.kind,
          urls: [server.wsUrl],
          connections: workload.connections,
          roomSize: workload.roomSize,
          envelopeBytes: workload.envelopeBytes,
          workers: context.profile.workers,
        });
      } catch (error) {
        await server.stop();
        throw error;
      }
      return {
        generator,
        pids: [server.pid],
        close: async () => {
          const peaks = peakRssBytes.get(spec.key) ?? [];
          peaks.push(sampleProcess(server.pid)?.peakRssBytes ?? Number.NaN);
          peakRssBytes.set(spec.key, peaks);
          await generator.close().catch(() => {});
          await server.stop();
        },
      };
    },
  }));
  const start = loadAverageNow();
  const runs = await runRounds({
    subjects,
    rates: workload.rates,
    rounds: context.profile.fanout.rounds,
    timing: context.profile.timing,
    prefix: `fan-out ${workload.connections}`,
    log: context.log,
  });
  return { workload, relayArgs, runs: runs as Map<SubjectKey, SubjectRuns>, peakRssBytes, loadAverage: { start, end: loadAverageNow() } };
}

export async function runFanout(context: BenchContext): Promise<SectionResult> {
  const results: WorkloadResult[] = [];
  for (const workload of context.profile.fanout.workloads) results.push(await runWorkload(context, workload));
  if (context.profileRelay) for (const workload of context.profile.fanout.workloads) summariseRelayProfile(context, profileName(workload, 0));
  return fanoutSection(context, results);
}

const PROFILE_TOP_FUNCTIONS = 25;

function summariseRelayProfile(context: BenchContext, name: string): void {
  const file = path.join(context.profileRelay!.outDir, name);
  if (!existsSync(file)) {
    context.log(`fan-out: no relay profile at ${file} (the relay did not exit through process.exit?)`);
    return;
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  context.log(`fan-out: relay CPU profile at ${file}; top self time:`);
  for (const entry of topSelfTime(profile, PROFILE_TOP_FUNCTIONS))
    context.log(`  ${fmtFixed(entry.selfMs, 0).padStart(6)} ms ${fmtFixed(entry.share * 100, 1).padStart(5)}%  ${entry.name}`);
}
