/** The in-memory store against the same contract the Redis store meets (redis-store.test.ts). */
import { MemoryRoomStore } from '../src/memory-store.js';
import { DAY_MS } from '@sealroom/units';
import { runStoreContract, type ContractRetention } from './store-contract.js';

const memoryStore = (retention: ContractRetention): MemoryRoomStore =>
  new MemoryRoomStore({
    maxEnvelopesPerRoom: retention.maxEnvelopes,
    maxBytesPerRoom: retention.maxBytes,
    maxAgeMs: retention.maxAgeMs,
    maxPinnedPerRoom: retention.maxPinned,
  });

runStoreContract('memory', async (retention) => memoryStore(retention), {
  // A room nobody is in is forgotten once idle past idleRoomMs (7 days by default).
  forget: (store) => store.sweep(Date.now() + 8 * DAY_MS),
  forgottenRooms: 'remembered',
  // Nothing survives the process: a new store is what a restarted relay has.
  restart: {
    history: 'lost',
    reopen: async (store, retention) => {
      await store.close();
      return memoryStore(retention);
    },
  },
});
