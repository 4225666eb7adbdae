import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';
import type { ClientStorage } from './platform.js';

/** Default IndexedDB database and object store names. */
const DEFAULT_DB_NAME = 'sealroom';
const DEFAULT_STORE_NAME = 'client';

/**
 * Browser storage over IndexedDB (idb-keyval). Values are the client's already-sealed
 * bytes; IndexedDB stores them as `Uint8Array` through structured clone.
 */
export function createIndexedDbStorage(dbName: string = DEFAULT_DB_NAME, storeName: string = DEFAULT_STORE_NAME): ClientStorage {
  let store: UseStore | undefined;
  // Opened lazily so importing this module in Node (no indexedDB) is harmless.
  const useStore = (): UseStore => (store ??= createStore(dbName, storeName));
  return {
    async get(key) {
      const value: unknown = await get(key, useStore());
      return value instanceof Uint8Array ? value : undefined;
    },
    async set(key, value) {
      await set(key, value, useStore());
    },
    async delete(key) {
      await del(key, useStore());
    },
    async keys(prefix) {
      const all = await keys(useStore());
      return all.filter((key): key is string => typeof key === 'string' && key.startsWith(prefix));
    },
  };
}
