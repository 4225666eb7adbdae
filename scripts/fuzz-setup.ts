/**
 * Setup of the `fuzz` Vitest project (vitest.config.ts): every fuzz target in every package
 * runs with the same fast-check parameters, read here once from the environment, and each
 * file prints how many runs each of its properties (one decoder, or one way of attacking it)
 * really made, so a full `pnpm fuzz` shows that no target ran short.
 *
 * FUZZ_RUNS: runs per property (vitest.config.ts sets it: 200 in `pnpm test:unit`, 10,000
 * in `pnpm fuzz`). FUZZ_SEED: replays the seed a failure printed.
 */
import fc from 'fast-check';
import { afterAll, expect } from 'vitest';

/**
 * One run of an async property taking longer than this is a hang, and fails the property
 * with its input. The slowest honest run (a relay round trip, or an RSA-OAEP decryption on a
 * loaded 2-core machine) is about 100 ms. A synchronous decoder that loops forever blocks
 * the worker instead; the test timeout (vitest.config.ts) ends it.
 */
const RUN_TIMEOUT_MS = 5_000;

function positiveInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not ${text}`);
  return value;
}

const runs = positiveInteger('FUZZ_RUNS', process.env.FUZZ_RUNS);
if (runs === undefined) throw new Error('FUZZ_RUNS is unset: run the fuzz targets through the `fuzz` Vitest project (vitest.config.ts)');
const seed = ((text) => {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`FUZZ_SEED must be an integer (fast-check prints it), not ${text}`);
  return value;
})(process.env.FUZZ_SEED);

/** Runs made per property of this file, in the order they ran. */
const made = new Map<string, number>();

fc.configureGlobal({
  numRuns: runs,
  ...(seed === undefined ? {} : { seed }),
  timeout: RUN_TIMEOUT_MS,
  // fast-check's own reporter, plus a count of the runs really made (a filter that rejects
  // too much, or an interrupted run, would otherwise shorten a target silently).
  reporter(details) {
    const name = expect.getState().currentTestName ?? '(outside a test)';
    made.set(name, (made.get(name) ?? 0) + details.numRuns);
    if (details.failed) throw new Error(fc.defaultReportMessage(details), { cause: details.errorInstance });
  },
});

afterAll(() => {
  const file = expect.getState().testPath ?? '';
  const lines = [...made].map(([name, count]) => `  runs=${String(count).padStart(6)}  ${name}`);
  console.log(`fuzz runs per property (FUZZ_RUNS=${runs}), ${file.replace(`${process.cwd()}/`, '')}:\n${lines.join('\n')}`);
});
