// The fan-out section's tables, verdicts and JSON, from the runs fanout.ts measured.
// Every comparison is made at one offered load (the workload's reference step, or the
// highest lower step both servers carried), round by round; the verdict reads the median
// ratio, and refuses when the machine was the limit (starvation.ts).
import type { BenchContext } from '../context.js';
import type { FanoutWorkload } from '../profile.js';
import { fmtFixed, fmtInt, fmtMiB, fmtPercent, fmtRatio, fmtWithSpread, finiteOrUndefined, type SectionResult, type Table, type Verdict } from '../report.js';
import { cpuMicrosPerDelivery, generatorCores, otherCores, serverCores, stealCores } from '../run-figures.js';
import { chooseStep, ratiosByRound, type StepChoice, type StepRun, type SubjectRuns } from '../starvation.js';
import { median, spread, type Spread } from '../stats.js';
import { LABELS, type SubjectKey, type WorkloadResult } from './fanout-subjects.js';
import { atStep, divide, roundsWhere, saturation } from './round-figures.js';

/** DESIGN.md §5: relay CPU per delivery at most 1.0× the batched bare server. */
const TARGET_CPU_VS_BATCHED = 1.0;
/** DESIGN.md §5: "well ahead of Socket.IO", read as at most half its CPU per delivery. */
const TARGET_CPU_VS_SOCKET_IO = 0.5;
/** DESIGN.md §5: p99 "close to the bare server's", read as within 1.5× at the same load. */
const TARGET_P99_VS_BATCHED = 1.5;

/** The servers whose first step decides whether the workload is starved (not a candidate or a profiled relay). */
const EVERYONE: SubjectKey[] = ['relay', 'bare-ws-batched', 'bare-ws', 'socket.io'];
/** Subjects in table order. */
const ORDER: SubjectKey[] = ['relay', 'relay-candidate', 'relay-profiled', 'bare-ws-batched', 'bare-ws', 'socket.io'];

interface Comparison {
  numerator: SubjectKey;
  denominator: SubjectKey;
  choice: StepChoice;
  /**
   * The step the figures below are read at: the chosen one, or — when the machine was
   * starved — the reference step, shown for information beside "no verdict" (undefined
   * when a server did not run it).
   */
  step?: number;
  /** numerator / denominator CPU per delivery, round by round, at the chosen step. */
  cpuRatio: Spread;
  p99Ratio: Spread;
  numeratorCpu: Spread;
  denominatorCpu: Spread;
}

function offeredPerSec(workload: FanoutWorkload, step: number): number {
  return workload.rates[step]! * workload.connections * (workload.roomSize - 1);
}

function describeLoad(workload: FanoutWorkload): (step: number) => string {
  return (step) => `${fmtInt(offeredPerSec(workload, step))} deliveries/s`;
}

function compare(result: WorkloadResult, numerator: SubjectKey, denominator: SubjectKey): Comparison | undefined {
  const a = result.runs.get(numerator);
  const b = result.runs.get(denominator);
  if (!a || !b) return undefined;
  // "Any server saturated at the first step" looks at every server of the workload, not only these two.
  const everyone = EVERYONE.flatMap((key) => result.runs.get(key) ?? []);
  const choice = chooseStep([a, b], result.workload.referenceStep, describeLoad(result.workload), everyone);
  const reference = result.workload.referenceStep;
  const ranReference = [a, b].every((runs) => runs.rounds.every((round) => round[reference] !== undefined));
  const step = 'step' in choice ? choice.step : ranReference ? reference : undefined;
  if (step === undefined) {
    const none = spread([]);
    return { numerator, denominator, choice, cpuRatio: none, p99Ratio: none, numeratorCpu: none, denominatorCpu: none };
  }
  return {
    numerator,
    denominator,
    choice,
    step,
    cpuRatio: spread(ratiosByRound(a, b, step, cpuMicrosPerDelivery)),
    p99Ratio: spread(ratiosByRound(a, b, step, (run) => run.p99Ms)),
    numeratorCpu: atStep(a, step, cpuMicrosPerDelivery),
    denominatorCpu: atStep(b, step, cpuMicrosPerDelivery),
  };
}

