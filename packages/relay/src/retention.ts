/**
 * A member's `retention` request (docs/PROTOCOL.md A.6): the room keeps its envelopes
 * for at most `maxAgeMs` (disappearing messages), never longer than the relay's own limit.
 */
import type { Connection } from './connection.js';
import { ErrorCode } from './errors.js';
import type { RetentionLimits } from './options.js';
import type { Outbound } from './outbound.js';
import type { RoomKey, RoomStore } from './store.js';
import type { Json } from './validation.js';
import { PROTOCOL_VERSION } from './wire.js';

/** What a retention request needs from the relay. */
interface RetentionPort {
  readonly store: Pick<RoomStore, 'setMaxAge'>;
  readonly out: Pick<Outbound, 'json' | 'error'>;
  readonly retention: Pick<RetentionLimits, 'maxAgeMs'>;
}

export async function setRoomRetention(port: RetentionPort, conn: Connection, room: RoomKey, msg: Json): Promise<void> {
  const { out } = port;
  const requested = msg.maxAgeMs;
  if (typeof requested !== 'number' || !Number.isSafeInteger(requested) || requested < 1) {
    out.error(conn, ErrorCode.BAD_MESSAGE, '"maxAgeMs" must be a positive integer', room);
    return;
  }
  if (!conn.inRoom(room)) {
    out.error(conn, ErrorCode.NOT_JOINED, 'retention of a room this connection has not joined', room);
    return;
  }
  const applied = Math.min(requested, port.retention.maxAgeMs);
  await port.store.setMaxAge(room, applied);
  out.json(conn, { v: PROTOCOL_VERSION, t: 'retention-set', room, maxAgeMs: applied });
}
