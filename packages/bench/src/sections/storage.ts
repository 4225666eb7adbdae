// The durable store beside the in-memory one: the same fan-out load, the same sweep, the
// relays taking turns at every rate. The durable relays commit every event-loop turn's
// envelopes in one SQLite transaction before acknowledging them (synchronous=NORMAL: a
// commit survives the process dying; FULL: an fsync per commit, survives a power loss).
// Issue 14's goal: the durable store carries at least 0.7× what the memory store does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SECOND_US } from '@sealroom/units';
import type { BenchContext } from '../context.js';
import { LoadGenerator, type RunResult } from '../load/generator.js';
import { fmtFixed, fmtInt, fmtRatio, finiteOrUndefined, type SectionResult, type Table } from '../report.js';
import { startServer, type RunningServer } from '../servers.js';
import { median, ratio } from '../stats.js';
import { measure, sweepInterleaved, sweepPeak, type SweepSubject } from './sweep.js';

/** The durable store's goal against the memory store (issue 14). */
const DURABLE_GOAL = 0.7;

interface Setup extends SweepSubject {
  key: 'memory' | 'durableNormal' | 'durableFull';
  relay: RunningServer;
  saturationSamples: number[];
  common: RunResult[];
}

export async function runStorage(context: BenchContext): Promise<SectionResult> {
  const title = 'Durable store';
  if (!context.relay.available) return { name: 'storage', title, status: 'unavailable', reason: `relay: ${context.relay.reason}`, tables: [], verdicts: [] };
  if (context.relay.missingFlags.includes('--memory')) {
    return { name: 'storage', title, status: 'unavailable', reason: 'the relay CLI has no --memory / --data-dir flags yet', tables: [], verdicts: [] };
  }
  const profile = { ...context.profile.fanout, startRate: context.profile.storage.startRate };
  const fanOut = profile.roomSize - 1;
  const inMemoryArgs = context.relay.benchArgs;
  const withoutMemory = inMemoryArgs.filter((arg) => arg !== '--memory');
  const dirs: string[] = [];
  const setups: Setup[] = [];
  try {
    const specs: { key: Setup['key']; label: string; args: () => string[] }[] = [
      { key: 'memory', label: 'in memory (--memory)', args: () => inMemoryArgs },
      { key: 'durableNormal', label: 'durable, --data-sync normal', args: () => [...withoutMemory, '--data-dir', fresh(dirs), '--data-sync', 'normal'] },
      { key: 'durableFull', label: 'durable, --data-sync full', args: () => [...withoutMemory, '--data-dir', fresh(dirs), '--data-sync', 'full'] },
    ];
    for (const spec of specs) {
      const relay = await startServer('relay', { relayArgs: spec.args(), label: spec.label });
      const generator = await LoadGenerator.open({
        kind: 'relay',
        urls: [relay.wsUrl],
        connections: profile.connections,
        roomSize: profile.roomSize,
        envelopeBytes: profile.envelopeBytes,
        workers: context.profile.workers,
      });
      setups.push({
        key: spec.key,
        label: spec.label,
        relay,
        pids: [relay.pid],
        generator,
        sweep: [],
        peakRate: profile.startRate,
        reachedSaturation: false,
        saturationSamples: [],
        common: [],
      });
    }

    await sweepInterleaved(setups, profile, context.log, 'storage');
    for (const setup of setups) setup.saturationSamples.push(sweepPeak(setup));
    // Latency and CPU at one load every setup carries: half of the lowest saturation.
    const commonPerSec = Math.min(...setups.map((setup) => sweepPeak(setup))) / 2;
    const commonRate = commonPerSec / (profile.connections * fanOut);
    for (let trial = 0; trial < context.profile.storage.trials; trial += 1) {
      for (const setup of setups) setup.common.push(await measure(setup.generator, profile, commonRate, setup.pids));
    }
    for (let trial = 1; trial < context.profile.storage.trials; trial += 1) {
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
        cpuMicrosPerDelivery: (cpu / delivered) * SECOND_US,
      };
    });
    const byKey = new Map(figures.map((figure) => [figure.setup.key, figure]));
    const memory = byKey.get('memory');
    const normalRatio = ratio(byKey.get('durableNormal')?.saturation, memory?.saturation);
    const fullRatio = ratio(byKey.get('durableFull')?.saturation, memory?.saturation);
    const normalTrials = trialRatios(byKey.get('durableNormal')?.setup, memory?.setup);
    const fullTrials = trialRatios(byKey.get('durableFull')?.setup, memory?.setup);
    const verdict = (value: number, trials: number[]): string =>
      `${fmtRatio(value)} (${spread(trials)}; ${!Number.isFinite(value) ? 'no verdict' : value >= DURABLE_GOAL ? 'meets the goal' : 'below the goal'})`;
    const table: Table = {
      title: `Durable store: ${profile.connections} connections in rooms of ${profile.roomSize}, ${profile.envelopeBytes}-byte envelopes`,
      headers: [
        'Store',
        'Deliveries/s at saturation',
        'Envelopes stored/s at saturation',
        'vs memory',
        `p50 ms @ ${fmtInt(commonPerSec)}/s`,
        `p99 ms @ ${fmtInt(commonPerSec)}/s`,
        'Relay CPU µs / delivery',
      ],
      rows: figures.map((figure) => [
        figure.setup.label,
        `${fmtInt(figure.saturation)}${figure.setup.reachedSaturation ? '' : ' (not saturated)'}`,
        fmtInt(figure.saturation / fanOut),
        fmtRatio(ratio(figure.saturation, memory?.saturation)),
        fmtFixed(figure.p50),
        fmtFixed(figure.p99),
        fmtFixed(figure.cpuMicrosPerDelivery, 1),
      ]),
      notes: [
        'Every envelope is stored once and delivered to the other members of its room; the durable relays acknowledge an envelope only after the SQLite transaction holding it committed (one transaction per event-loop turn).',
        'Development figures from a shared 2-core machine: compare the rows of one run, not runs with each other. The verdicts give the spread of the per-trial ratios (the stores take turns within a trial, so each ratio compares neighbours in time).',
      ],
    };
    return {
      name: 'storage',
      title,
      status: 'ok',
      tables: [table],
      verdicts: [
        { figure: 'Durable (synchronous=normal) vs memory, saturation', value: verdict(normalRatio, normalTrials), target: `≥ ${DURABLE_GOAL}×` },
        { figure: 'Durable (synchronous=full) vs memory, saturation', value: verdict(fullRatio, fullTrials), target: `≥ ${DURABLE_GOAL}×` },
      ],
      json: {
        commonLoadDeliveriesPerSec: commonPerSec,
        durableNormalVsMemory: finiteOrUndefined(normalRatio),
        durableFullVsMemory: finiteOrUndefined(fullRatio),
        durableNormalVsMemoryPerTrial: normalTrials,
        durableFullVsMemoryPerTrial: fullTrials,
        ...Object.fromEntries(
          figures.map((figure) => [
            figure.setup.key,
            {
              saturationDeliveriesPerSec: finiteOrUndefined(figure.saturation),
              reachedSaturation: figure.setup.reachedSaturation,
              p50Ms: finiteOrUndefined(figure.p50),
              p99Ms: finiteOrUndefined(figure.p99),
              cpuMicrosPerDelivery: finiteOrUndefined(figure.cpuMicrosPerDelivery),
            },
          ]),
        ),
      },
    };
  } finally {
    for (const setup of setups) await setup.generator.close().catch(() => {});
    for (const setup of setups) await setup.relay.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A durable store's saturation over the memory store's, trial by trial: the sweep's peak,
 * then one run at the peak rate per further trial, the stores taking turns each time.
 */
function trialRatios(durable: Setup | undefined, memory: Setup | undefined): number[] {
  if (durable === undefined || memory === undefined) return [];
  return durable.saturationSamples.map((value, index) => ratio(value, memory.saturationSamples[index])).filter((value) => Number.isFinite(value));
}

/** "0.81×–0.93× over 3 trials", or the one trial there was. */
function spread(trials: number[]): string {
  if (trials.length < 2) return `${trials.length} trial`;
  return `${fmtRatio(Math.min(...trials))}–${fmtRatio(Math.max(...trials))} over ${trials.length} trials`;
}

/** A data directory of its own for one relay, removed when the section ends. */
function fresh(dirs: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sealroom-bench-'));
  dirs.push(dir);
  return dir;
}