/** What a withheld verdict says it is withholding: the figure as measured, or n/a. */
function starvedValue(comparison: Comparison, shown: string): string {
  return comparison.step === undefined ? 'n/a' : `${shown} (measured, not judged)`;
}

interface RatioTarget {
  max?: number;
  text: string;
}

function cpuVerdict(result: WorkloadResult, comparison: Comparison | undefined, key: string, figure: string, target: RatioTarget): Verdict | undefined {
  if (!comparison) return undefined;
  const base = { key: `${result.workload.key}.${key}`, figure, target: target.text };
  const ratio = comparison.cpuRatio;
  const shown =
    comparison.step === undefined
      ? 'n/a'
      : `${fmtRatio(ratio.median)} (${fmtFixed(comparison.numeratorCpu.median, 2)} vs ${fmtFixed(comparison.denominatorCpu.median, 2)} µs) at ${describeLoad(result.workload)(comparison.step)}`;
  if (!('step' in comparison.choice))
    return { ...base, value: starvedValue(comparison, shown), numeric: ratio.median, spread: ratio, starved: comparison.choice.starved };
  return {
    ...base,
    value: shown,
    numeric: ratio.median,
    spread: ratio,
    ...(target.max !== undefined ? { met: ratio.median <= target.max } : {}),
  };
}

function p99Verdict(result: WorkloadResult, comparison: Comparison | undefined): Verdict | undefined {
  if (!comparison) return undefined;
  const base = {
    key: `${result.workload.key}.relayP99VsBareWsBatched`,
    figure: `Relay p99 vs batched bare ws, same load (${workloadName(result.workload)})`,
    target: `close to bare (≤ ${TARGET_P99_VS_BATCHED}×)`,
  };
  if (comparison.step === undefined) return { ...base, value: 'n/a', ...('starved' in comparison.choice ? { starved: comparison.choice.starved } : {}) };
  const relay = atStep(result.runs.get(comparison.numerator)!, comparison.step, (run) => run.p99Ms);
  const bare = atStep(result.runs.get(comparison.denominator)!, comparison.step, (run) => run.p99Ms);
  const shown = `${fmtRatio(comparison.p99Ratio.median)} (${fmtFixed(relay.median)} vs ${fmtFixed(bare.median)} ms) at ${describeLoad(result.workload)(comparison.step)}`;
  const figures = { numeric: comparison.p99Ratio.median, spread: comparison.p99Ratio };
  if ('starved' in comparison.choice) return { ...base, value: starvedValue(comparison, shown), ...figures, starved: comparison.choice.starved };
  return { ...base, value: shown, ...figures, met: comparison.p99Ratio.median <= TARGET_P99_VS_BATCHED };
}

function workloadName(workload: FanoutWorkload): string {
  return `${fmtInt(workload.connections)} conns, ${workload.relayLimits === 'default' ? 'default limits' : 'limits raised'}`;
}

function throughputVerdict(result: WorkloadResult): Verdict | undefined {
  const relay = result.runs.get('relay');
  if (!relay) return undefined;
  const relaySaturation = saturation(relay);
  const against = (['bare-ws-batched', 'bare-ws', 'socket.io'] as const).map((key) => {
    const other = saturation(result.runs.get(key)!);
    return { key, ratio: spread(divide(relaySaturation.perRound, other.perRound)), saturated: other.saturatedRounds === other.perRound.length };
  });
  const bounds =
    relaySaturation.saturatedRounds < relaySaturation.perRound.length
      ? ' (the relay did not saturate within the steps in every round: lower bounds)'
      : relaySaturation.machineLimitedRounds > 0
        ? ' (the machine, not the relay, set the pace at its best step)'
        : '';
  return {
    key: `${result.workload.key}.relaySaturationVsBareWsBatched`,
    figure: `Relay saturation throughput vs batched / unbatched bare ws / Socket.IO (${workloadName(result.workload)})`,
    value: `${against.map(({ ratio }) => fmtRatio(ratio.median)).join(' / ')}${bounds}`,
    numeric: against[0]!.ratio.median,
    spread: against[0]!.ratio,
    target: 'context (throughput beside the CPU figure)',
  };
}

