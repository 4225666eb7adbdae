import type { ClientStorage } from './platform.js';

/**
 * In-memory storage for Node and tests. Values are copied on the way in and out so a
 * caller mutating a buffer cannot change what is stored (as with IndexedDB's
 * structured clone).
 */
export function createMemoryStorage(): ClientStorage & { readonly size: number } {
  const map = new Map<string, Uint8Array>();
  return {
    get size() {
      return map.size;
    },
    async get(key) {
      const value = map.get(key);
      return value === undefined ? undefined : value.slice();
    },
    async set(key, value) {
      map.set(key, value.slice());
    },
    async delete(key) {
      map.delete(key);
    },
    async keys(prefix) {
      return [...map.keys()].filter((key) => key.startsWith(prefix));
    },
  };
}
