/**
 * What every fuzz target shares (the targets are `packages/{protocol,relay,client}/test/fuzz/
 * *.fuzz.test.ts`): how many runs, and the mutations applied to valid encodings.
 *
 * One set of targets, two lengths: vitest.config.ts's `fuzz` project sets FUZZ_RUNS, a short
 * pass in every `pnpm test:unit` and 10,000 runs per property in `pnpm fuzz`; its setup
 * (scripts/fuzz-setup.ts) configures fast-check and prints the runs each property made. A
 * failure prints fast-check's seed and path; `FUZZ_SEED=<seed>` replays that run.
 *
 * The properties every target checks, in this vocabulary: a decoder is *total* (returns a
 * typed failure, never throws, on bounded input); it *round-trips* where an encoder exists;
 * a *mutation* of a valid authenticated encoding is refused with a code of its documented
 * union; and a mutation of an unauthenticated one is refused or read as the value its bytes
 * canonically encode, never as something else.
 */
import fc from 'fast-check';
import { expect } from 'vitest';

/** Runs per property: the `fuzz` project's setup (scripts/fuzz-setup.ts) sets them globally. */
export const FUZZ_RUNS: number = fc.readConfigureGlobal().numRuns ?? 0;
if (FUZZ_RUNS < 1) throw new Error('no fuzz run count: run the fuzz targets through the `fuzz` Vitest project (vitest.config.ts)');

/**
 * fast-check parameters of one property: FUZZ_RUNS runs, or `FUZZ_RUNS / divisor` (at least
 * one) for a target that costs an RSA operation or a relay round trip per run. The seed, the
 * per-run timeout and the run count report come from the global setup.
 */
export function fuzzParameters(divisor = 1): { numRuns: number } {
  return { numRuns: Math.max(1, Math.floor(FUZZ_RUNS / divisor)) };
}

/**
 * The members of a failure-code union as a list. Written as a record so that the compiler
 * checks it complete: a code added to the union without being listed here fails typecheck.
 */
export function codesOf<C extends string>(all: Record<C, true>): readonly C[] {
  return Object.keys(all) as C[];
}

/** Detail that the openers' last-resort `catch` gives an exception: the fuzz must never see it. */
const SWALLOWED_EXCEPTION = 'unexpected';

/** A result that refuses with one of `codes`, and not by swallowing an exception. */
export function expectRefused(result: { ok: boolean; code?: string; detail?: string }, codes: readonly string[]): void {
  expect(result.ok, 'accepted a mutated or forged input').toBe(false);
  expect(codes).toContain(result.code);
  expect(result.detail, `refused ${String(result.code)} only because something threw inside`).not.toBe(SWALLOWED_EXCEPTION);
}

/** A result that may be either, but a failure carries a code of `codes` and no swallowed exception. */
export function expectTotal(result: { ok: boolean; code?: string; detail?: string }, codes: readonly string[]): void {
  if (result.ok) return;
  expect(codes).toContain(result.code);
  expect(result.detail, `refused ${String(result.code)} only because something threw inside`).not.toBe(SWALLOWED_EXCEPTION);
}

// ---- byte mutations ------------------------------------------------------------------------

/** Longest run of bytes a mutation inserts or appends. */
const MAX_MUTATION_BYTES = 64;
/** Most mutations applied to one sample. */
const MAX_MUTATIONS = 3;

/** Where a mutation lands: near the start (headers), near the end (tags, signatures), or anywhere. */
type Position = { from: 'start' | 'end'; offset: number } | { from: 'anywhere'; fraction: number };

/** What a network, a storage or an attacker can do to a valid encoding. */
export type Mutation =
  | { kind: 'flip'; at: Position; bit: number }
  | { kind: 'set'; at: Position; value: number }
  | { kind: 'truncate'; at: Position }
  | { kind: 'extend'; bytes: Uint8Array }
  | { kind: 'insert'; at: Position; bytes: Uint8Array }
  | { kind: 'delete'; at: Position; count: number };

