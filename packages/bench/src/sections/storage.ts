// Section: the durable store beside the in-memory one (issue 14). The same fan-out load at
// the same fixed offered rates, in rounds, the stores taking turns at every step: the relay
// in memory, and the relay over a data directory of its own with --data-sync normal and
// with full. The durable relays commit each batch of envelopes (a millisecond's, at most
// 512) in one SQLite transaction before acknowledging them (synchronous=NORMAL: a commit
// survives the process dying; FULL: an fsync per commit, survives a power loss too). Every
// relay is first filled to its retention, so the steps measure the steady state.
// Issue 14's goal: the durable store carries at least 0.7× what the memory store does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BenchContext } from '../context.js';
import { LoadGenerator } from '../load/generator.js';
import { loadAverageNow } from '../machine.js';
import { fmtFixed, fmtInt, fmtRatio, fmtWithSpread, finiteOrUndefined, type SectionResult, type Table, type Verdict } from '../report.js';
import { cpuMicrosPerDelivery, otherCores, stealCores } from '../run-figures.js';
import { startServer, type RunningServer } from '../servers.js';
import { chooseStep, ratiosByRound, type StepRun, type SubjectRuns } from '../starvation.js';
import { median, spread } from '../stats.js';
import { atStep, divide, saturation } from './round-figures.js';
import { runRounds, type Subject } from './rounds.js';

/** Issue 14: the durable store's throughput at least this share of the memory store's. */
const DURABLE_GOAL = 0.7;
const MICROS_PER_SECOND = 1_000_000;
const MILLIS_PER_SECOND = 1_000;
const TITLE = 'Durable store';

type StoreKey = 'memory' | 'durableNormal' | 'durableFull';

interface Store {
  key: StoreKey;
  label: string;
  /** --data-sync of a durable store; undefined for the memory store. */
  sync?: 'normal' | 'full';
}

const STORES: Store[] = [
  { key: 'memory', label: 'in memory (--memory)' },
  { key: 'durableNormal', label: 'durable, --data-sync normal', sync: 'normal' },
  { key: 'durableFull', label: 'durable, --data-sync full', sync: 'full' },
];

export async function runStorage(context: BenchContext): Promise<SectionResult> {
  const title = TITLE;
  if (!context.relay.available) return { name: 'storage', title, status: 'unavailable', reason: `relay: ${context.relay.reason}`, tables: [], verdicts: [] };
  if (context.relay.missingFlags.includes('--memory'))
    return { name: 'storage', title, status: 'unavailable', reason: 'the relay CLI has no --memory / --data-dir flags yet', tables: [], verdicts: [] };
  const profile = context.profile.storage;
  // Limits raised (200 busy connections from loopback); --memory is among them, and a
  // durable relay is the same relay with a data directory instead.
  const retention = ['--retention-count', String(profile.fill.retentionCount)];
  const withoutMemory = [...context.relay.benchArgs.filter((arg) => arg !== '--memory'), ...retention];
  const subjects: Subject[] = STORES.map((store) => ({
    key: store.key,
    label: store.label,
    open: async () => {
      const dataDir = store.sync !== undefined ? mkdtempSync(path.join(tmpdir(), 'sealroom-bench-')) : undefined;
      const relayArgs =
        dataDir !== undefined ? [...withoutMemory, '--data-dir', dataDir, '--data-sync', store.sync!] : [...context.relay.benchArgs, ...retention];
      const removeDir = () => {
        if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
      };
      let relay: RunningServer | undefined;
      try {
        relay = await startServer('relay', { relayArgs, label: store.label });
        const generator = await LoadGenerator.open({
          kind: 'relay',
          urls: [relay.wsUrl],
          connections: profile.connections,
          roomSize: profile.roomSize,
          envelopeBytes: profile.envelopeBytes,
          workers: context.profile.workers,
        });
        const running = relay;
        await fillToRetention(context, running, generator, store.label);
        return {
          generator,
          pids: [running.pid],
          close: async () => {
            await generator.close().catch(() => {});
            await running.stop();
            removeDir();
          },
        };
      } catch (error) {
        await relay?.stop();
        removeDir();
        throw error;
      }
    },
  }));
  const loadStart = loadAverageNow();
  const runs = await runRounds({ subjects, rates: profile.rates, rounds: profile.rounds, timing: context.profile.timing, prefix: 'storage', log: context.log });
  return buildResult(context, runs as Map<StoreKey, SubjectRuns>, { start: loadStart, end: loadAverageNow() });
}

