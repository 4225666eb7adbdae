/**
 * Cursors in Redis mode: a per-room counter (`HINCRBY meta head`), so cursors are 1, 2, 3, …
 * per incarnation, written as decimal text everywhere Redis holds one: the stream id
 * `<cursor>-0` of a retained envelope, the fields of the pinned-envelope hash, the room's
 * metadata and the fan-out messages.
 */

/** Decimal digits of the largest cursor, 2^53 − 1 (PROTOCOL.md A.1). */
const MAX_CURSOR_DIGITS = 16;
const CURSOR_PATTERN = /^\d{1,16}$/;
const STREAM_ID_PATTERN = /^(\d{1,16})-0$/;

/** A cursor written by our scripts; undefined for anything else. */
export function parseCursor(text: string): number | undefined {
  if (text.length > MAX_CURSOR_DIGITS || !CURSOR_PATTERN.test(text)) return undefined;
  const cursor = Number(text);
  return Number.isSafeInteger(cursor) ? cursor : undefined;
}

/** The cursor of a stream id `<cursor>-0`; undefined for anything else. */
export function cursorOfStreamId(id: string): number | undefined {
  const match = STREAM_ID_PATTERN.exec(id);
  return match ? parseCursor(match[1]!) : undefined;
}

/** The XRANGE start that reads the envelopes after `after` (exclusive). */
export function streamStartAfter(after: number): string {
  return after <= 0 ? '-' : `(${after}-0`;
}
