/** The durable store's SQL, prepared once per database (schema: database.ts). */
import type Database from 'better-sqlite3';

/** A row of `rooms`, as the store caches it. */
export interface RoomRow {
  id: number;
  room: string;
  admission_key: Buffer | null;
  epoch: string;
  head: number;
  trimmed_up_to: number;
  max_age_ms: number;
  /** Unpinned envelopes kept, and their bytes. */
  envelopes: number;
  bytes: number;
  /** `at_ms` of the oldest unpinned envelope kept (0 when there is none). */
  oldest_at_ms: number;
  pinned: number;
  pinned_bytes: number;
  last_activity_ms: number;
}

const SQL = {
  totals: `SELECT count(*) AS rooms, coalesce(sum(envelopes), 0) AS envelopes, coalesce(sum(bytes), 0) AS bytes,
            coalesce(sum(pinned), 0) AS pinned, coalesce(sum(pinned_bytes), 0) AS pinnedBytes FROM rooms`,
  setMeta: 'UPDATE meta SET value = ? WHERE name = ?',

  roomByKey: 'SELECT * FROM rooms WHERE room = ?',
  insertRoom: `INSERT INTO rooms (room, admission_key, epoch, head, trimmed_up_to, max_age_ms, envelopes, bytes, oldest_at_ms, pinned, pinned_bytes, last_activity_ms)
     VALUES (@room, @admission_key, @epoch, @head, @trimmed_up_to, @max_age_ms, @envelopes, @bytes, @oldest_at_ms, @pinned, @pinned_bytes, @last_activity_ms)`,
  updateRoom: `UPDATE rooms SET admission_key = @admission_key, head = @head, trimmed_up_to = @trimmed_up_to, max_age_ms = @max_age_ms,
            envelopes = @envelopes, bytes = @bytes, oldest_at_ms = @oldest_at_ms, pinned = @pinned, pinned_bytes = @pinned_bytes,
            last_activity_ms = @last_activity_ms
     WHERE id = @id`,
  deleteRoom: 'DELETE FROM rooms WHERE id = ?',
  /** Rooms that hold no envelope, least recently active first (candidates to forget for space). */
  emptyRoomsByAge: 'SELECT room FROM rooms WHERE envelopes = 0 AND pinned = 0 ORDER BY last_activity_ms LIMIT ? OFFSET ?',
  idleRooms: 'SELECT room FROM rooms WHERE last_activity_ms <= ?',
  /** Rooms whose oldest unpinned envelope is past the room's age at time ?. */
  roomsWithExpired: 'SELECT room FROM rooms WHERE envelopes > 0 AND oldest_at_ms <= ? - max_age_ms',

  insertEnvelope: 'INSERT INTO envelopes (room_id, cursor, at_ms, size, body) VALUES (?, ?, ?, ?, ?)',
  page: 'SELECT cursor, body FROM envelopes WHERE room_id = ? AND cursor > ? ORDER BY cursor LIMIT ?',
  front: 'SELECT cursor, at_ms FROM envelopes WHERE room_id = ? AND cursor > ? ORDER BY cursor',
  frontSized: 'SELECT cursor, at_ms, size FROM envelopes WHERE room_id = ? AND cursor > ? ORDER BY cursor',
  trimRoom: 'DELETE FROM envelopes WHERE room_id = ? AND cursor <= ?',
  deleteEnvelopes: 'DELETE FROM envelopes WHERE room_id = ?',
  oldestOverall: 'SELECT e.cursor, e.size, r.room FROM envelopes e JOIN rooms r ON r.id = e.room_id ORDER BY e.seq LIMIT ?',

  insertPin: 'INSERT INTO pins (room_id, cursor, body) VALUES (?, ?, ?)',
  pinsAfter: 'SELECT cursor, body FROM pins WHERE room_id = ? AND cursor > ? ORDER BY cursor',
  deletePins: 'DELETE FROM pins WHERE room_id = ?',

  forgottenCount: 'SELECT count(*) FROM forgotten',
  forgottenGet: 'SELECT key_hash, at_ms FROM forgotten WHERE room = ?',
  forgottenPut: 'INSERT OR REPLACE INTO forgotten (room, key_hash, at_ms) VALUES (?, ?, ?)',
  forgottenDelete: 'DELETE FROM forgotten WHERE room = ?',
  forgottenExpire: 'DELETE FROM forgotten WHERE at_ms <= ?',
  forgottenDropOldest: 'DELETE FROM forgotten WHERE room IN (SELECT room FROM forgotten ORDER BY at_ms LIMIT ?)',
} as const;

/** Statements that answer with the first column's value rather than a row object. */
const PLUCKED: ReadonlySet<string> = new Set(['emptyRoomsByAge', 'idleRooms', 'roomsWithExpired', 'forgottenCount']);

export type Statements = Record<keyof typeof SQL, Database.Statement>;

export function prepareStatements(db: Database.Database): Statements {
  const entries = Object.entries(SQL).map(([name, sql]) => {
    const statement = db.prepare(sql);
    return [name, PLUCKED.has(name) ? statement.pluck() : statement] as const;
  });
  return Object.fromEntries(entries) as Statements;
}
