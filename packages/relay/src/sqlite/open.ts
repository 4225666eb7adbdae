/**
 * Opening the durable store for the relay: a data directory that cannot be used is a
 * start failure with its own code (exit 3), not a crash.
 */
import { RelayStartError } from '../errors.js';
import { errorMessage, type Logger } from '../log.js';
import { DEFAULT_STORAGE, type RetentionLimits, type StorageOptions } from '../options.js';
import { SqliteRoomStore } from './store.js';

export async function openSqliteStore(
  dataDir: string,
  retention: RetentionLimits,
  storage: Partial<StorageOptions> | undefined,
  log: Logger,
): Promise<SqliteRoomStore> {
  const resolved = { ...DEFAULT_STORAGE, ...storage };
  let store: SqliteRoomStore;
  try {
    store = new SqliteRoomStore({
      dataDir,
      retention,
      storage: resolved,
      onCommitError: (err) => log.error('store_write_failed', { message: errorMessage(err) }),
    });
  } catch (err) {
    throw new RelayStartError('DATA_DIR_UNUSABLE', `cannot use the data directory ${dataDir}: ${errorMessage(err)}`);
  }
  const stats = store.stats();
  log.info('store_opened', {
    store: 'sqlite',
    path: store.path,
    synchronous: resolved.synchronous,
    rooms: stats.rooms,
    retainedEnvelopes: stats.retainedEnvelopes,
  });
  if (store.restored) {
    log.warn('store_restored', {
      detail: 'the database is not the one this data directory last ran (restored from a backup?): every room starts a new epoch, so clients show a gap',
    });
  }
  return store;
}
