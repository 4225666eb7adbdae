/**
 * The relay's hostile-input suites (malformed frames with fast-check, every limit with
 * bystanders, the ws CVE regressions) run again with every relay on the Redis store,
 * against a real redis-server: Redis mode must refuse the same things the same way.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayTestDefaults } from './helpers/relay.js';
import { redisAvailability, startRedisServer, type RedisServerHandle } from './support/redis-server.js';

if (redisAvailability().available) {
  let server: RedisServerHandle | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
    relayTestDefaults.redis = server.url;
  });
  afterAll(async () => {
    delete relayTestDefaults.redis;
    await server?.dispose();
  });
  // Importing registers their describe blocks in this file; useRelays() reads the
  // defaults when each relay starts, after beforeAll above.
  await import('./malformed.test.js');
  await import('./limits.test.js');
  await import('./cve.test.js');

  it('ran those suites on Redis: their rooms are in redis-server', async () => {
    const raw = new Redis(server!.url);
    try {
      const streams = await raw.keys('sealroom:{*}:log');
      const admissionKeys = await raw.keys('sealroom:{*}:key');
      console.log(`[redis-hostile] redis-server holds ${streams.length} room streams and ${admissionKeys.length} admission keys from the suites above`);
      expect(streams.length).toBeGreaterThan(0);
      expect(admissionKeys.length).toBeGreaterThan(0);
    } finally {
      raw.disconnect();
    }
  });
} else {
  describe.skip('hostile input in Redis mode (no redis-server)', () => {
    it('needs redis-server', () => undefined);
  });
}
