/**
 * The durable store's database: where it lives in the data directory, how it is opened
 * (WAL, `synchronous`, `secure_delete`, incremental auto-vacuum) and its schema.
 *
 * The data directory holds (docs/DEPLOYMENT.md "The data directory"):
 * - `relay.db`, with `relay.db-wal` and `relay.db-shm` beside it while the relay runs:
 *   rooms, admission keys, retained and pinned envelopes, forgotten room ids.
 * - `relay.lineage`: the database's lineage, written when the relay opens it. A database
 *   whose lineage file is missing or names another lineage was restored from a backup (or
 *   copied in): it may lack what was acknowledged after the copy was taken, so every room
 *   starts a new incarnation and clients returning with a cursor show a gap, not silence.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SyncMode } from '../options.js';
import { KIB, MIB } from '@sealroom/units';

export const DATABASE_FILE = 'relay.db';
export const LINEAGE_FILE = 'relay.lineage';
/** The schema this code writes (SQLite's `user_version`); a newer one is refused, not guessed at. */
const SCHEMA_VERSION = 1;
/** Random bytes of a lineage (16 base64url characters); epochs are lineage + incarnation number. */
const LINEAGE_BYTES = 12;
/**
 * The WAL file is cut back to this size after each checkpoint: without it a burst of writes
 * leaves a WAL as large as the burst on disk for good.
 */
const JOURNAL_SIZE_LIMIT_BYTES = 16 * MIB;
/** How long a statement waits for a lock another process holds (a backup reading), ms. */
const BUSY_TIMEOUT_MS = 5_000;
/** SQLite's page cache for this connection, in KiB (negative `cache_size` counts KiB). */
const CACHE_KIB = 16 * KIB;
/** Data directory and files: the relay's user only (envelopes are sealed, admission keys are not). */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

const SCHEMA = `
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE rooms (
  id INTEGER PRIMARY KEY,
  room TEXT NOT NULL UNIQUE,
  admission_key BLOB,
  epoch TEXT NOT NULL,
  head INTEGER NOT NULL,
  trimmed_up_to INTEGER NOT NULL,
  max_age_ms INTEGER NOT NULL,
  envelopes INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  oldest_at_ms INTEGER NOT NULL,
  pinned INTEGER NOT NULL,
  pinned_bytes INTEGER NOT NULL,
  last_activity_ms INTEGER NOT NULL
);
CREATE INDEX rooms_by_activity ON rooms (last_activity_ms);
CREATE TABLE envelopes (
  seq INTEGER PRIMARY KEY,
  room_id INTEGER NOT NULL,
  cursor INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  size INTEGER NOT NULL,
  body BLOB NOT NULL
);
CREATE UNIQUE INDEX envelopes_by_room ON envelopes (room_id, cursor);
CREATE TABLE pins (
  seq INTEGER PRIMARY KEY,
  room_id INTEGER NOT NULL,
  cursor INTEGER NOT NULL,
  body BLOB NOT NULL
);
CREATE UNIQUE INDEX pins_by_room ON pins (room_id, cursor);
CREATE TABLE forgotten (room TEXT PRIMARY KEY, key_hash TEXT NOT NULL, at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX forgotten_by_age ON forgotten (at_ms);
`;

export interface OpenedDatabase {
  readonly db: Database.Database;
  readonly path: string;
  /** The lineage epochs of this database start with. */
  readonly lineage: string;
  /** Incarnations handed out so far (the next epoch's number). */
  readonly incarnations: number;
  /** The database was restored or copied in: every room was given a new incarnation. */
  readonly restored: boolean;
}

/** Why the data directory cannot be used. */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
}

function newLineage(): string {
  return randomBytes(LINEAGE_BYTES).toString('base64url');
}

/** Opens (creating when needed) the database in `dir`. */
export function openDatabase(dir: string, synchronous: SyncMode): OpenedDatabase {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  const path = join(dir, DATABASE_FILE);
  const existed = existsSync(path);
  if (!existed) writeFileSync(path, '', { mode: FILE_MODE });
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new DataDirError(`${path} was written by a newer relay (schema ${version}; this one knows ${SCHEMA_VERSION})`);
    // Only takes effect before the first table exists: on a new database.
    if (version === 0) db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    // Deleted envelopes are overwritten with zeros, not left in free pages.
    db.pragma('secure_delete = ON');
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
    db.pragma(`cache_size = -${CACHE_KIB}`);
    if (version === 0) {
      db.transaction(() => {
        db.exec(SCHEMA);
        db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run('lineage', newLineage());
        db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run('incarnations', '0');
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    }
    return { db, path, ...checkLineage(db, dir, version !== 0) };
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Compares the database's lineage with the directory's lineage file. A database that is
 * not the one this directory last ran (restored, copied in, the file deleted) gets a new
 * lineage and every room a new epoch under it.
 */
function checkLineage(db: Database.Database, dir: string, existed: boolean): { lineage: string; incarnations: number; restored: boolean } {
  const meta = (name: string): string => (db.prepare('SELECT value FROM meta WHERE name = ?').pluck().get(name) as string | undefined) ?? '';
  const file = join(dir, LINEAGE_FILE);
  let lineage = meta('lineage');
  let incarnations = Number(meta('incarnations'));
  const recorded = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  const restored = existed && recorded !== lineage;
  if (restored) {
    lineage = newLineage();
    const rooms = db.prepare('SELECT id FROM rooms ORDER BY id').pluck().all() as number[];
    const setEpoch = db.prepare('UPDATE rooms SET epoch = ? WHERE id = ?');
    const setMeta = db.prepare('UPDATE meta SET value = ? WHERE name = ?');
    db.transaction(() => {
      for (const id of rooms) setEpoch.run(`${lineage}${(incarnations++).toString(36)}`, id);
      setMeta.run(lineage, 'lineage');
      setMeta.run(String(incarnations), 'incarnations');
    })();
  }
  if (recorded !== lineage) writeFileSync(file, `${lineage}\n`, { mode: FILE_MODE });
  return { lineage, incarnations, restored };
}
