/**
 * Cursors in Redis mode are Redis Stream ids in disguise. A stream id is `<ms>-<seq>`;
 * the cursor packs it into one integer, `ms × 2^CURSOR_SEQ_BITS + seq`, so
 *
 * - every process maps a cursor to the same stream id and back, with no lookup;
 * - cursors strictly increase per room (stream ids do) and need not be contiguous,
 *   which PROTOCOL.md A.1 allows;
 * - age trimming is `XTRIM MINID <now − maxAge>-0` on the same ids;
 * - a room that is evicted and later reused still gets cursors above every cursor a
 *   client kept from before, because time moved on.
 */

/** Low bits of a cursor that hold the per-millisecond sequence: 1,024 appends per ms per room. */
const CURSOR_SEQ_BITS = 10;
/** Appends one room can take within one millisecond before the script borrows the next one. */
export const CURSOR_SEQ_PER_MS = 2 ** CURSOR_SEQ_BITS;
/**
 * Largest millisecond timestamp whose cursors stay ≤ 2^53 − 1 (PROTOCOL.md A.1): 2^43 ms,
 * about the year 2248. The Lua script also relies on it: Lua prints numbers with 14
 * significant digits, and 2^43 has 13.
 */
export const MAX_CURSOR_MS = 2 ** (53 - CURSOR_SEQ_BITS) - 1;

interface StreamId {
  readonly ms: number;
  readonly seq: number;
}

export function cursorToStreamId(cursor: number): StreamId {
  if (!Number.isSafeInteger(cursor) || cursor < 0) throw new RangeError('cursor must be a safe non-negative integer');
  return { ms: Math.floor(cursor / CURSOR_SEQ_PER_MS), seq: cursor % CURSOR_SEQ_PER_MS };
}

export function streamIdToCursor(id: StreamId): number {
  return id.ms * CURSOR_SEQ_PER_MS + id.seq;
}

const STREAM_ID_PATTERN = /^(\d{1,16})-(\d{1,4})$/;

/** Parses `<ms>-<seq>` as written by our scripts; undefined for anything else. */
export function parseStreamId(text: string): StreamId | undefined {
  const match = STREAM_ID_PATTERN.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]);
  const seq = Number(match[2]);
  if (ms > MAX_CURSOR_MS || seq >= CURSOR_SEQ_PER_MS) return undefined;
  return { ms, seq };
}

export function formatStreamId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}
