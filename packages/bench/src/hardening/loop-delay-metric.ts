// The relay's `sealroom_event_loop_delay_seconds` histogram (packages/relay/src/loop-delay.ts)
// read from its /metrics text, and what it says about one phase: the difference of two
// scrapes, as samples, the bucket bound under which 99% fell, and the highest bucket reached.

const METRIC = 'sealroom_event_loop_delay_seconds';

/** Cumulative counts by upper bound (seconds; +Inf last), as Prometheus exposes them. */
export type LoopDelayBuckets = ReadonlyMap<number, number>;

export function loopDelayBuckets(text: string): LoopDelayBuckets | undefined {
  const buckets = new Map<number, number>();
  const line = new RegExp(`^${METRIC}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm');
  for (const match of text.matchAll(line)) buckets.set(match[1] === '+Inf' ? Infinity : Number(match[1]), Number(match[2]));
  return buckets.size === 0 ? undefined : buckets;
}

const fmt = (seconds: number) => (seconds === Infinity ? '>2s' : `≤${(seconds * 1000).toFixed(0)}ms`);

/** "p99 ≤5ms, max ≤20ms (200 samples)" for the samples between two scrapes; "n/a" without the metric. */
export function loopDelaySummary(before: LoopDelayBuckets | undefined, after: LoopDelayBuckets | undefined): string {
  if (before === undefined || after === undefined) return 'n/a';
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const delta = bounds.map((bound) => (after.get(bound) ?? 0) - (before.get(bound) ?? 0));
  const total = delta.at(-1) ?? 0;
  if (total === 0) return 'no samples';
  const p99 = bounds[delta.findIndex((count) => count >= 0.99 * total)]!;
  const max = bounds[delta.findIndex((count) => count === total)]!;
  return `p99 ${fmt(p99)}, max ${fmt(max)} (${total} samples)`;
}
