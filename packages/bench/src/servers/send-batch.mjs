// The relay's per-turn send batching (packages/relay/src/send-batch.ts), mirrored line for
// line in plain JavaScript so the bare `ws` baseline does the same work per delivery as the
// relay: the first send to a connection in an event-loop turn corks its socket, one shared
// `setImmediate` uncorks every corked socket after the turn's I/O, and a socket holding
// 16 KiB or more is written at once. A baseline that wrote one frame per system call made
// the relay look 3.65× faster than bare `ws` (issue 15). Keep this in step with the relay's.

/** Same as the relay's FLUSH_AT_BYTES. */
const FLUSH_AT_BYTES = 16 * 1024; // bytes

/**
 * The TCP socket under a server-side `ws` connection (`_socket`, as the relay reads it;
 * checked against ws 8.23.0, lib/websocket.js).
 * @param {import('ws').WebSocket} ws
 * @returns {import('node:net').Socket | null}
 */
function socketOf(ws) {
  return /** @type {{ _socket: import('node:net').Socket | null }} */ (/** @type {unknown} */ (ws))._socket;
}

export class SendBatch {
  /** @type {import('node:net').Socket[]} */
  #corked = [];
  #scheduled = false;
  #flushAll = () => this.#flush();

  /**
   * Sends `data` on an open connection, batched with its other sends this turn.
   * @param {import('ws').WebSocket} ws
   * @param {Buffer} data
   * @param {{ binary: boolean }} options
   */
  send(ws, data, options) {
    const socket = socketOf(ws);
    if (socket === null || socket.destroyed) {
      ws.send(data, options);
      return;
    }
    if (socket.writableCorked === 0) {
      socket.cork();
      this.#corked.push(socket);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.#flushAll);
      }
    }
    ws.send(data, options);
    if (socket.writableLength >= FLUSH_AT_BYTES && socket.writableCorked > 0) socket.uncork();
  }

  #flush() {
    this.#scheduled = false;
    for (const socket of this.#corked) {
      if (!socket.destroyed && socket.writableCorked > 0) socket.uncork();
    }
    this.#corked.length = 0;
  }
}
