/**
 * Two Node clients chatting through a relay.
 *
 *   pnpm --filter @sealroom/client run example                # starts a relay in-process
 *   RELAY_URL=http://127.0.0.1:8787 pnpm --filter @sealroom/client run example
 */
import WebSocket from 'ws';
import { startRelay } from '@sealroom/relay';
import { createMemoryStorage, createSealroomClient, type WebSocketConstructor } from '@sealroom/client';

const relay = process.env.RELAY_URL === undefined ? await startRelay({ port: 0, logLevel: 'warn' }) : undefined;
const relayUrl = process.env.RELAY_URL ?? relay!.url;

const makeClient = () =>
  createSealroomClient({ relayUrl, storage: createMemoryStorage(), WebSocket: WebSocket as unknown as WebSocketConstructor });

const alice = makeClient();
const bob = makeClient();
await alice.createIdentity({ displayName: 'Alice', password: 'alice has a long passphrase' });
await bob.createIdentity({ displayName: 'Bob', password: 'bob has a long passphrase' });

for (const [name, client] of [['alice', alice], ['bob', bob]] as const) {
  client.on('message', ({ item }) => {
    if (item.kind === 'text' && item.state === 'received') console.log(`[${name}] ${item.senderName}: ${item.text}`);
    if (item.kind === 'system') console.log(`[${name}] (${item.event.type})`);
  });
  client.on('warning', (w) => console.log(`[${name}] warning ${w.kind} ${w.code}`));
}

const room = await alice.createRoom({ name: 'Example' });
console.log('invite link:', room.inviteLink());
const bobsRoom = await bob.joinRoom(room.inviteLink());

// Wait until each side has verified the other's join announcement.
const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 20));
};
await until(() => room.members().length === 2 && bobsRoom.members().length === 2);
const bobId = bob.identity()!.identityId;
console.log('safety number (compare out of band):', (await room.safetyNumber(bobId)).display);

await room.sendText('Hi Bob, this is sealed end to end.');
await bobsRoom.sendText('Hi @Alice, the relay only sees ciphertext.');
await room.sendDirect(bobId, 'And this one only you can read.');

await new Promise((resolve) => setTimeout(resolve, 1_000));
await alice.close();
await bob.close();
await relay?.close();
