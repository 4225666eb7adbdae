import type { AppState } from '../../state.js';
import type { Transfer } from './initialState.js';
import { bytesPerSecond } from '../../../lib/transfer-rate.js';

export const selectTransfer = (fileId: string) => (s: AppState) => s.files.transfers[fileId] ?? null;

/** Progress from 0 to 1, or null when the size is unknown. */
export function transferFraction(t: Transfer): number | null {
  if (t.status === 'complete') return 1;
  return t.total > 0 ? Math.min(1, t.bytes / t.total) : null;
}

/** Bytes per second while it runs, or null (not running, or too early to tell). */
export function transferRate(t: Transfer): number | null {
  return t.status === 'transferring' ? bytesPerSecond(t.rateSamples) : null;
}
