/**
 * Pinned envelopes (docs/PROTOCOL.md A.4): kept outside count, bytes and age trimming, and
 * part of every history answer whose range holds them, even inside a reported gap. Stores
 * keep them apart from the retained log and merge them into its pages here.
 */
import type { RetainedEnvelope } from './store.js';

/**
 * One history page of at most `limit` entries from a page of retained envelopes (at most
 * `limit`, `retainedMore` when more follow) and the room's pinned envelopes after the same
 * cursor, both in cursor order. A pinned envelope past the last retained one of a page
 * that has more belongs to a later page, which reads it again.
 */
export function mergePinned(
  retained: readonly RetainedEnvelope[],
  retainedMore: boolean,
  pinned: readonly RetainedEnvelope[],
  limit: number,
): { entries: readonly RetainedEnvelope[]; more: boolean } {
  if (pinned.length === 0) return { entries: retained, more: retainedMore };
  const boundary = retainedMore ? (retained.at(-1)?.cursor ?? 0) : Number.POSITIVE_INFINITY;
  const entries: RetainedEnvelope[] = [];
  let r = 0;
  let p = 0;
  while (entries.length < limit) {
    const nextRetained = retained[r];
    const nextPinned = p < pinned.length && pinned[p]!.cursor <= boundary ? pinned[p] : undefined;
    if (nextRetained === undefined && nextPinned === undefined) break;
    if (nextPinned === undefined || (nextRetained !== undefined && nextRetained.cursor < nextPinned.cursor)) {
      entries.push(nextRetained!);
      r += 1;
    } else {
      entries.push(nextPinned);
      p += 1;
    }
  }
  const more = retainedMore || r < retained.length || p < pinned.length;
  return { entries, more };
}
