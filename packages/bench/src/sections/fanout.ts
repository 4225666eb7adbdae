// Section 1: relay fan-out against a bare `ws` broadcast server and a Socket.IO server
// with rooms, same rooms, envelope size and rates for all three.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SECOND_US } from '@sealroom/units';
import type { BenchContext } from '../context.js';
import { topSelfTime, type CpuProfile } from '../cpu-profile.js';
import type { ServerKind } from '../load/connections.js';
import { LoadGenerator, type RunResult } from '../load/generator.js';
import { sampleProcess } from '../proc-stats.js';
import { fmtFixed, fmtInt, fmtMiB, fmtRatio, finiteOrUndefined, type SectionResult, type Table, type Verdict } from '../report.js';
import { startServer, type RunningServer } from '../servers.js';
import { median, ratio } from '../stats.js';
import { measure, sweepInterleaved, sweepPeak, type SweepSubject } from './sweep.js';

/** Targets from DESIGN.md §5. */
const TARGET_THROUGHPUT_VS_BARE = 0.8;
const TARGET_THROUGHPUT_VS_SOCKET_IO = 1.0;
/** "p99 close to bare": read as within 1.5× at half load. */
const TARGET_P99_VS_BARE = 1.5;
/** A generator with twice the workers delivering more than this factor over the bare saturation means the generator, not the server, was the limit. */
const GENERATOR_DOUBLING_TOLERANCE = 1.1;
/** A generator that issued less than this share of its schedule lagged. */
const SCHEDULE_KEPT_MIN = 0.98;

const LABELS: Record<SubjectKey, string> = { relay: 'Sealroom relay', 'relay-candidate': 'relay candidate (--compare-relay)', 'bare-ws': 'bare ws broadcast', 'socket.io': 'Socket.IO rooms' };

/** Row key: a server kind, or the candidate relay of `--compare-relay`. */
type SubjectKey = ServerKind | 'relay-candidate';

interface SubjectSpec {
  key: SubjectKey;
  kind: ServerKind;
  relayCli?: string;
}

interface ServerUnderTest extends SweepSubject, SubjectSpec {
  server: RunningServer;
  saturationSamples: number[];
  half: RunResult[];
  peakRssBytes: number;
}

