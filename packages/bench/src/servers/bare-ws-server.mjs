#!/usr/bin/env node
// The floor for the fan-out comparison: a bare `ws` broadcast server. A room is a set of
// sockets named by the `room` query parameter; each binary message is forwarded to the
// room's other sockets. No admission, no retention, no limits, no heartbeat.
// `--batch` coalesces each socket's sends per event-loop turn exactly as the relay does
// (send-batch.mjs, a mirror of the relay's send-batch.ts): the baseline the relay is held
// to. Without it every frame is its own system call: the second, labelled baseline.
// Plain JavaScript run by plain `node`, so its memory is not inflated by a TypeScript loader.
import { WebSocketServer } from 'ws';
import { parseServerArgs, announceReady, exitOnSignals } from './server-common.mjs';
import { SendBatch } from './send-batch.mjs';

const { port, host, flags } = parseServerArgs(process.argv.slice(2));
const batch = flags.has('--batch') ? new SendBatch() : undefined;
/** @type {Map<string, Set<import('ws').WebSocket>>} */
const rooms = new Map();
const BINARY = { binary: true };

const wss = new WebSocketServer({ port, host, perMessageDeflate: false });
wss.on('connection', (ws, request) => {
  const room = new URL(request.url ?? '/', 'http://localhost').searchParams.get('room') ?? '';
  let members = rooms.get(room);
  if (!members) {
    members = new Set();
    rooms.set(room, members);
  }
  members.add(ws);
  const peers = members;
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return;
    for (const peer of peers) {
      if (peer === ws || peer.readyState !== 1) continue;
      if (batch) batch.send(peer, /** @type {Buffer} */ (data), BINARY);
      else peer.send(data, BINARY);
    }
  });
  ws.on('error', () => ws.terminate());
  ws.on('close', () => {
    peers.delete(ws);
    if (peers.size === 0) rooms.delete(room);
  });
});
wss.on('listening', () => announceReady(wss.address()));
exitOnSignals(() => wss.close());
