/**
 * How a room raises warnings: a `warning` event naming the room, the member concerned and a
 * code of the warning's kind. Warnings replace what could not be shown (DESIGN.md §3.8);
 * the session goes on.
 */
import type { WelcomeErrorCode } from '@sealroom/protocol';
import type { Warning } from './api.js';
import type { ReplayCode, WarningCodes, WarningKind } from './codes.js';
import type { EventHub } from './events.js';

/** Raises a warning in one room. `member` is an identity id, when one can be named. */
export type Warn = <K extends WarningKind>(kind: K, member: string | null, code: WarningCodes[K], detail: string) => void;

export function roomWarner(events: EventHub, roomId: string): Warn {
  // The mapped Warning type pairs each kind with its codes; `Warn` enforces the pairing.
  return (kind, member, code, detail) => events.emit('warning', { kind, roomId, member, code, detail } as Warning);
}

/** Codes of envelopes that were genuine once and came again (C.7 step 5). */
const REPLAY_CODES: Record<ReplayCode, true> = { DUPLICATE: true, TOO_OLD: true, KEY_ALREADY_KNOWN: true, STALE_COMMIT: true };

function isReplay(code: WelcomeErrorCode): code is ReplayCode {
  return Object.hasOwn(REPLAY_CODES, code);
}

/** An envelope that failed to open: a replay, or one that failed verification. */
export function warnEnvelope(warn: Warn, code: WelcomeErrorCode, member: string | null): void {
  if (isReplay(code)) warn('replay', member, code, 'an envelope was replayed');
  else warn('bad-message', member, code, 'an envelope failed verification and was dropped');
}
