/**
 * Size and time units, each defined once for the whole tree.
 *
 * Every package may import this one, the relay included (it may not import
 * `@sealroom/protocol`), so it holds nothing but numbers: no imports, no platform objects,
 * no side effects. Name a quantity by its unit (`retentionMs = 7 * DAY_MS`,
 * `maxFrameBytes = MIB`) rather than writing `86_400_000` or `1024 * 1024`.
 *
 * @packageDocumentation
 */

// ---- sizes, in bytes (binary multiples, as memory and chunk sizes are counted) -----------

/** One kibibyte (KiB): 1,024 bytes. */
export const KIB = 1024;
/** One mebibyte (MiB): 1,048,576 bytes. */
export const MIB = 1024 * KIB;
/** One gibibyte (GiB): 1,073,741,824 bytes. */
export const GIB = 1024 * MIB;

// ---- durations, in milliseconds (what `Date.now()`, timers and the clock ports count) ----

/** One second in milliseconds. */
export const SECOND_MS = 1000;
/** One minute in milliseconds. */
export const MINUTE_MS = 60 * SECOND_MS;
/** One hour in milliseconds. */
export const HOUR_MS = 60 * MINUTE_MS;
/** One day (24 hours, not a calendar day) in milliseconds. */
export const DAY_MS = 24 * HOUR_MS;

// ---- durations, in seconds (what the wire's disappearing-message timer counts) ----------

/** One minute in seconds. */
export const MINUTE_S = MINUTE_MS / SECOND_MS;
/** One hour in seconds. */
export const HOUR_S = HOUR_MS / SECOND_MS;
/** One day (24 hours) in seconds. */
export const DAY_S = DAY_MS / SECOND_MS;

// ---- finer clocks (CPU profiles count microseconds, `process.hrtime` nanoseconds) -------

/** One millisecond in microseconds. */
export const MILLISECOND_US = 1000;
/** One second in microseconds. */
export const SECOND_US = SECOND_MS * MILLISECOND_US;
/** One millisecond in nanoseconds. */
export const MILLISECOND_NS = 1000 * MILLISECOND_US;
/** One second in nanoseconds. */
export const SECOND_NS = SECOND_MS * MILLISECOND_NS;