function workloadVerdicts(result: WorkloadResult, primary: boolean): Verdict[] {
  const name = workloadName(result.workload);
  if (!result.runs.has('relay')) return [{ figure: `Relay fan-out (${name})`, value: 'not available yet', target: 'relay vs bare ws and Socket.IO' }];
  const batched = compare(result, 'relay', 'bare-ws-batched');
  const verdicts = [
    cpuVerdict(result, batched, 'relayCpuPerDeliveryVsBareWsBatched', `Relay CPU per delivery vs batched bare ws (${name})`, {
      max: TARGET_CPU_VS_BATCHED,
      text: `≤ ${fmtRatio(TARGET_CPU_VS_BATCHED)}`,
    }),
    cpuVerdict(result, compare(result, 'relay', 'bare-ws'), 'relayCpuPerDeliveryVsBareWsUnbatched', `Relay CPU per delivery vs unbatched bare ws (${name})`, {
      text: 'context (second baseline)',
    }),
    cpuVerdict(result, compare(result, 'relay', 'socket.io'), 'relayCpuPerDeliveryVsSocketIo', `Relay CPU per delivery vs Socket.IO (${name})`, {
      max: TARGET_CPU_VS_SOCKET_IO,
      text: `well ahead (≤ ${fmtRatio(TARGET_CPU_VS_SOCKET_IO)})`,
    }),
    ...(primary ? [p99Verdict(result, batched), throughputVerdict(result)] : []),
    cpuVerdict(
      result,
      compare(result, 'relay-candidate', 'bare-ws-batched'),
      'candidateCpuPerDeliveryVsBareWsBatched',
      `Candidate relay CPU per delivery vs batched bare ws (${name})`,
      { text: 'context (--compare-relay)' },
    ),
  ];
  return verdicts.filter((verdict): verdict is Verdict => verdict !== undefined);
}

function runNote(runs: SubjectRuns, step: number): string {
  const notes: string[] = [];
  const notRun = roundsWhere(runs, step, (run) => run === undefined);
  const saturated = roundsWhere(runs, step, (run) => run?.saturated === true);
  const limited = roundsWhere(runs, step, (run) => run?.machineLimit !== undefined);
  const rounds = runs.rounds.length;
  const count = (part: { count: number }) => (rounds > 1 ? ` ${part.count}/${rounds}` : '');
  if (notRun.count > 0) notes.push(`not run (past saturation)${count(notRun)}`);
  if (saturated.count > 0) notes.push(`saturated${count(saturated)}`);
  if (limited.count > 0) notes.push(`machine-limited${count(limited)}`);
  return notes.join(', ');
}

function mainTable(result: WorkloadResult): Table {
  const { workload } = result;
  const reference = workload.referenceStep;
  const keys = ORDER.filter((key) => result.runs.has(key));
  return {
    title: `Fan-out: ${fmtInt(workload.connections)} connections in rooms of ${workload.roomSize}, ${workload.envelopeBytes}-byte envelopes, relay ${workload.relayLimits === 'default' ? 'at its default limits' : 'with rate limits raised'}`,
    headers: [
      'Server',
      `CPU µs / delivery @ ${describeLoad(workload)(reference)}`,
      'p50 ms',
      'p99 ms',
      'Saturation deliveries/s',
      'Peak RSS',
      'Refusals',
      'Note',
    ],
    rows: keys.map((key) => {
      const runs = result.runs.get(key)!;
      const top = saturation(runs);
      const refusals: Record<string, number> = {};
      for (const round of runs.rounds)
        for (const run of round) for (const [code, count] of Object.entries(run?.errors ?? {})) refusals[code] = (refusals[code] ?? 0) + count;
      return [
        LABELS[key],
        fmtWithSpread(atStep(runs, reference, cpuMicrosPerDelivery)),
        fmtWithSpread(atStep(runs, reference, (run) => run.p50Ms)),
        fmtWithSpread(atStep(runs, reference, (run) => run.p99Ms)),
        `${fmtWithSpread(top.deliveredPerSec, fmtInt)}${top.saturatedRounds < top.perRound.length ? ' (not saturated within the steps)' : ''}`,
        fmtMiB(median(result.peakRssBytes.get(key) ?? [])),
        Object.keys(refusals).length > 0 ? JSON.stringify(refusals) : '',
        runNote(runs, reference),
      ];
    }),
    notes: workloadNotes(result),
  };
}

