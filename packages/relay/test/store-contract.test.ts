/** The in-memory store against the same contract the Redis store meets (redis-store.test.ts). */
import { MemoryRoomStore } from '../src/memory-store.js';
import { runStoreContract } from './store-contract.js';

runStoreContract(
  'memory',
  async (retention) =>
    new MemoryRoomStore({
      maxEnvelopesPerRoom: retention.maxEnvelopes,
      maxBytesPerRoom: retention.maxBytes,
      maxAgeMs: retention.maxAgeMs,
    }),
);
