// Order statistics for benchmark samples.

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile, q in [0, 1]; NaN for an empty list. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  return quantileOfSorted(sorted, q);
}

export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (position - lower);
}

/** a / b, or NaN when either is missing or b is zero, so a missing figure never turns into a ratio. */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return Number.NaN;
  return a / b;
}

/** The median of a figure over rounds, with its lowest and highest value. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many values (rounds) it summarises. */
  count: number;
}

/** Median, min and max of the finite values; NaN throughout when there are none. */
export function spread(values: readonly number[]): Spread {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, count: 0 };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), count: finite.length };
}