/** Share of the retention a fill must reach for the steps to count as the steady state. */
const FILL_ENOUGH = 0.95;
/** The fill offers a little longer than the rooms need, for sends the generator skipped. */
const FILL_MARGIN = 1.15;

/**
 * Offers load until every room holds its retention (profile.fill), then checks the relay's
 * `sealroom_retained_envelopes`: from here on every stored envelope also trims one.
 */
async function fillToRetention(context: BenchContext, relay: RunningServer, generator: LoadGenerator, label: string): Promise<void> {
  const { connections, roomSize, fill } = context.profile.storage;
  const fillMs = Math.ceil((fill.retentionCount / (roomSize * fill.ratePerConnection)) * MILLIS_PER_SECOND * FILL_MARGIN);
  const timing = context.profile.timing;
  await generator.run({
    ratePerConnection: fill.ratePerConnection,
    warmupMs: fillMs,
    measureMs: timing.measureMs,
    drainQuietMs: timing.drainQuietMs,
    drainMaxMs: timing.drainMaxMs,
    serverPids: [relay.pid],
  });
  const metrics = await (await fetch(`${relay.httpUrl}/metrics`)).text();
  const retained = Number(/^sealroom_retained_envelopes (\d+)$/m.exec(metrics)?.[1] ?? Number.NaN);
  const wanted = (connections / roomSize) * fill.retentionCount;
  const line = `storage: ${label} filled to ${fmtInt(retained)} retained envelopes (rooms full at ${fmtInt(wanted)}) in ${fmtFixed(fillMs / MILLIS_PER_SECOND, 1)} s`;
  if (!(retained >= wanted * FILL_ENOUGH)) throw new Error(`${line}: short of the steady state the steps measure`);
  context.log(line);
}

function offeredPerSec(context: BenchContext, step: number): number {
  const profile = context.profile.storage;
  return (profile.rates[step] ?? Number.NaN) * profile.connections * (profile.roomSize - 1);
}

/**
 * Why a throughput ratio cannot be judged: the lightest step already starved the machine,
 * or in some round the machine, not a store, set the pace at a store's best step.
 */
function throughputStarvation(compared: SubjectRuns[], describeLoad: (step: number) => string): string | undefined {
  const atFirst = chooseStep(compared, 0, describeLoad);
  if ('starved' in atFirst) return atFirst.starved;
  for (const runs of compared) {
    for (const [round, steps] of runs.rounds.entries()) {
      const best = steps.reduce<StepRun | undefined>((a, b) => (b === undefined || (a && a.deliveredPerSec >= b.deliveredPerSec) ? a : b), undefined);
      if (best?.machineLimit) return `${runs.label}, round ${round + 1}, at its best step (${describeLoad(best.step)}): ${best.machineLimit}`;
    }
  }
  return undefined;
}