const position: fc.Arbitrary<Position> = fc.oneof(
  fc.record({ from: fc.constant('start' as const), offset: fc.nat(80) }),
  fc.record({ from: fc.constant('end' as const), offset: fc.nat(600) }),
  fc.record({ from: fc.constant('anywhere' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
);
const someBytes = fc.uint8Array({ minLength: 1, maxLength: MAX_MUTATION_BYTES });

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  // Bit flips keep every length field intact, so they reach the deepest checks: weigh them most.
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('set' as const), at: position, value: fc.nat(255) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: position }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extend' as const), bytes: someBytes }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: position, bytes: someBytes }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 32 }) }) },
);

/** An index in [0, length) (length ≥ 1), or in [0, length] with `inclusive`. */
function indexOf(at: Position, length: number, inclusive = false): number {
  const span = inclusive ? length + 1 : length;
  if (at.from === 'anywhere') return Math.min(span - 1, Math.floor(at.fraction * span));
  const offset = at.offset % span;
  return at.from === 'start' ? offset : span - 1 - offset;
}

/** Applies one mutation to a copy. */
export function applyMutation(data: Uint8Array, m: Mutation): Uint8Array {
  switch (m.kind) {
    case 'flip':
    case 'set': {
      if (data.length === 0) return new Uint8Array([m.kind === 'set' ? m.value : 1 << m.bit]);
      const out = data.slice();
      const i = indexOf(m.at, data.length);
      out[i] = m.kind === 'flip' ? out[i]! ^ (1 << m.bit) : m.value;
      return out;
    }
    case 'truncate':
      return data.slice(0, indexOf(m.at, data.length, true));
    case 'extend': {
      const out = new Uint8Array(data.length + m.bytes.length);
      out.set(data);
      out.set(m.bytes, data.length);
      return out;
    }
    case 'insert': {
      const i = indexOf(m.at, data.length, true);
      const out = new Uint8Array(data.length + m.bytes.length);
      out.set(data.subarray(0, i));
      out.set(m.bytes, i);
      out.set(data.subarray(i), i + m.bytes.length);
      return out;
    }
    case 'delete': {
      if (data.length === 0) return data.slice();
      const i = indexOf(m.at, data.length);
      const out = new Uint8Array(data.length - Math.min(m.count, data.length - i));
      out.set(data.subarray(0, i));
      out.set(data.subarray(i + m.count), i);
      return out;
    }
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** A mutated sample: which sample (its index in the list), and the bytes, never equal to it. */
export interface Mutated {
  index: number;
  bytes: Uint8Array;
}

/**
 * One of `samples()` (read when the run starts: fixtures load in `beforeAll`), changed by one to
 * three mutations. Results equal to the original are dropped.
 */
export function mutatedBytes(samples: () => readonly Uint8Array[]): fc.Arbitrary<Mutated> {
  return fc
    .record({ pick: fc.nat(), mutations: fc.array(mutationArbitrary, { minLength: 1, maxLength: MAX_MUTATIONS }) })
    .map(({ pick, mutations }) => {
      const list = samples();
      const index = pick % list.length;
      const original = list[index]!;
      return { index, bytes: mutations.reduce(applyMutation, original) };
    })
    .filter(({ index, bytes }) => !sameBytes(bytes, samples()[index]!));
}

// ---- text mutations ------------------------------------------------------------------------

/** Characters that matter to the text formats we parse: JSON, URLs, base64url, digits. */
const INTERESTING_CHARS = [...'{}[]":,\\ \t\n0123456789.-+eE&=#%?/@:AZaz_~!\u0000\u202e\ud800\u{1f600}'];

type TextMutation =
  | { kind: 'replace'; at: number; char: string }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; at: number; count: number };

const textChar = fc.oneof(fc.constantFrom(...INTERESTING_CHARS), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: textChar }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      text: fc.array(textChar, { minLength: 1, maxLength: 8 }).map((c) => c.join('')),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }) },
);

function applyTextMutation(text: string, m: TextMutation): string {
  const at = m.at % (text.length + 1);
  switch (m.kind) {
    case 'replace':
      return at < text.length ? text.slice(0, at) + m.char + text.slice(at + 1) : text + m.char;
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.count);
    case 'truncate':
      return text.slice(0, at);
    case 'duplicate':
      return text.slice(0, at) + text.slice(at, at + m.count) + text.slice(at);
  }
}

/** One of `samples()` changed by one to three character-level mutations; never equal to it. */
export function mutatedText(samples: () => readonly string[]): fc.Arbitrary<{ index: number; text: string }> {
  return fc
    .record({ pick: fc.nat(), mutations: fc.array(textMutation, { minLength: 1, maxLength: MAX_MUTATIONS }) })
    .map(({ pick, mutations }) => {
      const list = samples();
      const index = pick % list.length;
      return { index, text: mutations.reduce(applyTextMutation, list[index]!) };
    })
    .filter(({ index, text }) => text !== samples()[index]);
}
