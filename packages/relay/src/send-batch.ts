import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { wsPayload, type WsFrame } from './ws-frame.js';

/**
 * Once a corked socket holds this much, it is written at once rather than at the end
 * of the turn: batching pays for many small frames (one `writev` instead of one write
 * each), and a cap keeps the bytes held back small beside `maxBufferedBytes`, so the
 * slow-consumer check still measures the peer, not the batch.
 */
const FLUSH_AT_BYTES = 16 * 1024; // bytes

/**
 * The TCP socket under a server-side `ws` connection. `ws` does not expose it publicly;
 * `_socket` is set in `WebSocket#setSocket` before the connection opens and is what its
 * own `bufferedAmount` getter reads (checked against ws 8.23.0, lib/websocket.js). This
 * module is the only place the relay reaches into it.
 */
function socketOf(ws: WebSocket): Socket | null {
  return (ws as unknown as { _socket: Socket | null })._socket;
}

/** `Sender`'s state when it holds nothing back (ws 8.23.0, lib/sender.js: DEFAULT). */
const SENDER_IDLE = 0;

/**
 * Whether a frame may go straight to the socket: `ws`'s sender holds nothing back (it
 * queues while it compresses or reads a Blob, neither of which the relay does), so bytes
 * written now cannot overtake a frame sent before. Checked against ws 8.23.0
 * (lib/sender.js `_state`, `_queue`); otherwise the frame goes through `ws.send`.
 */
function senderIdle(ws: WebSocket): boolean {
  const sender = (ws as unknown as { _sender: { _state: number; _queue: unknown[] } | undefined })._sender;
  return sender !== undefined && sender._state === SENDER_IDLE && sender._queue.length === 0;
}

/**
 * Runs `fn` once, when the connection's socket has written out everything queued on it
 * (its `drain` event) or has closed, whichever comes first. A socket already gone runs it
 * at once. (Backpressure for catch-up, history-pacer.ts: `ws` emits no `drain` itself.)
 */
export function whenDrained(ws: WebSocket, fn: () => void): void {
  const socket = socketOf(ws);
  if (socket === null || socket.destroyed) {
    fn();
    return;
  }
  const once = (): void => {
    socket.off('drain', once);
    socket.off('close', once);
    fn();
  };
  socket.on('drain', once);
  socket.on('close', once);
}

/**
 * Coalesces every frame sent to a connection within one event-loop turn into a single
 * socket write. The first send of a turn corks the connection's socket; one
 * `setImmediate`, shared by all corked sockets, uncorks them after the turn's I/O.
 * Idle connections cost nothing: the only state is the list of sockets corked in the
 * current turn. Corked bytes count in `ws.bufferedAmount` (it reads the socket's
 * writable length), so slow-consumer checks see them.
 */
export class SendBatch {
  private readonly corked: Socket[] = [];
  private scheduled = false;
  private readonly flushAll = (): void => this.flush();

  /** Sends `data` on an open connection, batched with its other sends this turn. */
  send(ws: WebSocket, data: Buffer | string): void {
    const socket = socketOf(ws);
    if (socket === null || socket.destroyed) {
      ws.send(data);
      return;
    }
    this.cork(socket);
    ws.send(data);
    this.uncorkIfFull(socket);
  }

  /**
   * Sends a frame built whole (ws-frame.ts) on an open connection, batched likewise: one
   * socket write of the same bytes for every recipient, no per-recipient header.
   */
  sendFrame(ws: WebSocket, frame: WsFrame): void {
    const socket = socketOf(ws);
    if (socket === null || socket.destroyed || !senderIdle(ws)) {
      ws.send(wsPayload(frame));
      return;
    }
    this.cork(socket);
    socket.write(frame);
    this.uncorkIfFull(socket);
  }

  private cork(socket: Socket): void {
    if (socket.writableCorked > 0) return;
    socket.cork();
    this.corked.push(socket);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushAll);
    }
  }

  private uncorkIfFull(socket: Socket): void {
    // Uncorked early, the socket stays listed; a later send this turn corks and lists it
    // again, and the flush passes over entries already uncorked.
    if (socket.writableLength >= FLUSH_AT_BYTES && socket.writableCorked > 0) socket.uncork();
  }

  private flush(): void {
    this.scheduled = false;
    for (const socket of this.corked) {
      // A socket destroyed while corked (cut, peer gone) has dropped its queue already;
      // one that ended was uncorked by `end()`.
      if (!socket.destroyed && socket.writableCorked > 0) socket.uncork();
    }
    this.corked.length = 0;
  }
}