function buildResult(context: BenchContext, runs: Map<StoreKey, SubjectRuns>, loadAverage: { start: number; end: number }): SectionResult {
  const profile = context.profile.storage;
  const fanOut = profile.roomSize - 1;
  const describeLoad = (step: number) => `${fmtInt(offeredPerSec(context, step))} deliveries/s`;
  const memory = runs.get('memory')!;
  const memoryTop = saturation(memory);

  const verdicts: Verdict[] = [];
  for (const store of STORES.filter((candidate) => candidate.sync !== undefined)) {
    const durable = runs.get(store.key)!;
    const top = saturation(durable);
    const ratios = spread(divide(top.perRound, memoryTop.perRound));
    const bounds =
      top.saturatedRounds < top.perRound.length || memoryTop.saturatedRounds < memoryTop.perRound.length
        ? ' (a store did not saturate within the steps in every round: bounds, not ratios)'
        : '';
    const starved = throughputStarvation([memory, durable], describeLoad);
    const shown = `${fmtRatio(ratios.median)} (${fmtInt(top.deliveredPerSec.median)} vs ${fmtInt(memoryTop.deliveredPerSec.median)} deliveries/s)${bounds}`;
    verdicts.push({
      key: `storage.${store.key}VsMemorySaturation`,
      figure: `Durable store (--data-sync ${store.sync}) vs memory: saturation throughput`,
      value: starved ? `${shown} (measured, not judged)` : shown,
      numeric: ratios.median,
      spread: ratios,
      target: `≥ ${fmtRatio(DURABLE_GOAL)}`,
      ...(starved ? { starved } : { met: ratios.median >= DURABLE_GOAL }),
    });
  }
  for (const store of STORES.filter((candidate) => candidate.sync !== undefined)) {
    const durable = runs.get(store.key)!;
    const choice = chooseStep([memory, durable], profile.referenceStep, describeLoad);
    const step = 'starved' in choice ? profile.referenceStep : choice.step;
    const ratios = spread(ratiosByRound(durable, memory, step, cpuMicrosPerDelivery));
    const shown = `${fmtRatio(ratios.median)} (${fmtFixed(atStep(durable, step, cpuMicrosPerDelivery).median)} vs ${fmtFixed(atStep(memory, step, cpuMicrosPerDelivery).median)} µs) at ${describeLoad(step)}`;
    verdicts.push({
      key: `storage.${store.key}VsMemoryCpuPerDelivery`,
      figure: `Durable store (--data-sync ${store.sync}) vs memory: relay CPU per delivery`,
      value: 'starved' in choice ? `${shown} (measured, not judged)` : shown,
      numeric: ratios.median,
      spread: ratios,
      target: 'context (the cost of keeping every envelope on disk)',
      ...('starved' in choice ? { starved: choice.starved } : {}),
    });
    // The same runs read as throughput: what one relay core carries with this store, over
    // what it carries in memory. The relay is one thread, so this is its ceiling on a machine
    // where the load generator does not share its cores (on this one the generator sets the
    // saturation figure above); commit waits off the CPU (fsync with `full`) are not in it.
    const perCore = spread(ratiosByRound(memory, durable, step, cpuMicrosPerDelivery));
    const perCoreShown = `${fmtRatio(perCore.median)} (${fmtInt(MICROS_PER_SECOND / atStep(durable, step, cpuMicrosPerDelivery).median)} vs ${fmtInt(MICROS_PER_SECOND / atStep(memory, step, cpuMicrosPerDelivery).median)} deliveries per relay CPU-second) at ${describeLoad(step)}`;
    verdicts.push({
      key: `storage.${store.key}VsMemoryPerCore`,
      figure: `Durable store (--data-sync ${store.sync}) vs memory: throughput per relay core`,
      value: 'starved' in choice ? `${perCoreShown} (measured, not judged)` : perCoreShown,
      numeric: perCore.median,
      spread: perCore,
      target: `≥ ${fmtRatio(DURABLE_GOAL)}`,
      ...('starved' in choice ? { starved: choice.starved } : { met: perCore.median >= DURABLE_GOAL }),
    });
  }

  const reference = profile.referenceStep;
  const all = [...runs.values()].flatMap((subject) => subject.rounds.flat()).filter((run): run is StepRun => run !== undefined);
  const table: Table = {
    title: `Durable store: ${fmtInt(profile.connections)} connections in rooms of ${profile.roomSize}, ${profile.envelopeBytes}-byte envelopes, limits raised`,
    headers: [
      'Store',
      'Deliveries/s at saturation',
      'Envelopes stored/s at saturation',
      'vs memory',
      `Relay CPU µs / delivery @ ${describeLoad(reference)}`,
      `p50 ms @ ${describeLoad(reference)}`,
      `p99 ms @ ${describeLoad(reference)}`,
    ],
    rows: STORES.map((store) => {
      const subject = runs.get(store.key)!;
      const top = saturation(subject);
      const at = (figure: (run: StepRun) => number) => fmtWithSpread(atStep(subject, reference, figure), (value) => fmtFixed(value));
      return [
        store.label,
        `${fmtWithSpread(top.deliveredPerSec, fmtInt)}${top.saturatedRounds < top.perRound.length ? ' (not saturated within the steps)' : ''}`,
        fmtWithSpread(spread(top.perRound.map((value) => value / fanOut)), fmtInt),
        fmtWithSpread(spread(divide(top.perRound, memoryTop.perRound)), fmtRatio),
        at(cpuMicrosPerDelivery),
        at((run) => run.p50Ms),
        at((run) => run.p99Ms),
      ];
    }),
    notes: [
      `Offered loads, the same for every store: ${profile.rates.map((_, step) => describeLoad(step)).join(', ')}. Saturation is the most a store delivered at any step, round by round; "vs memory" divides it by the memory store's of the same round (the stores take turns within a round, in an order that rotates).`,
      'Every envelope is stored once and delivered to the other members of its room; a durable relay acknowledges an envelope only after the SQLite transaction holding it committed (one transaction per batch: what a millisecond brought, at most 512 envelopes or 4 MiB). Each durable relay starts each round on an empty data directory of its own in the system temporary directory.',
      `Before its first step every relay (memory too) is filled to its retention, ${fmtInt(profile.fill.retentionCount)} envelopes in each of its ${fmtInt(profile.connections / profile.roomSize)} rooms (the relay's default --retention-count), at ${fmtInt(profile.fill.ratePerConnection * profile.connections * (profile.roomSize - 1))} deliveries/s: the steps measure a relay that has been up a while, where every envelope stored also pushes its room's oldest out.`,
      `${profile.rounds} round(s), fresh relays and connections each; ${context.profile.timing.measureMs} ms windows after ${context.profile.timing.warmupMs} ms warm-up; medians with [min–max] over rounds.`,
      `Machine during the windows: other processes used ${fmtFixed(median(all.map(otherCores)))} cores (median), the hypervisor stole ${fmtFixed(median(all.map(stealCores)))}; 1-minute load average ${fmtFixed(loadAverage.start)} before, ${fmtFixed(loadAverage.end)} after. On a shared 2-core machine compare the rows of one run, not runs with each other.`,
    ],
  };

  const json: Record<string, unknown> = {
    connections: profile.connections,
    roomSize: profile.roomSize,
    offeredPerSec: profile.rates.map((_, step) => offeredPerSec(context, step)),
    referenceStep: reference,
    rounds: profile.rounds,
    loadAverage,
    stores: Object.fromEntries(
      STORES.map((store) => {
        const subject = runs.get(store.key)!;
        const top = saturation(subject);
        return [
          store.key,
          {
            label: store.label,
            saturationDeliveriesPerSec: top.perRound.map(finiteOrUndefined),
            saturatedRounds: top.saturatedRounds,
            vsMemory: divide(top.perRound, memoryTop.perRound).map(finiteOrUndefined),
            cpuMicrosPerDeliveryAtReference: subject.rounds.map((round) =>
              finiteOrUndefined(round[reference] ? cpuMicrosPerDelivery(round[reference]) : Number.NaN),
            ),
            errors: subject.rounds.map((round) => round.map((run) => run?.errors ?? {})),
          },
        ];
      }),
    ),
  };
  return { name: 'storage', title: TITLE, status: 'ok', tables: [table], verdicts, json };
}
