// The receiving client of the files section, in its own worker thread: two people sending a
// file have two devices, so the receiver must not share the sender's event loop and heap.
// Plain: a raw relay client that counts bytes and reports progress into the room like the
// client package does. Encrypted: a client-package client that joins by invite and accepts
// every file offer into a sink that drops the bytes.
import { parentPort } from 'node:worker_threads';
import WebSocket from 'ws';
import { createMemoryStorage, createSealroomClient, type SealroomClient } from '@sealroom/client';
import { RawRelayClient } from '../wire/raw-relay-client.js';
import { progressEnvelope, type ReceiverReply, type ReceiverRequest } from './files-messages.js';

const port = parentPort!;
const reply = (message: ReceiverReply) => port.postMessage(message);
const describe = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

let plain: RawRelayClient | undefined;
let encrypted: SealroomClient | undefined;

async function receivePlain(request: Extract<ReceiverRequest, { type: 'plain' }>): Promise<void> {
  const client = await RawRelayClient.connect(request.wsUrl);
  plain = client;
  await client.join(request.room);
  const chunkCount = Math.ceil(request.size / request.chunkBytes);
  let received = 0;
  let chunks = 0;
  client.onEnvelope = (envelope) => {
    received += envelope.length;
    chunks += 1;
    if (chunks % request.progressEvery === 0 || chunks === chunkCount) void client.publish(request.room.id, progressEnvelope(chunks)).catch(() => {});
    if (received === request.size) {
      client.onClose = () => {};
      reply({ type: 'plain-done' });
    }
  };
  client.onClose = (code) =>
    reply({ type: 'failed', message: `the relay closed the plain receiver (close ${code}) after ${received} of ${request.size} bytes` });
  reply({ type: 'ready' });
}

async function receiveEncrypted(request: Extract<ReceiverRequest, { type: 'encrypted' }>): Promise<void> {
  const bob = createSealroomClient({
    relayUrl: request.relayUrl,
    storage: createMemoryStorage(),
    WebSocket: WebSocket as unknown as Parameters<typeof createSealroomClient>[0]['WebSocket'],
  });
  encrypted = bob;
  await bob.createIdentity({ displayName: 'Bob', password: request.password });
  const room = await bob.joinRoom(request.invite);
  bob.on('file-offer', ({ item }) => {
    const sink = new WritableStream<Uint8Array>({ write() {} });
    void room.acceptFile(item.file.fileId, sink).catch(() => {});
  });
  bob.on('file-complete', (event) => {
    if (event.direction === 'receive') reply({ type: 'file-complete' });
  });
  bob.on('file-failed', (event) => reply({ type: 'failed', message: `file transfer failed: ${event.code}` }));
  reply({ type: 'ready' });
}

port.on('message', (request: ReceiverRequest) => {
  const run = async () => {
    if (request.type === 'plain') await receivePlain(request);
    else if (request.type === 'encrypted') await receiveEncrypted(request);
    else {
      await plain?.close();
      plain = undefined;
      if (request.all) {
        await encrypted?.close();
        encrypted = undefined;
      }
      reply({ type: 'closed' });
    }
  };
  run().catch((error: unknown) => reply({ type: 'failed', message: describe(error) }));
});
