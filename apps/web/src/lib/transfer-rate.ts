// A file transfer's speed, from the progress it reports: bytes over the last few seconds,
// so the figure follows the transfer as it speeds up or slows down. Pure (time is passed
// in), so the tests and the FileCard agree on every figure.
import { formatBytes } from './format.js';

/** Progress older than this does not count towards the speed, ms. */
export const RATE_WINDOW_MS = 3_000;
/** No speed is shown before progress spans this long: two early reports say little, ms. */
export const RATE_MIN_SPAN_MS = 500;
const MS_PER_S = 1_000;

export interface RateSample {
  atMs: number;
  bytes: number;
}

/** The samples to keep after a new one: those within {@link RATE_WINDOW_MS} of it, and it. */
export function addSample(samples: readonly RateSample[], sample: RateSample): RateSample[] {
  const last = samples.at(-1);
  // Progress that went backwards is a new transfer: start over.
  const kept = last !== undefined && sample.bytes < last.bytes ? [] : samples.filter((s) => sample.atMs - s.atMs <= RATE_WINDOW_MS);
  return [...kept, sample];
}

/** Bytes per second over the samples, or null while they span less than {@link RATE_MIN_SPAN_MS}. */
export function bytesPerSecond(samples: readonly RateSample[]): number | null {
  const first = samples[0];
  const last = samples.at(-1);
  if (first === undefined || last === undefined || last.atMs - first.atMs < RATE_MIN_SPAN_MS) return null;
  return ((last.bytes - first.bytes) * MS_PER_S) / (last.atMs - first.atMs);
}

/** "12 MB/s", "850 KB/s". */
export function formatRate(bytesPerS: number): string {
  return `${formatBytes(Math.round(bytesPerS))}/s`;
}
