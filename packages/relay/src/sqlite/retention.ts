/**
 * Retention in the durable store (store.ts): trimming a room by count, bytes and age, the
 * overall byte bound, and which envelopes are past their age but not yet deleted. Kept apart
 * from the store so the store reads as reads, the write batch and rooms, and these rules,
 * which run inside a batch's transaction, can be read on their own.
 */
import type { RetentionLimits } from '../options.js';
import type { RoomKey } from '../store.js';
import type { RoomRow, Statements } from './statements.js';

/** Envelopes dropped per query when trimming the overall byte bound. */
const TOTAL_TRIM_BATCH = 256;

/** A room's cached row, and whether it is still in the table. */
export interface Room extends RoomRow {
  live: boolean;
}

/** What the whole database holds, kept in step with its tables. */
export interface Totals {
  rooms: number;
  envelopes: number;
  bytes: number;
  pinned: number;
  pinnedBytes: number;
  forgotten: number;
  incarnations: number;
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
export function trimRoom(retention: RetentionLimits, sql: Statements, totals: Totals, state: Room, nowMs: number): void {
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

/**
 * Drops the oldest envelopes over all rooms while the total passes maxTotalBytes.
 * `touchRoom` gives a room's cached state, recorded as changed by the batch.
 */
export function trimTotal(retention: RetentionLimits, sql: Statements, totals: Totals, touchRoom: (room: RoomKey) => Room): void {
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
      const state = touchRoom(room);
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
