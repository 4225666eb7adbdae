import { it } from 'vitest';
import { startRelay } from '@sealroom/relay';
import { clientFor, makePersonas, receivedTexts, waitFor } from './helpers.js';
it('debug', async () => {
  const relay = await startRelay({ port: 0, logLevel: 'silent' });
  const personas = await makePersonas(relay.url, ['Alice', 'Bob']);
  const alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
  const bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!);
  const room = await alice.client.createRoom({ name: 'x' });
  await bob.client.joinRoom(room.inviteLink());
  await waitFor('members', () => alice.client.room(room.id)!.members().length === 2, 10000);
  await alice.client.room(room.id)!.sendText('hello');
  await waitFor('bob reads', () => receivedTexts(bob, room.id).length === 1, 8000).catch((e) => console.log(String(e)));
  console.log('bob', bob.client.room(room.id)!.summary().status, 'alice', alice.client.room(room.id)!.summary().status);
  console.log('A', alice.events.map((e) => e.type + (e.type === 'warning' ? e.code : '')).join(','));
  console.log('B', bob.events.map((e) => e.type + (e.type === 'warning' ? e.code : '')).join(','));
  console.log((alice.client.room(room.id) as any).record);
  await alice.client.close(); await bob.client.close(); await relay.close();
}, 60000);
