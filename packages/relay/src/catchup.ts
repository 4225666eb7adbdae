/**
 * Catch-up (docs/PROTOCOL.md A.5): a member asks for the envelopes after a cursor and
 * gets HISTORY frames, told first when retention has dropped part of that range (`gap`)
 * and last where the page ended (`history-end`, with `more` when it was cut short).
 *
 * Catch-up is the one request where a few bytes in make many bytes out, so its output is
 * budgeted per connection and per address (budgets.ts): a page is cut at what the budget
 * holds, and a request that finds it spent is refused with HISTORY_LIMITED and the time
 * to wait, before anything is read. The budget is checked before the page is read and
 * again once it is, and charged in that same turn for every frame of the answer; the
 * frames then go out in slices over several turns, at the pace the client reads them
 * (history-pacer.ts), so one large answer neither holds the event loop nor fills a buffer.
 */
import { WebSocket } from 'ws';
import type { Connection } from './connection.js';
import type { HistoryBudget } from './budgets.js';
import type { HistoryPacer } from './history-pacer.js';
import { ErrorCode } from './errors.js';
import { envelopeFrame } from './frames.js';
import type { RelayLimits } from './options.js';
import type { Outbound } from './outbound.js';
import type { LocalRoom } from './rooms.js';
import type { RetainedEnvelope, RoomKey, RoomStore } from './store.js';
import { isCursor, type Json } from './validation.js';
import { DELIVER_HEADER_BYTES, FrameKind, MAX_HISTORY_PAGE_ENTRIES, PROTOCOL_VERSION } from './wire.js';

/** What catch-up needs from the relay. */
interface CatchUpPort {
  readonly rooms: ReadonlyMap<RoomKey, LocalRoom>;
  readonly store: Pick<RoomStore, 'readAfter'>;
  readonly out: Pick<Outbound, 'json' | 'error' | 'envelope'>;
  readonly limits: Pick<RelayLimits, 'maxHistoryPageBytes'>;
  readonly budget: Pick<HistoryBudget, 'check' | 'spend'>;
  readonly pacer: Pick<HistoryPacer<Connection>, 'enqueue'>;
}

/** A `history` request of a member: one page of the room's retained envelopes. */
export async function answerHistory(port: CatchUpPort, conn: Connection, room: RoomKey, msg: Json): Promise<void> {
  const { out } = port;
  const after = msg.after;
  const limit = msg.limit ?? MAX_HISTORY_PAGE_ENTRIES;
  if (!isCursor(after) || !Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_HISTORY_PAGE_ENTRIES) {
    out.error(conn, ErrorCode.BAD_MESSAGE, `"after" must be a cursor and "limit" 1..${MAX_HISTORY_PAGE_ENTRIES}`, room);
    return;
  }
  const local = port.rooms.get(room);
  if (!local?.members.has(conn)) {
    out.error(conn, ErrorCode.NOT_JOINED, 'history of a room this connection has not joined', room);
    return;
  }
  // Spent already: refused before anything is read.
  if (!port.budget.check(conn, Date.now()).ok) {
    refuse(port, conn, room);
    return;
  }
  const epoch = local.delivery.epoch;
  const page = await port.store.readAfter(room, after, limit as number, Date.now());
  if (conn.ws.readyState !== WebSocket.OPEN) return;
  // The room moved to another incarnation meanwhile: the member was sent `joined` with its
  // epoch, and this answer, about the old one, would mislead it.
  if (port.rooms.get(room) !== local || local.delivery.epoch !== epoch) return;
  if (page.epoch !== epoch) {
    // The store is in another incarnation than the member's, and has not said so yet: its
    // notice (and `joined`) comes soon; the member asks again.
    out.error(conn, ErrorCode.UNAVAILABLE, 'the room store is changing incarnation; ask again', room);
    return;
  }
  // Checked again as the answer goes out: other answers may have spent it meanwhile.
  const grant = port.budget.check(conn, Date.now());
  if (!grant.ok) {
    refuse(port, conn, room);
    return;
  }
  // The page cap counts envelope bytes (PROTOCOL.md A.5); the budget is charged for what
  // goes out, each HISTORY frame whole, header included, so a room of tiny envelopes costs
  // its frames' bytes and not only the few envelope bytes inside them. The whole answer is
  // charged now, before its frames are paced out: answers queued at once cannot all spend
  // the same bytes, and what waits to be sent is bounded by the budget.
  let pageBytes = 0;
  let bytes = 0;
  let cutShort = false;
  let count = 0;
  for (const entry of page.entries) {
    const frameBytes = DELIVER_HEADER_BYTES + entry.envelope.byteLength;
    // At least one envelope per answer, so catch-up always moves on.
    if (bytes > 0 && (pageBytes + entry.envelope.byteLength > port.limits.maxHistoryPageBytes || bytes + frameBytes > grant.bytes)) {
      cutShort = true;
      break;
    }
    pageBytes += entry.envelope.byteLength;
    bytes += frameBytes;
    count += 1;
  }
  port.budget.spend(conn, bytes, Date.now());
  const entries: readonly RetainedEnvelope[] = count === page.entries.length ? page.entries : page.entries.slice(0, count);
  const end = { v: PROTOCOL_VERSION, t: 'history-end', room, head: page.head, more: page.more || cutShort };
  const gap = page.trimmedUpTo > after ? { v: PROTOCOL_VERSION, t: 'gap', room, after, upTo: page.trimmedUpTo } : undefined;
  port.pacer.enqueue({
    conn,
    frames: entries.length,
    begin: () => {
      if (gap !== undefined) out.json(conn, gap);
    },
    stillWanted: () => conn.ws.readyState === WebSocket.OPEN && port.rooms.get(room) === local && local.members.has(conn) && local.delivery.epoch === epoch,
    send: (index) => {
      const entry = entries[index]!;
      const frame = envelopeFrame(FrameKind.HISTORY, entry.cursor, local.id, entry.envelope);
      return out.envelope(conn, frame) ? frame.byteLength : undefined;
    },
    finish: () => out.json(conn, end),
  });
}

function refuse(port: CatchUpPort, conn: Connection, room: RoomKey): void {
  const grant = port.budget.check(conn, Date.now());
  const retryAfterMs = grant.ok ? 1 : grant.retryAfterMs;
  port.out.error(conn, ErrorCode.HISTORY_LIMITED, 'catch-up budget spent; ask again after retryAfterMs', room, undefined, retryAfterMs);
}