function workloadNotes(result: WorkloadResult): string[] {
  const { workload } = result;
  const all = [...result.runs.values()].flatMap((runs) => runs.rounds.flat()).filter((run): run is StepRun => run !== undefined);
  const comparisons = (['bare-ws-batched', 'bare-ws', 'socket.io'] as const).map((key) => compare(result, 'relay', key)).filter((c) => c !== undefined);
  return [
    `Every server is offered the same ${workload.rates.length} loads (${workload.rates.map((_, step) => fmtInt(offeredPerSec(workload, step))).join(', ')} deliveries/s, i.e. ${workload.rates.join(', ')} envelopes/s per connection); figures are medians over ${result.runs.get('bare-ws')!.rounds.length} round(s) with [min–max] when there are several. A server that delivers under half the offered load skips the round's heavier steps.`,
    workload.relayLimits === 'default'
      ? `The relay runs as shipped: no limit raised (${result.relayArgs.join(' ') || 'no flags'}); 200 messages/s per connection and 64 connections per address by default, so clients connect from 32 loopback addresses.`
      : `The relay runs with its per-connection rate limits and per-address connection limit raised (${result.relayArgs.join(' ')}).`,
    ...comparisons.map((comparison) =>
      'step' in comparison.choice
        ? `Relay vs ${LABELS[comparison.denominator]}: compared at ${describeLoad(workload)(comparison.choice.step)}${comparison.choice.passedOver.length > 0 ? ` (passed over: ${comparison.choice.passedOver.join('; ')})` : ''}.`
        : `Relay vs ${LABELS[comparison.denominator]}: no verdict — ${comparison.choice.starved}.`,
    ),
    `Machine during the windows: other processes used ${fmtFixed(median(all.map(otherCores)))} cores (median; max ${fmtFixed(Math.max(...all.map(otherCores)))}), the hypervisor stole ${fmtFixed(median(all.map(stealCores)))}; 1-minute load average ${fmtFixed(result.loadAverage.start)} before the workload, ${fmtFixed(result.loadAverage.end)} after.`,
  ];
}

function sweepTable(result: WorkloadResult): Table {
  const { workload } = result;
  const keys = ORDER.filter((key) => result.runs.has(key));
  return {
    title: `Fan-out sweep, ${fmtInt(workload.connections)} connections (medians over rounds)`,
    headers: [
      'Server',
      'Offered/s',
      'Delivered/s',
      'CPU µs / delivery',
      'p50 ms',
      'p99 ms',
      'Server cores',
      'Generator cores',
      'Busiest worker loop',
      'Others’ cores',
      'Note',
    ],
    rows: keys.flatMap((key) => {
      const runs = result.runs.get(key)!;
      return workload.rates.map((_, step) => {
        const at = (figure: (run: StepRun) => number) => atStep(runs, step, figure).median;
        return [
          LABELS[key],
          fmtInt(offeredPerSec(workload, step)),
          fmtInt(at((run) => run.deliveredPerSec)),
          fmtFixed(at(cpuMicrosPerDelivery)),
          fmtFixed(at((run) => run.p50Ms)),
          fmtFixed(at((run) => run.p99Ms)),
          fmtFixed(at(serverCores)),
          fmtFixed(at(generatorCores)),
          fmtPercent(at((run) => run.generatorLoopUtilisation)),
          fmtFixed(at(otherCores)),
          runNote(runs, step),
        ];
      });
    }),
  };
}

