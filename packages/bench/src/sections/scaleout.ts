// Section: the relay over Redis. One fixed offered load, the same for every setup: one
// relay in memory, one relay with Redis, and the load split over 2 and 4 relay processes
// sharing one Redis — with each room whole on one process, and with each room's members
// split across processes (every envelope then crosses Redis to reach part of its room).
// On a 2-core machine several processes cannot show a throughput gain beside their load
// generator, so the figures are CPU: per delivery, per process, and Redis's own per
// envelope (issue 15).
import type { BenchContext } from '../context.js';
import { LoadGenerator, type Placement } from '../load/generator.js';
import { loadAverageNow } from '../machine.js';
import { fmtFixed, fmtInt, fmtRatio, fmtWithSpread, finiteOrUndefined, type SectionResult, type Table, type Verdict } from '../report.js';
import { otherCores, pidCores, stealCores } from '../run-figures.js';
import { redisAvailable, startRedis, startServer, type RunningRedis, type RunningServer } from '../servers.js';
import { chooseStep, type StepRun, type SubjectRuns } from '../starvation.js';
import { median, spread, type Spread } from '../stats.js';
import { atStep, divide } from './round-figures.js';
import { runRounds, type Subject } from './rounds.js';

/** DESIGN.md §5: Redis mode at most 1.5× the relay CPU per delivery of memory mode. */
const TARGET_REDIS_VS_MEMORY = 1.5;
/** Issue 15: at N = 2, each process at most 0.6× the single process's CPU. */
const TARGET_PER_PROCESS_AT_2 = 0.6;
/** DESIGN.md §5: Redis CPU per envelope at most 10 µs. */
const TARGET_REDIS_MICROS_PER_ENVELOPE = 10;
const MICROS_PER_SECOND = 1_000_000;

interface Setup {
  key: string;
  label: string;
  processes: number;
  redis: boolean;
  placement: Placement;
}

function setups(processCounts: number[]): Setup[] {
  const list: Setup[] = [
    { key: 'memory1', label: '1 process, in memory', processes: 1, redis: false, placement: 'whole' },
    { key: 'redis1', label: '1 process + Redis', processes: 1, redis: true, placement: 'whole' },
  ];
  for (const processes of processCounts.filter((count) => count > 1)) {
    list.push(
      { key: `redis${processes}whole`, label: `${processes} processes + Redis, rooms whole`, processes, redis: true, placement: 'whole' },
      { key: `redis${processes}split`, label: `${processes} processes + Redis, rooms split`, processes, redis: true, placement: 'split' },
    );
  }
  return list;
}

/** Run figures of a setup: its pids are its relays, then Redis when it uses it. */
function relayCpuSeconds(run: StepRun, setup: Setup): number {
  return run.cpuSecondsByPid.slice(0, setup.processes).reduce((sum, seconds) => sum + seconds, 0);
}

function delivered(run: StepRun): number {
  return run.deliveredPerSec * run.windowSeconds;
}

function relayMicrosPerDelivery(setup: Setup): (run: StepRun) => number {
  return (run) => (relayCpuSeconds(run, setup) / delivered(run)) * MICROS_PER_SECOND;
}

function allMicrosPerDelivery(run: StepRun): number {
  return (run.serverCpuSeconds / delivered(run)) * MICROS_PER_SECOND;
}

function busiestRelayCores(setup: Setup): (run: StepRun) => number {
  return (run) => Math.max(...Array.from({ length: setup.processes }, (_, index) => pidCores(run, index)));
}

function meanRelayCores(setup: Setup): (run: StepRun) => number {
  return (run) => relayCpuSeconds(run, setup) / setup.processes / run.windowSeconds;
}

function redisCores(setup: Setup): (run: StepRun) => number {
  return (run) => (setup.redis ? pidCores(run, setup.processes) : Number.NaN);
}

function redisMicrosPerEnvelope(setup: Setup): (run: StepRun) => number {
  return (run) =>
    setup.redis ? ((run.cpuSecondsByPid[setup.processes] ?? Number.NaN) / (run.sentPerSec * run.windowSeconds)) * MICROS_PER_SECOND : Number.NaN;
}

