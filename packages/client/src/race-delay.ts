/**
 * The random delay before a member acts on something every online member sees at once — a
 * knock to admit, a leave proposal to commit (PROTOCOL B.14.2, B.14.4) — so that several
 * online members rarely race to commit the same change. Uniform in [0, 1500) ms, from
 * `crypto.getRandomValues`; the wait itself runs on the room's injected clock.
 */

/** Upper bound (exclusive) of the delay, ms. */
export const RACE_DELAY_MAX_MS = 1_500;
/** 2^32: the range of the random u32 the delay is drawn from. */
const U32_RANGE = 0x1_0000_0000;

export function raceDelayMs(): number {
  const [random] = globalThis.crypto.getRandomValues(new Uint32Array(1));
  return Math.floor((random! / U32_RANGE) * RACE_DELAY_MAX_MS);
}
