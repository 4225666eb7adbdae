/**
 * Catch-up (docs/PROTOCOL.md A.5): a member asks for the envelopes after a cursor and
 * gets HISTORY frames, told first when retention has dropped part of that range (`gap`)
 * and last where the page ended (`history-end`, with `more` when it was cut short).
 */
import { WebSocket } from 'ws';
import type { Connection } from './connection.js';
import { ErrorCode } from './errors.js';
import { envelopeFrame } from './frames.js';
import type { RelayLimits } from './options.js';
import type { Outbound } from './outbound.js';
import type { LocalRoom } from './rooms.js';
import type { RoomKey, RoomStore } from './store.js';
import { isCursor, type Json } from './validation.js';
import { FrameKind, MAX_HISTORY_PAGE_ENTRIES, PROTOCOL_VERSION } from './wire.js';

/** What catch-up needs from the relay. */
interface CatchUpPort {
  readonly rooms: ReadonlyMap<RoomKey, LocalRoom>;
  readonly store: Pick<RoomStore, 'readAfter'>;
  readonly out: Pick<Outbound, 'json' | 'error' | 'envelope'>;
  readonly limits: Pick<RelayLimits, 'maxHistoryPageBytes'>;
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
  if (page.trimmedUpTo > after) {
    out.json(conn, { v: PROTOCOL_VERSION, t: 'gap', room, after, upTo: page.trimmedUpTo });
  }
  let bytes = 0;
  let cutShort = false;
  for (const entry of page.entries) {
    if (bytes > 0 && bytes + entry.envelope.byteLength > port.limits.maxHistoryPageBytes) {
      cutShort = true;
      break;
    }
    if (!out.envelope(conn, envelopeFrame(FrameKind.HISTORY, entry.cursor, local.id, entry.envelope))) return;
    bytes += entry.envelope.byteLength;
  }
  out.json(conn, { v: PROTOCOL_VERSION, t: 'history-end', room, head: page.head, more: page.more || cutShort });
}