function perRound(runs: SubjectRuns, figure: (run: StepRun) => number): number[] {
  return runs.rounds.map((round) => (round[0] ? figure(round[0]) : Number.NaN));
}

export async function runScaleOut(context: BenchContext): Promise<SectionResult> {
  const title = 'Scale-out over Redis';
  if (!context.relay.available) return { name: 'scaleOut', title, status: 'unavailable', reason: `relay: ${context.relay.reason}`, tables: [], verdicts: [] };
  if (context.relay.missingFlags.includes('--redis'))
    return { name: 'scaleOut', title, status: 'unavailable', reason: 'the relay CLI has no --redis flag yet', tables: [], verdicts: [] };
  if (!redisAvailable())
    return { name: 'scaleOut', title, status: 'unavailable', reason: 'redis-server is not installed on this machine', tables: [], verdicts: [] };
  const profile = context.profile.scaleOut;
  const list = setups(profile.processCounts);
  let redis: RunningRedis | undefined;
  try {
    redis = await startRedis();
    const redisUrl = redis.url;
    const redisPid = redis.pid;
    const subjects: Subject[] = list.map((setup) => ({
      key: setup.key,
      label: setup.label,
      open: async () => {
        const relayArgs = [...context.relay.defaultArgs, ...(setup.redis ? ['--redis', redisUrl] : [])];
        const relays: RunningServer[] = [];
        const stopRelays = async () => {
          for (const relay of relays) await relay.stop();
        };
        try {
          // Started side by side; any that did start are stopped if one fails.
          const started = await Promise.allSettled(
            Array.from({ length: setup.processes }, (_, index) => startServer('relay', { relayArgs, label: `${setup.label} #${index + 1}` })),
          );
          for (const outcome of started) if (outcome.status === 'fulfilled') relays.push(outcome.value);
          const failed = started.find((outcome) => outcome.status === 'rejected');
          if (failed) throw failed.reason;
          const generator = await LoadGenerator.open({
            kind: 'relay',
            urls: relays.map((relay) => relay.wsUrl),
            placement: setup.placement,
            connections: profile.connections,
            roomSize: profile.roomSize,
            envelopeBytes: profile.envelopeBytes,
            workers: context.profile.workers,
          });
          return {
            generator,
            pids: [...relays.map((relay) => relay.pid), ...(setup.redis ? [redisPid] : [])],
            close: async () => {
              await generator.close().catch(() => {});
              await stopRelays();
            },
          };
        } catch (error) {
          await stopRelays();
          throw error;
        }
      },
    }));
    const loadStart = loadAverageNow();
    const runs = await runRounds({
      subjects,
      rates: [profile.ratePerConnection],
      rounds: profile.rounds,
      timing: context.profile.timing,
      prefix: 'scale-out',
      log: context.log,
    });
    return buildResult(context, list, runs, { start: loadStart, end: loadAverageNow() });
  } finally {
    await redis?.stop();
  }
}

function offeredPerSec(context: BenchContext): number {
  const profile = context.profile.scaleOut;
  return profile.ratePerConnection * profile.connections * (profile.roomSize - 1);
}

