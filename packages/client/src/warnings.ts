/**
 * How a room raises warnings: a `warning` event naming the room, the member concerned and a
 * stable code. Warnings replace what could not be shown (DESIGN.md §3.8); the session goes on.
 */
import type { WarningKind } from './api.js';
import type { EventHub } from './events.js';

/** Raises a warning in one room. `member` is an identity id, when one can be named. */
export type Warn = (kind: WarningKind, member: string | null, code: string, detail: string) => void;

export function roomWarner(events: EventHub, roomId: string): Warn {
  return (kind, member, code, detail) => events.emit('warning', { kind, roomId, member, code, detail });
}

/** Codes of envelopes that were genuine once and came again (C.7 step 5). */
const REPLAY_CODES: ReadonlySet<string> = new Set(['DUPLICATE', 'TOO_OLD', 'KEY_ALREADY_KNOWN']);

/** An envelope that failed to open: a replay, or one that failed verification. */
export function warnEnvelope(warn: Warn, code: string, member: string | null): void {
  if (REPLAY_CODES.has(code)) warn('replay', member, code, 'an envelope was replayed');
  else warn('bad-message', member, code, 'an envelope failed verification and was dropped');
}
