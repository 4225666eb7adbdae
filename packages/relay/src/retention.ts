/**
 * A room's retention age, fixed when it is registered (docs/PROTOCOL.md A.3): the first
 * `prove` may ask for less than the relay keeps (disappearing messages), never less than
 * the relay's floor. Nothing an admitted connection sends later can change it, so no
 * member (nor anyone who once held the admission key) can shorten what a room keeps.
 */
import type { RetentionLimits } from './options.js';

/** Whether a `prove`'s `maxAgeMs` is acceptable: absent, or a positive safe integer. */
export function isRequestedMaxAge(value: unknown): value is number | undefined {
  return value === undefined || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1);
}

/** The age a new registration keeps envelopes for: `max(floor, min(requested, ceiling))`. */
export function registeredMaxAge(requested: number | undefined, retention: Pick<RetentionLimits, 'maxAgeMs' | 'minAgeMs'>): number {
  if (requested === undefined) return retention.maxAgeMs;
  return Math.max(retention.minAgeMs, Math.min(requested, retention.maxAgeMs));
}