function buildResult(context: BenchContext, list: Setup[], runs: Map<string, SubjectRuns>, loadAverage: { start: number; end: number }): SectionResult {
  const profile = context.profile.scaleOut;
  const load = `${fmtInt(offeredPerSec(context))} deliveries/s`;
  const describeLoad = () => load;
  const byKey = new Map(list.map((setup) => [setup.key, setup]));
  const memory = runs.get('memory1')!;
  const single = runs.get('redis1')!;
  const singleSetup = byKey.get('redis1')!;

  /** A verdict on a ratio over rounds, or "machine starved" when the compared setups' runs cannot carry one. */
  const verdict = (
    key: string,
    figure: string,
    compared: SubjectRuns[],
    values: number[],
    show: (value: Spread) => string,
    target: string,
    met?: (value: number) => boolean,
  ): Verdict => {
    const choice = chooseStep(compared, 0, describeLoad);
    const base = { key: `scaleOut.${key}`, figure, target };
    const value = spread(values);
    const figures = { numeric: value.median, spread: value };
    if ('starved' in choice) return { ...base, value: value.count > 0 ? `${show(value)} (measured, not judged)` : 'n/a', ...figures, starved: choice.starved };
    return { ...base, value: show(value), ...figures, ...(met ? { met: met(value.median) } : {}) };
  };

  const memoryCpu = perRound(memory, relayMicrosPerDelivery(byKey.get('memory1')!));
  const redisCpu = perRound(single, relayMicrosPerDelivery(singleSetup));
  const verdicts: Verdict[] = [
    verdict(
      'redisVsMemoryRelayCpuPerDelivery',
      'Redis mode vs memory: relay CPU per delivery (1 process)',
      [single, memory],
      divide(redisCpu, memoryCpu),
      (value) => `${fmtRatio(value.median)} (${fmtFixed(median(redisCpu), 2)} vs ${fmtFixed(median(memoryCpu), 2)} µs) at ${load}`,
      `≤ ${fmtRatio(TARGET_REDIS_VS_MEMORY)}`,
      (value) => value <= TARGET_REDIS_VS_MEMORY,
    ),
  ];
  const singleCores = perRound(single, busiestRelayCores(singleSetup));
  for (const processes of profile.processCounts.filter((count) => count > 1)) {
    for (const placement of ['split', 'whole'] as const) {
      const key = `redis${processes}${placement}`;
      const setup = byKey.get(key)!;
      const busiest = perRound(runs.get(key)!, busiestRelayCores(setup));
      verdicts.push(
        verdict(
          `perProcessCpuN${processes}${placement === 'split' ? 'Split' : 'Whole'}VsN1`,
          `Busiest relay's CPU at N = ${processes} vs N = 1, rooms ${placement === 'split' ? 'split across processes' : 'whole on one process'}`,
          [single, runs.get(key)!],
          divide(busiest, singleCores),
          (value) => `${fmtRatio(value.median)} (${fmtFixed(median(busiest))} vs ${fmtFixed(median(singleCores))} cores) at ${load}`,
          processes === 2 ? `≤ ${fmtRatio(TARGET_PER_PROCESS_AT_2)} (near 1/N)` : `context (1/N = ${fmtRatio(1 / processes)})`,
          processes === 2 ? (value) => value <= TARGET_PER_PROCESS_AT_2 : undefined,
        ),
      );
    }
  }
  const redisPerEnvelope = perRound(single, redisMicrosPerEnvelope(singleSetup));
  const flat = list
    .filter((setup) => setup.redis)
    .map(
      (setup) =>
        `${setup.processes}${setup.processes > 1 ? (setup.placement === 'split' ? ' split' : ' whole') : ''}: ${fmtFixed(atStep(runs.get(setup.key)!, 0, redisMicrosPerEnvelope(setup)).median, 1)}`,
    );
  verdicts.push(
    verdict(
      'redisCpuMicrosPerEnvelope',
      'Redis CPU per envelope published (1 relay process)',
      [single],
      redisPerEnvelope,
      (value) => `${fmtFixed(value.median, 1)} µs (by processes: ${flat.join(', ')})`,
      `≤ ${TARGET_REDIS_MICROS_PER_ENVELOPE} µs, flat in N`,
      (value) => value <= TARGET_REDIS_MICROS_PER_ENVELOPE,
    ),
  );

  const all = [...runs.values()].flatMap((subject) => subject.rounds.flat()).filter((run): run is StepRun => run !== undefined);
  const table: Table = {
    title: `Scale-out: ${fmtInt(profile.connections)} connections in rooms of ${profile.roomSize}, ${profile.envelopeBytes}-byte envelopes, ${load} offered to every setup`,
    headers: [
      'Setup',
      'Delivered',
      'Relay CPU µs / delivery',
      'Relays + Redis µs / delivery',
      'Busiest relay, cores',
      'Mean relay, cores',
      'Redis, cores',
      'Redis µs / envelope',
      'p50 ms',
      'p99 ms',
      'Note',
    ],
    rows: list.map((setup) => {
      const subject = runs.get(setup.key)!;
      const at = (figure: (run: StepRun) => number, digits = 2) => fmtWithSpread(atStep(subject, 0, figure), (value) => fmtFixed(value, digits));
      const notes = [
        subject.rounds.some((round) => round[0]?.saturated) ? 'saturated' : '',
        subject.rounds.some((round) => round[0]?.machineLimit) ? 'machine-limited' : '',
      ].filter(Boolean);
      return [
        setup.label,
        `${at((run) => run.deliveredRatio * 100, 1)}%`,
        at(relayMicrosPerDelivery(setup)),
        at(allMicrosPerDelivery),
        at(busiestRelayCores(setup)),
        at(meanRelayCores(setup)),
        setup.redis ? at(redisCores(setup)) : '',
        setup.redis ? at(redisMicrosPerEnvelope(setup), 1) : '',
        at((run) => run.p50Ms),
        at((run) => run.p99Ms),
        notes.join(', '),
      ];
    }),
    notes: [
      `Rooms whole: every member of a room talks to the same process, rooms dealt over the processes in turn (each process carries 1/N of the rooms). Rooms split: the members of each room take turns over the processes (rooms of ${profile.roomSize} over 2 processes: 5 + 5; over 4: 3 + 3 + 2 + 2), so every envelope crosses Redis to reach part of its room.`,
      `The relays run at their default limits (${context.relay.defaultArgs.join(' ') || 'no flags'}), sharing one redis-server (no persistence, loopback). "Per process" compares the busiest relay of N with the single relay + Redis at the same load; Redis µs / envelope is redis-server's CPU (all its threads, /proc) over the envelopes published in the window.`,
      `${profile.rounds} round(s), each with fresh relays and connections, setups in an order that rotates per round; ${context.profile.timing.measureMs} ms windows after ${context.profile.timing.warmupMs} ms warm-up; medians with [min–max] over rounds.`,
      `Machine during the windows: other processes used ${fmtFixed(median(all.map(otherCores)))} cores (median), the hypervisor stole ${fmtFixed(median(all.map(stealCores)))}; 1-minute load average ${fmtFixed(loadAverage.start)} before, ${fmtFixed(loadAverage.end)} after.`,
    ],
  };

  const json: Record<string, unknown> = {
    offeredPerSec: offeredPerSec(context),
    connections: profile.connections,
    roomSize: profile.roomSize,
    rounds: profile.rounds,
    loadAverage,
    setups: Object.fromEntries(
      list.map((setup) => {
        const subject = runs.get(setup.key)!;
        const rounds = (figure: (run: StepRun) => number) => perRound(subject, figure).map(finiteOrUndefined);
        return [
          setup.key,
          {
            label: setup.label,
            processes: setup.processes,
            redis: setup.redis,
            placement: setup.placement,
            deliveredRatio: rounds((run) => run.deliveredRatio),
            relayMicrosPerDelivery: rounds(relayMicrosPerDelivery(setup)),
            allMicrosPerDelivery: rounds(allMicrosPerDelivery),
            busiestRelayCores: rounds(busiestRelayCores(setup)),
            meanRelayCores: rounds(meanRelayCores(setup)),
            ...(setup.redis ? { redisCores: rounds(redisCores(setup)), redisMicrosPerEnvelope: rounds(redisMicrosPerEnvelope(setup)) } : {}),
            p50Ms: rounds((run) => run.p50Ms),
            p99Ms: rounds((run) => run.p99Ms),
            saturated: subject.rounds.map((round) => round[0]?.saturated ?? null),
            machineLimit: subject.rounds.map((round) => round[0]?.machineLimit ?? null),
            errors: subject.rounds.map((round) => round[0]?.errors ?? {}),
          },
        ];
      }),
    ),
  };
  return { name: 'scaleOut', title: 'Scale-out over Redis', status: 'ok', tables: [table], verdicts, json };
}