export async function runFanout(context: BenchContext): Promise<SectionResult> {
  const profile = context.profile.fanout;
  // Socket.IO last in every round: it is the one pushed past its capacity at half load.
  const specs: SubjectSpec[] = [
    ...(context.relay.available ? [{ key: 'relay' as const, kind: 'relay' as const }] : []),
    ...(context.relay.available && context.relayCandidate ? [{ key: 'relay-candidate' as const, kind: 'relay' as const, relayCli: context.relayCandidate }] : []),
    { key: 'bare-ws', kind: 'bare-ws' },
    { key: 'socket.io', kind: 'socket.io' },
  ];
  const fanOut = profile.roomSize - 1;
  const subjects: ServerUnderTest[] = [];
  const startSubject = async (spec: SubjectSpec, sweepPhase: boolean) => {
    const { kind } = spec;
    // Under --profile-relay, the sweep's relay (the one driven to saturation) is profiled.
    const profiling = sweepPhase && spec.key === 'relay' && context.profileRelay;
    if (profiling) mkdirSync(context.profileRelay!.outDir, { recursive: true });
    const server = await startServer(kind, {
      relayArgs: context.relay.benchArgs,
      ...(spec.relayCli ? { relayCli: spec.relayCli } : {}),
      ...(profiling ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', context.profileRelay!.outDir, '--cpu-prof-name', RELAY_PROFILE_NAME] } : {}),
    });
    try {
      const generator = await LoadGenerator.open({
        kind,
        urls: [server.wsUrl],
        connections: profile.connections,
        roomSize: profile.roomSize,
        envelopeBytes: profile.envelopeBytes,
        workers: context.profile.workers,
      });
      return { server, generator };
    } catch (error) {
      await server.stop();
      throw error;
    }
  };
  const stopAll = async () => {
    for (const subject of subjects) {
      subject.peakRssBytes = Math.max(subject.peakRssBytes || 0, sampleProcess(subject.server.pid)?.peakRssBytes ?? 0);
      await subject.generator.close().catch(() => {});
      await subject.server.stop();
    }
  };
  try {
    for (const spec of specs) {
      const { server, generator } = await startSubject(spec, true);
      subjects.push({
        ...spec,
        label: spec.key,
        server,
        generator,
        pids: [server.pid],
        sweep: [],
        peakRate: profile.startRate,
        reachedSaturation: false,
        saturationSamples: [],
        half: [],
        peakRssBytes: Number.NaN,
      });
    }

    await sweepInterleaved(subjects, profile, context.log, 'fan-out');
    for (const subject of subjects) subject.saturationSamples.push(sweepPeak(subject));

    // Fresh processes for what follows: the sweep ends in overload, and whatever state
    // overload leaves behind (buffers, heap) must not colour the half-load latencies.
    await stopAll();
    for (const subject of subjects) {
      const { server, generator } = await startSubject(subject, false);
      Object.assign(subject, { server, generator, pids: [server.pid] });
    }

    // Latency at half of the bare server's saturation: the same offered load for all three.
    const bare = subjects.find((subject) => subject.kind === 'bare-ws')!;
    const bareSaturation = median(bare.saturationSamples);
    const halfRate = bareSaturation / 2 / (profile.connections * fanOut);
    for (let trial = 0; trial < profile.trials; trial += 1) {
      for (const subject of subjects) {
        const result = await measure(subject.generator, profile, halfRate, subject.pids);
        subject.half.push(result);
        context.log(`fan-out ${subject.key} @half: p50 ${fmtFixed(result.p50Ms)} ms, p99 ${fmtFixed(result.p99Ms)} ms, delivered ${fmtFixed(result.deliveredRatio * 100, 1)}%`);
      }
    }

    // Repeats at each server's peak rate, interleaved so drift in the machine's load hits
    // all three alike; the median of these and the sweep's peak is the figure.
    for (let trial = 1; trial < profile.trials; trial += 1) {
      for (const subject of subjects) {
        const result = await measure(subject.generator, profile, subject.peakRate, subject.pids);
        subject.saturationSamples.push(result.deliveredPerSec);
        context.log(`fan-out ${subject.key} repeat at peak rate: ${fmtInt(result.deliveredPerSec)} delivered/s`);
      }
    }

    // Generator check: with twice the worker threads, does the bare server deliver more?
    // Both generators stay connected (the idle one costs next to nothing) and take turns
    // at the bare server's peak rate.
    const doubled = await LoadGenerator.open({
      kind: 'bare-ws',
      urls: [bare.server.wsUrl],
      connections: profile.connections,
      roomSize: profile.roomSize,
      envelopeBytes: profile.envelopeBytes,
      workers: context.profile.workers * 2,
    });
    const normalRuns: RunResult[] = [];
    const doubledRuns: RunResult[] = [];
    try {
      for (let trial = 0; trial < profile.trials; trial += 1) {
        normalRuns.push(await measure(bare.generator, profile, bare.peakRate, bare.pids));
        doubledRuns.push(await measure(doubled, profile, bare.peakRate, bare.pids));
      }
    } finally {
      await doubled.close();
    }
    context.log(`fan-out generator check: ${fmtInt(median(normalRuns.map((run) => run.deliveredPerSec)))} delivered/s with ${context.profile.workers} workers, ${fmtInt(median(doubledRuns.map((run) => run.deliveredPerSec)))} with ${context.profile.workers * 2}`);
    return buildResult(context, subjects, { halfRate, bareSaturation, normalRuns, doubledRuns });
  } finally {
    await stopAll();
    if (context.profileRelay) summariseRelayProfile(context);
  }
}

/** File name of the relay's CPU profile under --profile-relay. */
const RELAY_PROFILE_NAME = 'relay-fanout.cpuprofile';
const PROFILE_TOP_FUNCTIONS = 25;

function summariseRelayProfile(context: BenchContext): void {
  const file = path.join(context.profileRelay!.outDir, RELAY_PROFILE_NAME);
  if (!existsSync(file)) {
    context.log(`fan-out: no relay profile at ${file} (the relay did not exit through process.exit?)`);
    return;
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  context.log(`fan-out: relay CPU profile of the sweep at ${file}; top self time:`);
  for (const entry of topSelfTime(profile, PROFILE_TOP_FUNCTIONS)) context.log(`  ${fmtFixed(entry.selfMs, 0).padStart(6)} ms ${fmtFixed(entry.share * 100, 1).padStart(5)}%  ${entry.name}`);
}

interface Checks {
  halfRate: number;
  bareSaturation: number;
  /** Runs at the bare server's saturation rate with the usual number of generator workers… */
  normalRuns: RunResult[];
  /** …and with twice as many. */
  doubledRuns: RunResult[];
}

function buildResult(context: BenchContext, subjects: ServerUnderTest[], checks: Checks): SectionResult {
  const profile = context.profile.fanout;
  const fanOut = profile.roomSize - 1;
  const summary = (subject: ServerUnderTest) => {
    const half = subject.half;
    const delivered = half.reduce((sum, run) => sum + run.deliveredPerSec * run.windowSeconds, 0);
    const cpu = half.reduce((sum, run) => sum + run.serverCpuSeconds, 0);
    return {
      saturationPerSec: median(subject.saturationSamples),
      reachedSaturation: subject.reachedSaturation,
      p50Ms: median(half.map((run) => run.p50Ms)),
      p99Ms: median(half.map((run) => run.p99Ms)),
      halfLoadDeliveredRatio: median(half.map((run) => run.deliveredRatio)),
      serverCpuSecondsAtHalfLoad: median(half.map((run) => run.serverCpuSeconds)),
      cpuMicrosPerDelivery: (cpu / delivered) * SECOND_US,
      peakRssBytes: subject.peakRssBytes,
      errors: Object.assign({}, ...[...subject.sweep, ...half].map((run) => run.errors)) as Record<string, number>,
    };
  };
  const figures = new Map(subjects.map((subject) => [subject.key, summary(subject)]));
  const relay = figures.get('relay');
  const bare = figures.get('bare-ws')!;
  const socketIo = figures.get('socket.io')!;

  const throughputVsBare = ratio(relay?.saturationPerSec, bare.saturationPerSec);
  const throughputVsSocketIo = ratio(relay?.saturationPerSec, socketIo.saturationPerSec);
  const p99VsBare = ratio(relay?.p99Ms, bare.p99Ms);
  const generatorCores = median(checks.normalRuns.map((run) => run.generatorCpuSeconds / run.windowSeconds));
  const serverCores = median(checks.normalRuns.map((run) => run.serverCpuSeconds / run.windowSeconds));
  const doublingRatio = ratio(median(checks.doubledRuns.map((run) => run.deliveredPerSec)), median(checks.normalRuns.map((run) => run.deliveredPerSec)));
  const scheduleKept = Math.min(...subjects.flatMap((subject) => subject.sweep.filter((step) => !step.saturated).map((step) => step.scheduleKeptRatio)));

  const order: SubjectKey[] = ['relay', 'relay-candidate', 'bare-ws', 'socket.io'];
  const mainTable: Table = {
    title: `Relay fan-out: ${profile.connections} connections in rooms of ${profile.roomSize}, ${profile.envelopeBytes}-byte envelopes`,
    headers: ['Server', 'Deliveries/s at saturation', 'p50 ms @ half load', 'p99 ms @ half load', 'Server CPU s @ half load', 'CPU µs / delivery', 'Peak RSS'],
    rows: order
      .filter((kind) => figures.has(kind))
      .map((kind) => {
        const f = figures.get(kind)!;
        return [
          LABELS[kind],
          `${fmtInt(f.saturationPerSec)}${f.reachedSaturation ? '' : ' (not saturated)'}`,
          fmtFixed(f.p50Ms),
          fmtFixed(f.p99Ms),
          fmtFixed(f.serverCpuSecondsAtHalfLoad),
          fmtFixed(f.cpuMicrosPerDelivery, 1),
          fmtMiB(f.peakRssBytes),
        ];
      }),
    notes: [
      `Half load = ${fmtInt(checks.bareSaturation / 2)} deliveries/s (${fmtFixed(checks.halfRate, 1)} envelopes/s per connection), for every server; ${profile.measureMs} ms windows after ${profile.warmupMs} ms warm-up; medians of ${profile.trials} interleaved trial(s).`,
      `Generator check: at the bare server's saturation the generator used ${fmtFixed(generatorCores)} cores while the server used ${fmtFixed(serverCores)}; with ${context.profile.workers * 2} instead of ${context.profile.workers} worker threads the bare server delivered ${fmtRatio(doublingRatio)} as much (median of ${checks.normalRuns.length} alternating pair(s)); below saturation every worker kept ≥ ${fmtFixed(scheduleKept * 100, 1)}% of its send schedule.`,
      ...(relay && Object.keys(relay.errors).length > 0 ? [`Relay refusals during the run: ${JSON.stringify(relay.errors)}.`] : []),
      ...(context.relay.available ? [] : [`Relay not measured: ${context.relay.reason}.`]),
    ],
  };
  const sweepTable: Table = {
    title: 'Fan-out sweep (offered → delivered per second)',
    headers: ['Server', 'Envelopes/s per connection', 'Offered deliveries/s', 'Delivered/s', 'p50 ms', 'p99 ms', 'Server cores', 'Generator cores'],
    rows: subjects.flatMap((subject) =>
      subject.sweep.map((step) => [
        LABELS[subject.key],
        fmtFixed(step.ratePerConnection, 1),
        fmtInt(step.offeredPerSec),
        `${fmtInt(step.deliveredPerSec)}${step.saturated ? ' (saturated)' : ''}`,
        fmtFixed(step.p50Ms),
        fmtFixed(step.p99Ms),
        fmtFixed(step.serverCpuSeconds / step.windowSeconds),
        fmtFixed(step.generatorCpuSeconds / step.windowSeconds),
      ]),
    ),
  };

  const verdicts: Verdict[] = [];
  if (relay) {
    verdicts.push(
      { figure: 'Relay throughput vs bare ws', value: fmtRatio(throughputVsBare), target: `≥ ${TARGET_THROUGHPUT_VS_BARE}×`, met: throughputVsBare >= TARGET_THROUGHPUT_VS_BARE },
      { figure: 'Relay throughput vs Socket.IO', value: fmtRatio(throughputVsSocketIo), target: `> ${TARGET_THROUGHPUT_VS_SOCKET_IO}× (clearly ahead)`, met: throughputVsSocketIo > TARGET_THROUGHPUT_VS_SOCKET_IO },
      { figure: 'Relay p99 at half load vs bare ws', value: fmtRatio(p99VsBare), target: `close to bare (≤ ${TARGET_P99_VS_BARE}×)`, met: p99VsBare <= TARGET_P99_VS_BARE },
    );
  } else {
    verdicts.push({ figure: 'Relay fan-out', value: 'not available yet', target: 'relay vs bare ws and Socket.IO' });
  }
  if (relay) {
    verdicts.push({ figure: 'Relay CPU per delivery vs bare ws (half load)', value: fmtRatio(ratio(relay.cpuMicrosPerDelivery, bare.cpuMicrosPerDelivery)), target: 'context (noise-resistant cross-check of throughput)' });
  }
  const candidate = figures.get('relay-candidate');
  if (candidate) {
    verdicts.push({
      figure: `Candidate relay (${context.relayCandidate}) throughput vs bare ws`,
      value: `${fmtRatio(ratio(candidate.saturationPerSec, bare.saturationPerSec))}, p99 ${fmtRatio(ratio(candidate.p99Ms, bare.p99Ms))}, CPU/delivery ${fmtRatio(ratio(candidate.cpuMicrosPerDelivery, bare.cpuMicrosPerDelivery))}`,
      target: 'context (--compare-relay)',
    });
  }
  verdicts.push({ figure: 'Bare ws saturation (baseline)', value: `${fmtInt(bare.saturationPerSec)} deliveries/s`, target: 'context' });
  verdicts.push({ figure: 'Socket.IO saturation (baseline)', value: `${fmtInt(socketIo.saturationPerSec)} deliveries/s`, target: 'context' });

  const servers: Record<string, unknown> = {};
  for (const subject of subjects) {
    const f = figures.get(subject.key)!;
    servers[subject.key] = {
      saturationDeliveriesPerSec: finiteOrUndefined(f.saturationPerSec),
      reachedSaturation: f.reachedSaturation,
      saturationSamples: subject.saturationSamples,
      p50Ms: finiteOrUndefined(f.p50Ms),
      p99Ms: finiteOrUndefined(f.p99Ms),
      halfLoadDeliveredRatio: finiteOrUndefined(f.halfLoadDeliveredRatio),
      serverCpuSecondsAtHalfLoad: finiteOrUndefined(f.serverCpuSecondsAtHalfLoad),
      cpuMicrosPerDelivery: finiteOrUndefined(f.cpuMicrosPerDelivery),
      peakRssBytes: finiteOrUndefined(f.peakRssBytes),
      errors: f.errors,
      sweep: subject.sweep.map((step) => ({
        ratePerConnection: step.ratePerConnection,
        offeredPerSec: step.offeredPerSec,
        deliveredPerSec: step.deliveredPerSec,
        p50Ms: finiteOrUndefined(step.p50Ms),
        p99Ms: finiteOrUndefined(step.p99Ms),
        serverCores: step.serverCpuSeconds / step.windowSeconds,
        generatorCores: step.generatorCpuSeconds / step.windowSeconds,
        saturated: step.saturated,
        drained: step.drained,
        skippedRatio: step.skippedRatio,
      })),
    };
  }
  const json: Record<string, unknown> = {
    fanout: {
      connections: profile.connections,
      roomSize: profile.roomSize,
      envelopeBytes: profile.envelopeBytes,
      fanOut,
      halfLoadDeliveriesPerSec: checks.bareSaturation / 2,
      trials: profile.trials,
      servers,
      generatorCheck: {
        workers: context.profile.workers,
        generatorCoresAtBareSaturation: generatorCores,
        serverCoresAtBareSaturation: serverCores,
        doubledWorkersDeliveredRatio: finiteOrUndefined(doublingRatio),
        generatorWasBottleneck: doublingRatio > GENERATOR_DOUBLING_TOLERANCE || scheduleKept < SCHEDULE_KEPT_MIN,
        minScheduleKeptBelowSaturation: finiteOrUndefined(scheduleKept),
      },
    },
  };
  if (relay) {
    Object.assign(json, {
      throughputRatioVsBareWs: finiteOrUndefined(throughputVsBare),
      throughputRatioVsSocketIo: finiteOrUndefined(throughputVsSocketIo),
      p99RatioVsBareWs: finiteOrUndefined(p99VsBare),
      // Less sensitive to a noisy machine than wall-clock saturation: CPU the server spends per delivery.
      cpuPerDeliveryRatioVsBareWs: finiteOrUndefined(ratio(relay.cpuMicrosPerDelivery, bare.cpuMicrosPerDelivery)),
    });
  }
  return { name: 'fanout', jsonKey: 'relay', title: 'Relay fan-out', status: 'ok', tables: [mainTable, sweepTable], verdicts, json };
}
