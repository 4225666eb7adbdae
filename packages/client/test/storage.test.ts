import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createIndexedDbStorage, createMemoryStorage, createSealroomClient, type ClientStorage } from '../src/index.js';
import { NodeWebSocket, PASSWORD, TEST_PBKDF2_ITERATIONS } from './helpers.js';

// fake-indexeddb stands in for the browser's IndexedDB so the adapter runs here unchanged.
const implementations: [string, () => ClientStorage][] = [
  ['memory', () => createMemoryStorage()],
  ['IndexedDB (idb-keyval)', () => createIndexedDbStorage(`sealroom-test-${crypto.randomUUID()}`)],
];

describe.each(implementations)('%s storage', (_name, make) => {
  it('stores bytes by key, lists by prefix, deletes, and copies values', async () => {
    const storage = make();
    expect(await storage.get('missing')).toBeUndefined();
    const value = new Uint8Array([1, 2, 3, 250]);
    await storage.set('room:a', value);
    await storage.set('room:b', new Uint8Array([9]));
    await storage.set('tl:a:000000000001', new Uint8Array(0));
    value[0] = 99; // a caller mutating its buffer afterwards must not change what is stored
    expect(await storage.get('room:a')).toEqual(new Uint8Array([1, 2, 3, 250]));
    expect((await storage.keys('room:')).sort()).toEqual(['room:a', 'room:b']);
    expect(await storage.get('tl:a:000000000001')).toEqual(new Uint8Array(0));
    await storage.delete('room:a');
    expect(await storage.get('room:a')).toBeUndefined();
    expect(await storage.keys('room:')).toEqual(['room:b']);
  });

  it('keeps an identity and its rooms across lock and a new client on the same storage', async () => {
    const storage = make();
    const options = {
      relayUrl: 'http://127.0.0.1:9',
      storage,
      WebSocket: NodeWebSocket,
      dangerousTestOnlyPbkdf2Iterations: TEST_PBKDF2_ITERATIONS,
      reconnect: { baseDelayMs: 60_000, maxDelayMs: 60_000 },
    };
    const first = createSealroomClient(options);
    const me = await first.createIdentity({ displayName: 'Alice', password: PASSWORD });
    const room = await first.createRoom({ name: 'stored' });
    const pending = await room.sendText('queued while no relay is reachable');
    await first.close();

    const second = createSealroomClient(options);
    expect(await second.identityState()).toBe('locked');
    expect(await second.unlock(PASSWORD)).toEqual(me);
    expect(second.rooms().map((r) => r.name)).toEqual(['stored']);
    const history = await second.room(room.id)!.history();
    expect(history.find((i) => i.id === pending.id)).toMatchObject({ kind: 'text', state: 'pending', text: 'queued while no relay is reachable' });
    await second.close();
  });
});
