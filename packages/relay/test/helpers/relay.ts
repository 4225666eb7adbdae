import { afterEach } from 'vitest';
import { startRelay, type RelayOptions, type RunningRelay } from '../../src/index.js';
import type { TestClient } from './client.js';

/**
 * Options every relay started through `useRelays` begins with. redis-hostile.test.ts
 * sets `redis` to run the hostile-input suites again with the Redis store.
 */
export const relayTestDefaults: RelayOptions = {};

/**
 * Starts in-process relays on port 0 and closes them (and tracked clients) after each
 * test. Logs are silent unless RELAY_TEST_LOGS is set.
 */
export function useRelays(): {
  start: (options?: RelayOptions) => Promise<RunningRelay>;
  track: <T extends TestClient | { close(): void }>(client: T) => T;
} {
  const relays: RunningRelay[] = [];
  const clients: { close(): void }[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(relays.splice(0).map((relay) => relay.close()));
  });
  return {
    start: async (options = {}) => {
      const relay = await startRelay({ port: 0, logLevel: process.env.RELAY_TEST_LOGS ? 'debug' : 'silent', ...relayTestDefaults, ...options });
      relays.push(relay);
      return relay;
    },
    track: (client) => {
      clients.push(client);
      return client;
    },
  };
}
