// The rules that decide whether a figure gets a verdict: saturation, a generator that set
// the pace, the step servers are compared at, and how the summary says "no verdict".
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../src/load/generator.js';
import { jsonReport, summaryTable, type SectionResult } from '../src/report.js';
import { chooseStep, isSaturated, machineLimit, ratiosByRound, STARVED, stepRun, type StepRun, type SubjectRuns } from '../src/starvation.js';

/** A run that carried its load with the generator keeping up. */
function healthy(overrides: Partial<RunResult> = {}): RunResult {
  return {
    offeredPerSec: 72_000,
    deliveredPerSec: 72_000,
    deliveredRatio: 1,
    p50Ms: 0.3,
    p99Ms: 2,
    skippedRatio: 0,
    sentPerSec: 8_000,
    generatorLoopUtilisation: 0.3,
    scheduleKeptRatio: 1,
    drained: true,
    errors: {},
    serverCpuSeconds: 0.3,
    cpuSecondsByPid: [0.3],
    generatorCpuSeconds: 0.4,
    machineBusySeconds: 0.8,
    ownCpuSeconds: 0.75,
    machineStealSeconds: 0,
    windowSeconds: 1,
    ...overrides,
  };
}

const SATURATED: Partial<RunResult> = { deliveredRatio: 0.7, p50Ms: 300 };
const LAGGING: Partial<RunResult> = { scheduleKeptRatio: 0.9 };

/** One subject over rounds; each round lists the overrides of each step (null: not run). */
function subject(label: string, rounds: (Partial<RunResult> | null)[][]): SubjectRuns {
  return {
    label,
    rounds: rounds.map((steps) => steps.map((overrides, step) => (overrides === null ? undefined : stepRun(healthy(overrides), step, step + 1)))),
  };
}

const load = (step: number) => `step ${step}`;

describe('saturation and the generator', () => {
  it('calls a run saturated when deliveries fall short, sends are skipped or the median waits', () => {
    expect(isSaturated(healthy())).toBe(false);
    expect(isSaturated(healthy({ deliveredRatio: 0.94 }))).toBe(true);
    expect(isSaturated(healthy({ skippedRatio: 0.02 }))).toBe(true);
    expect(isSaturated(healthy({ p50Ms: 51 }))).toBe(true);
    expect(isSaturated(healthy({ p50Ms: Number.NaN }))).toBe(true);
  });

  it('blames the machine when the generator lagged its schedule, a worker loop was saturated or others crowded the cores', () => {
    expect(machineLimit(healthy())).toBeUndefined();
    expect(machineLimit(healthy({ scheduleKeptRatio: 0.97 }))).toMatch(/issued only 97\.0% of its schedule/);
    expect(machineLimit(healthy({ generatorLoopUtilisation: 0.95 }))).toMatch(/busy 95% of the window/);
    // Busy 1.45 core-seconds in a 1 s window, 0.75 of them the harness's own processes'.
    expect(machineLimit(healthy({ machineBusySeconds: 1.45 }))).toBe('other processes kept 0.70 cores busy during the window');
    expect(machineLimit(healthy({ machineBusySeconds: 1.2 }))).toBeUndefined();
    // A server that stops reading makes sends skip; that is the server's limit, not the machine's.
    expect(machineLimit(healthy({ skippedRatio: 0.5, deliveredRatio: 0.5 }))).toBeUndefined();
  });
});

