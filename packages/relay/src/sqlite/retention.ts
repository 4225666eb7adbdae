/**
 * Retention in the durable store (sqlite/store.ts): which envelopes are past their room's
 * age, trimming one room to its count, bytes and age, and trimming all rooms to the overall
 * byte bound. Apart from the store because it is the one part that decides what is deleted,
 * and it needs only the statements, the limits, the totals and a way to touch a room.
 */
import type { RetentionLimits } from '../options.js';
import type { Room, Totals } from './store-state.js';
import type { Statements } from './statements.js';

/** Envelopes dropped per query when trimming the overall byte bound. */
const TOTAL_TRIM_BATCH = 256;

/** What trimming needs from the store (a port). */
export interface RetentionPort {
  readonly sql: Statements;
  readonly retention: RetentionLimits;
  readonly totals: Totals;
  /** The room's cached state, loaded and marked as touched by this batch. */
  touchRoom(room: string): Room;
}

/** Highest cursor of the room's unpinned envelopes that are past their age (0 if none). */
export function expiredUpTo(sql: Statements, state: Room, nowMs: number): number {
  const oldestKept = nowMs - state.max_age_ms;
  if (state.envelopes === 0 || state.oldest_at_ms > oldestKept) return 0;
  let upTo = 0;
  for (const row of sql.front.iterate(state.id, state.trimmed_up_to) as IterableIterator<{ cursor: number; at_ms: number }>) {
    if (row.at_ms > oldestKept) break;
    upTo = row.cursor;
  }
  return upTo;
}

/** Drops the room's oldest envelopes past its count, bytes or age. */
export function trimRoom(store: RetentionPort, state: Room, nowMs: number): void {
  const { sql, retention, totals } = store;
  const { maxEnvelopesPerRoom, maxBytesPerRoom } = retention;
  const oldestKept = nowMs - state.max_age_ms;
  if (state.envelopes <= maxEnvelopesPerRoom && state.bytes <= maxBytesPerRoom && (state.envelopes === 0 || state.oldest_at_ms > oldestKept)) return;
  let envelopes = state.envelopes;
  let bytes = state.bytes;
  let upTo = state.trimmed_up_to;
  let nextAt = 0;
  for (const row of sql.frontSized.iterate(state.id, state.trimmed_up_to) as IterableIterator<{ cursor: number; at_ms: number; size: number }>) {
    if (envelopes <= maxEnvelopesPerRoom && bytes <= maxBytesPerRoom && row.at_ms > oldestKept) {
      nextAt = row.at_ms;
      break;
    }
    envelopes -= 1;
    bytes -= row.size;
    upTo = row.cursor;
  }
  sql.trimRoom.run(state.id, upTo);
  totals.envelopes -= state.envelopes - envelopes;
  totals.bytes -= state.bytes - bytes;
  state.envelopes = envelopes;
  state.bytes = bytes;
  state.trimmed_up_to = upTo;
  state.oldest_at_ms = nextAt;
}

/** Drops the oldest envelopes over all rooms while the total passes maxTotalBytes. */
export function trimTotal(store: RetentionPort): void {
  const { sql, retention, totals } = store;
  while (totals.bytes > retention.maxTotalBytes) {
    const oldest = sql.oldestOverall.all(TOTAL_TRIM_BATCH) as { room_id: number; cursor: number; size: number; room: string }[];
    if (oldest.length === 0) return;
    // Append order over all rooms is the order of `seq`, and rooms trim from their front,
    // so the oldest envelope overall is always the front of its room.
    const cut = new Map<string, { cursor: number; count: number; bytes: number }>();
    let excess = totals.bytes - retention.maxTotalBytes;
    for (const row of oldest) {
      if (excess <= 0) break;
      const entry = cut.get(row.room) ?? { cursor: 0, count: 0, bytes: 0 };
      entry.cursor = row.cursor;
      entry.count += 1;
      entry.bytes += row.size;
      cut.set(row.room, entry);
      excess -= row.size;
    }
    for (const [room, entry] of cut) {
      const state = store.touchRoom(room);
      sql.trimRoom.run(state.id, entry.cursor);
      state.envelopes -= entry.count;
      state.bytes -= entry.bytes;
      state.trimmed_up_to = entry.cursor;
      state.oldest_at_ms = state.envelopes === 0 ? 0 : ((sql.frontSized.get(state.id, entry.cursor) as { at_ms: number } | undefined)?.at_ms ?? 0);
      totals.envelopes -= entry.count;
      totals.bytes -= entry.bytes;
    }
  }
}
