#!/usr/bin/env node
// What many would pick: a Socket.IO server with rooms, websocket transport only. A client
// emits `join` (acknowledged) and then `m` events carrying binary envelopes, which the
// server forwards to the rest of the room with `socket.to(room).emit`.
// Plain JavaScript run by plain `node`, so its memory is not inflated by a TypeScript loader.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { parseServerArgs, announceReady, exitOnSignals } from './server-common.mjs';

const { port, host } = parseServerArgs(process.argv.slice(2));
const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
io.on('connection', (socket) => {
  /** @type {string | undefined} */
  let room;
  socket.on('join', (name, ack) => {
    room = String(name);
    void socket.join(room);
    if (typeof ack === 'function') ack();
  });
  socket.on('m', (envelope) => {
    if (room !== undefined) socket.to(room).emit('m', envelope);
  });
});
http.listen(port, host, () => announceReady(http.address()));
exitOnSignals(() => io.close());