function workloadJson(result: WorkloadResult): Record<string, unknown> {
  const { workload } = result;
  const servers: Record<string, unknown> = {};
  for (const [key, runs] of result.runs) {
    const top = saturation(runs);
    servers[key] = {
      label: LABELS[key],
      saturationDeliveriesPerSec: { median: finiteOrUndefined(top.deliveredPerSec.median), perRound: top.perRound.map(finiteOrUndefined) },
      saturatedRounds: top.saturatedRounds,
      peakRssBytes: (result.peakRssBytes.get(key) ?? []).map(finiteOrUndefined),
      steps: workload.rates.map((_, step) =>
        runs.rounds.map((round) => {
          const run = round[step];
          if (!run) return { notRun: true };
          return {
            deliveredPerSec: run.deliveredPerSec,
            cpuMicrosPerDelivery: finiteOrUndefined(cpuMicrosPerDelivery(run)),
            p50Ms: finiteOrUndefined(run.p50Ms),
            p99Ms: finiteOrUndefined(run.p99Ms),
            serverCores: finiteOrUndefined(serverCores(run)),
            generatorCores: finiteOrUndefined(generatorCores(run)),
            generatorLoopUtilisation: finiteOrUndefined(run.generatorLoopUtilisation),
            scheduleKeptRatio: run.scheduleKeptRatio,
            otherCores: finiteOrUndefined(otherCores(run)),
            stealCores: finiteOrUndefined(stealCores(run)),
            saturated: run.saturated,
            ...(run.machineLimit ? { machineLimit: run.machineLimit } : {}),
            errors: run.errors,
          };
        }),
      ),
    };
  }
  const comparisons: Record<string, unknown> = {};
  for (const key of ['bare-ws-batched', 'bare-ws', 'socket.io'] as const) {
    const comparison = compare(result, 'relay', key);
    if (!comparison) continue;
    comparisons[key] =
      'step' in comparison.choice
        ? {
            offeredPerSec: offeredPerSec(workload, comparison.choice.step),
            cpuRatio: {
              median: finiteOrUndefined(comparison.cpuRatio.median),
              min: finiteOrUndefined(comparison.cpuRatio.min),
              max: finiteOrUndefined(comparison.cpuRatio.max),
            },
            p99Ratio: {
              median: finiteOrUndefined(comparison.p99Ratio.median),
              min: finiteOrUndefined(comparison.p99Ratio.min),
              max: finiteOrUndefined(comparison.p99Ratio.max),
            },
            passedOver: comparison.choice.passedOver,
          }
        : { starved: comparison.choice.starved };
  }
  return {
    connections: workload.connections,
    roomSize: workload.roomSize,
    envelopeBytes: workload.envelopeBytes,
    relayLimits: workload.relayLimits,
    relayArgs: result.relayArgs,
    offeredPerSec: workload.rates.map((_, step) => offeredPerSec(workload, step)),
    referenceStep: workload.referenceStep,
    loadAverage: result.loadAverage,
    relayVs: comparisons,
    servers,
  };
}

export function fanoutSection(context: BenchContext, results: WorkloadResult[]): SectionResult {
  return {
    name: 'fanout',
    jsonKey: 'relay',
    title: 'Relay fan-out',
    status: 'ok',
    tables: results.flatMap((result) => [mainTable(result), sweepTable(result)]),
    verdicts: results.flatMap((result, index) => workloadVerdicts(result, index === 0)),
    json: {
      fanout: Object.fromEntries(results.map((result) => [result.workload.key, workloadJson(result)])),
      ...(context.relay.available ? {} : { relayUnavailable: context.relay.reason }),
    },
  };
}
