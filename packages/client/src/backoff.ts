/**
 * Reconnect delays (PROTOCOL C.8): `min(cap, base × 2^attempt)` scaled by full jitter, never
 * below half the base. Full jitter (AWS architecture blog) spreads a crowd of clients
 * reconnecting after a relay restart across the whole window instead of synchronised waves.
 */

/** First reconnect delay before jitter, ms. */
export const DEFAULT_BACKOFF_BASE_MS = 500;
/** Cap on a reconnect delay, ms: long enough not to hammer a relay that is down. */
export const DEFAULT_BACKOFF_MAX_MS = 30_000;
/** Backoff doubles at most this many times before the cap applies (keeps 2^n finite). */
const MAX_BACKOFF_DOUBLINGS = 30;

/** Uniform random integer in [0, bound) from crypto.getRandomValues (never Math.random). */
function randomBelow(bound: number): number {
  if (bound <= 1) return 0;
  const word = new Uint32Array(1);
  globalThis.crypto.getRandomValues(word);
  return Math.floor((word[0]! / 2 ** 32) * bound);
}

/** The delay before reconnect attempt `attempt` (0 for the first retry), ms. */
export function reconnectDelay(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt, MAX_BACKOFF_DOUBLINGS));
  return Math.max(baseDelayMs / 2, randomBelow(ceiling));
}