describe('choosing the step to compare at', () => {
  it('compares at the reference step when both servers carried it in every round', () => {
    const a = subject('relay', [
      [{}, {}, {}],
      [{}, {}, {}],
    ]);
    const b = subject('bare', [
      [{}, {}, {}],
      [{}, {}, {}],
    ]);
    expect(chooseStep([a, b], 1, load)).toEqual({ step: 1, passedOver: [] });
  });

  it('falls back to the highest lower step a slower server carried, and says why', () => {
    const a = subject('relay', [[{}, {}, {}]]);
    const b = subject('socket.io', [[{}, {}, SATURATED]]);
    expect(chooseStep([a, b], 2, load)).toEqual({ step: 1, passedOver: ['step 2: socket.io was saturated there in round 1'] });
  });

  it('falls back at most one step: lighter loads measure fixed costs, not the cost per delivery', () => {
    const a = subject('relay', [[{}, {}, {}]]);
    const b = subject('bare', [[{}, SATURATED, SATURATED]]);
    expect(chooseStep([a, b], 2, load)).toEqual({
      starved:
        'neither at step 2 nor one step below did every server carry the load with the machine not the limit (step 2: bare was saturated there in round 1; step 1: bare was saturated there in round 1)',
    });
  });

  it('passes over a step the generator could not keep up with in any one round', () => {
    const a = subject('relay', [
      [{}, {}],
      [{}, LAGGING],
    ]);
    const b = subject('bare', [
      [{}, {}],
      [{}, {}],
    ]);
    const choice = chooseStep([a, b], 1, load);
    expect(choice).toMatchObject({ step: 0 });
    expect('step' in choice && choice.passedOver[0]).toMatch(/^step 1: relay, round 2: the generator issued only 90\.0%/);
  });

  it('passes over a step a server skipped for being deep in overload', () => {
    const a = subject('relay', [[{}, {}]]);
    const b = subject('bare', [[{}, null]]);
    expect(chooseStep([a, b], 1, load)).toMatchObject({ step: 0 });
  });

  it('refuses a verdict when the first step already saturated any server', () => {
    const a = subject('relay', [[{}, {}]]);
    const b = subject('bare', [
      [{}, {}],
      [SATURATED, {}],
    ]);
    expect(chooseStep([a, b], 1, load)).toEqual({ starved: 'the first step (step 0) already saturated bare in round 2' });
  });

  it('refuses a verdict when the first step saturated a server of the workload that is not being compared', () => {
    const a = subject('relay', [[{}, {}]]);
    const b = subject('bare', [[{}, {}]]);
    const slow = subject('socket.io', [[SATURATED, null]]);
    expect(chooseStep([a, b], 1, load, [a, b, slow])).toEqual({ starved: 'the first step (step 0) already saturated socket.io in round 1' });
  });

  it('refuses a verdict when the generator could not keep its schedule at the first step', () => {
    const a = subject('relay', [[LAGGING, {}]]);
    const b = subject('bare', [[{}, {}]]);
    expect(chooseStep([a, b], 1, load)).toMatchObject({
      starved: expect.stringMatching(/^at the first step \(step 0\), round 1, relay: the generator issued only/),
    });
  });

  it('divides a figure round by round at the chosen step', () => {
    const a: SubjectRuns = { label: 'a', rounds: [[stepRun(healthy({ p99Ms: 3 }), 0, 1)], [stepRun(healthy({ p99Ms: 4 }), 0, 1)]] };
    const b: SubjectRuns = { label: 'b', rounds: [[stepRun(healthy({ p99Ms: 2 }), 0, 1)], [undefined]] };
    const ratios = ratiosByRound(a, b, 0, (run: StepRun) => run.p99Ms);
    expect(ratios[0]).toBe(1.5);
    expect(ratios[1]).toBeNaN();
  });
});

describe('the summary', () => {
  const section: SectionResult = {
    name: 'fanout',
    title: 'Relay fan-out',
    status: 'ok',
    tables: [],
    verdicts: [
      {
        key: 'fanout1000.relayCpu',
        figure: 'CPU vs batched',
        value: '1.20×',
        numeric: 1.2,
        target: '≤ 1.00×',
        met: false,
        spread: { median: 1.2, min: 1.1, max: 1.3, count: 3 },
      },
      {
        key: 'fanout1000.relayP99',
        figure: 'p99 vs batched',
        value: 'n/a',
        target: '≤ 1.50×',
        starved: 'the first step (18,000 deliveries/s) already saturated bare in round 1',
      },
      { key: 'files.ratio', figure: 'files', value: '0.70×', numeric: 0.7, target: '≥ 0.65×', met: true },
      { figure: 'context only', value: '3', target: 'context' },
    ],
  };

  it('prints met, not met and "machine starved — no verdict" with the reason under the table', () => {
    const table = summaryTable([section]);
    expect(table.rows.map((row) => row.at(-1))).toEqual(['not met', STARVED, 'met', '']);
    expect(table.rows[0]![2]).toBe('[1.10–1.30] over 3');
    expect(table.notes).toEqual(['No verdict on “p99 vs batched”: the first step (18,000 deliveries/s) already saturated bare in round 1.']);
  });

  it('files every keyed figure under its dotted path in the JSON summary, with its verdict', () => {
    const report = jsonReport({}, [section]) as { summary: Record<string, Record<string, Record<string, unknown>>> };
    expect(report.summary.fanout1000!.relayCpu).toEqual({
      figure: 'CPU vs batched',
      value: 1.2,
      display: '1.20×',
      spread: { min: 1.1, max: 1.3, rounds: 3 },
      target: '≤ 1.00×',
      verdict: 'not met',
    });
    expect(report.summary.fanout1000!.relayP99).toMatchObject({ verdict: STARVED, reason: expect.stringContaining('already saturated') });
    expect(report.summary.files!.ratio).toMatchObject({ value: 0.7, verdict: 'met' });
  });
});
