import { it } from 'vitest';
import { startRelay } from '@sealroom/relay';
import { clientFor, makePersonas, waitFor } from './helpers.js';
it('debug', async () => {
  const relay = await startRelay({ port: 0, logLevel: 'silent' });
  const personas = await makePersonas(relay.url, ['Alice', 'Bob']);
  const alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
  const bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!);
  const room = await alice.client.createRoom({ name: 'x' });
  await bob.client.joinRoom(room.inviteLink());
  await waitFor('members', () => bob.client.room(room.id)!.members().length === 2, 10000);
  await waitFor('alice sees bob online', () => alice.client.room(room.id)!.members().some((m) => !m.isMe && m.online), 5000).catch((e) => console.log(String(e)));
  console.log('bob record', JSON.stringify({ d: (bob.client.room(room.id) as any).record.distributedTo, k: (bob.client.room(room.id) as any).record.outboundKey }));
  await alice.client.close(); await bob.client.close(); await relay.close();
}, 60000);
