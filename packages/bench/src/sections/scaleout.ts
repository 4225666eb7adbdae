// Section 6: relay fan-out with one process against two processes sharing Redis. The
// same rooms and rates as the fan-out section; in the two-process case the members of
// each room alternate between the processes, so every delivery to half the room crosses
// Redis.
import { SECOND_US } from '@sealroom/units';
import type { BenchContext } from '../context.js';
import { LoadGenerator, type RunResult } from '../load/generator.js';
import { fmtFixed, fmtInt, fmtRatio, finiteOrUndefined, type SectionResult, type Table } from '../report.js';
import { redisAvailable, startRedis, startServer, type RunningRedis, type RunningServer } from '../servers.js';
import { median, ratio } from '../stats.js';
import { measure, sweepInterleaved, sweepPeak, type SweepSubject } from './sweep.js';

interface Setup extends SweepSubject {
  key: 'oneProcessMemory' | 'oneProcessRedis' | 'twoProcessesRedis';
  relays: RunningServer[];
  saturationSamples: number[];
  common: RunResult[];
}

export async function runScaleOut(context: BenchContext): Promise<SectionResult> {
  const title = 'Scale-out over Redis';
  if (!context.relay.available) return { name: 'scaleOut', title, status: 'unavailable', reason: `relay: ${context.relay.reason}`, tables: [], verdicts: [] };
  if (context.relay.missingFlags.includes('--redis')) {
    return { name: 'scaleOut', title, status: 'unavailable', reason: 'the relay CLI has no --redis flag yet', tables: [], verdicts: [] };
  }
  if (!redisAvailable()) return { name: 'scaleOut', title, status: 'unavailable', reason: 'redis-server is not installed on this machine', tables: [], verdicts: [] };
  const profile = { ...context.profile.fanout, startRate: context.profile.scaleOut.startRate };
  const fanOut = profile.roomSize - 1;
  let redis: RunningRedis | undefined;
  const setups: Setup[] = [];
  const allRelays: RunningServer[] = [];
  try {
    redis = await startRedis();
    const specs: { key: Setup['key']; label: string; processes: number; redis: boolean }[] = [
      { key: 'oneProcessMemory', label: 'one process, in memory', processes: 1, redis: false },
      { key: 'oneProcessRedis', label: 'one process + Redis', processes: 1, redis: true },
      { key: 'twoProcessesRedis', label: 'two processes + Redis', processes: 2, redis: true },
    ];
    for (const spec of specs) {
      const relays: RunningServer[] = [];
      for (let i = 0; i < spec.processes; i += 1) {
        const relayArgs = [...context.relay.benchArgs, ...(spec.redis ? ['--redis', redis.url] : [])];
        const relay = await startServer('relay', { relayArgs, label: `${spec.label} #${i + 1}` });
        relays.push(relay);
        allRelays.push(relay);
      }
      const generator = await LoadGenerator.open({
        kind: 'relay',
        urls: relays.map((relay) => relay.wsUrl),
        connections: profile.connections,
        roomSize: profile.roomSize,
        envelopeBytes: profile.envelopeBytes,
        workers: context.profile.workers,
      });
      setups.push({
        key: spec.key,
        label: spec.label,
        relays,
        pids: [...relays.map((relay) => relay.pid), ...(spec.redis ? [redis.pid] : [])],
        generator,
        sweep: [],
        peakRate: profile.startRate,
        reachedSaturation: false,
        saturationSamples: [],
        common: [],
      });
    }

    await sweepInterleaved(setups, profile, context.log, 'scale-out');
    for (const setup of setups) setup.saturationSamples.push(sweepPeak(setup));
    // Latency at one common load that every setup carries: half of the lowest saturation.
    // (Half of the in-memory relay's would overload the Redis setups, which saturate lower.)
    const commonPerSec = Math.min(...setups.map((setup) => sweepPeak(setup))) / 2;
    const commonRate = commonPerSec / (profile.connections * fanOut);
    for (let trial = 0; trial < context.profile.scaleOut.trials; trial += 1) {
      for (const setup of setups) setup.common.push(await measure(setup.generator, profile, commonRate, setup.pids));
    }

    for (let trial = 1; trial < context.profile.scaleOut.trials; trial += 1) {
      for (const setup of setups) setup.saturationSamples.push((await measure(setup.generator, profile, setup.peakRate, setup.pids)).deliveredPerSec);
    }
    const figures = setups.map((setup) => {
      const delivered = setup.common.reduce((sum, run) => sum + run.deliveredPerSec * run.windowSeconds, 0);
      const cpu = setup.common.reduce((sum, run) => sum + run.serverCpuSeconds, 0);
      return {
        setup,
        saturation: median(setup.saturationSamples),
        p50: median(setup.common.map((run) => run.p50Ms)),
        p99: median(setup.common.map((run) => run.p99Ms)),
        deliveredRatio: median(setup.common.map((run) => run.deliveredRatio)),
        cpuMicrosPerDelivery: (cpu / delivered) * SECOND_US,
      };
    });
    const byKey = new Map(figures.map((figure) => [figure.setup.key, figure]));
    const twoVsOne = ratio(byKey.get('twoProcessesRedis')?.saturation, byKey.get('oneProcessRedis')?.saturation);
    const table: Table = {
      title: `Scale-out: ${profile.connections} connections in rooms of ${profile.roomSize}, ${profile.envelopeBytes}-byte envelopes`,
      headers: ['Relay', 'Deliveries/s at saturation', `p50 ms @ ${fmtInt(commonPerSec)}/s`, `p99 ms @ ${fmtInt(commonPerSec)}/s`, 'Delivered @ common load', 'Server CPU µs / delivery (relays + Redis)'],
      rows: figures.map((figure) => [
        figure.setup.label,
        `${fmtInt(figure.saturation)}${figure.setup.reachedSaturation ? '' : ' (not saturated)'}`,
        fmtFixed(figure.p50),
        fmtFixed(figure.p99),
        `${fmtFixed(figure.deliveredRatio * 100, 1)}%`,
        fmtFixed(figure.cpuMicrosPerDelivery, 1),
      ]),
      notes: [
        'Two processes: connections alternate between the processes, so each room has members on both and half of every fan-out crosses Redis (sharded pub/sub) — the worst case for scale-out, and the one that must work.',
        'On a 2-core machine two relays, Redis and the load generator share the same two cores: this shows the cost of sharing rooms through Redis, not the capacity a second machine would add.',
      ],
    };
    return {
      name: 'scaleOut',
      title,
      status: 'ok',
      tables: [table],
      verdicts: [{ figure: 'Two relay processes + Redis vs one + Redis (saturation)', value: fmtRatio(twoVsOne), target: 'context (no DESIGN.md target)' }],
      json: {
        commonLoadDeliveriesPerSec: commonPerSec,
        twoProcessesVsOneThroughputRatio: finiteOrUndefined(twoVsOne),
        ...Object.fromEntries(
          figures.map((figure) => [
            figure.setup.key,
            {
              saturationDeliveriesPerSec: finiteOrUndefined(figure.saturation),
              reachedSaturation: figure.setup.reachedSaturation,
              p50Ms: finiteOrUndefined(figure.p50),
              p99Ms: finiteOrUndefined(figure.p99),
              deliveredRatioAtCommonLoad: finiteOrUndefined(figure.deliveredRatio),
              cpuMicrosPerDelivery: finiteOrUndefined(figure.cpuMicrosPerDelivery),
              errors: Object.assign({}, ...setupErrors(figure.setup)) as Record<string, number>,
            },
          ]),
        ),
      },
    };
  } finally {
    for (const setup of setups) await setup.generator.close().catch(() => {});
    for (const relay of allRelays) await relay.stop();
    await redis?.stop();
  }
}

function setupErrors(setup: Setup): Record<string, number>[] {
  return [...setup.sweep, ...setup.common].map((run) => run.errors);
}
