/**
 * Everything the relay sends to a connection: control JSON, error replies with their
 * codes, and envelope frames. Every send obeys the slow-consumer bound: a peer whose
 * unsent output passes maxBufferedBytes is cut, not buffered for.
 */
import { WebSocket } from 'ws';
import type { Connection } from './connection.js';
import { RefusalReason, type ErrorCode } from './errors.js';
import type { Logger } from './log.js';
import type { RelayCounters } from './metrics.js';
import type { RelayLimits } from './options.js';
import { SendBatch } from './send-batch.js';
import type { RoomKey } from './store.js';
import type { Json } from './validation.js';
import { DELIVER_HEADER_BYTES, PROTOCOL_VERSION } from './wire.js';
import { wsPayloadOffset, type WsFrame } from './ws-frame.js';

export class Outbound {
  private readonly sendBatch = new SendBatch();

  constructor(
    private readonly limits: Pick<RelayLimits, 'maxBufferedBytes'>,
    private readonly counters: RelayCounters,
    private readonly log: Logger,
    /** Told of every refusal that says when to ask again (a budget's): the relay pauses reading (read-pause.ts). */
    private readonly onRetryAfter: (conn: Connection, retryAfterMs: number) => void = () => undefined,
  ) {}

  json(conn: Connection, message: Json): void {
    this.text(conn, JSON.stringify(message));
  }

  /**
   * Control messages obey the slow-consumer bound too: a client that floods the relay
   * with bad frames and never reads its errors must not grow the relay's memory.
   */
  text(conn: Connection, text: string): void {
    const { ws } = conn;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.cut(conn, RefusalReason.SLOW_CONSUMER);
      return;
    }
    this.sendBatch.send(ws, text);
  }

  /** A binary control frame (an ACK): not an envelope, so not counted as one. */
  frame(conn: Connection, frame: WsFrame): void {
    const { ws } = conn;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.cut(conn, RefusalReason.SLOW_CONSUMER);
      return;
    }
    this.sendBatch.sendFrame(ws, frame);
  }

  /** An `error` reply (docs/PROTOCOL.md A.7), counted by code; `retryAfterMs` for the budget refusals. */
  error(conn: Connection, code: ErrorCode, message: string, room?: RoomKey, id?: number, retryAfterMs?: number): void {
    this.counters.refuse(code);
    if (this.log.enabled('debug')) this.log.debug('refused', { code, address: conn.address });
    const error: Json = { v: PROTOCOL_VERSION, t: 'error', code, message };
    if (room !== undefined) error.room = room;
    if (id !== undefined) error.id = id;
    if (retryAfterMs !== undefined) error.retryAfterMs = retryAfterMs;
    this.json(conn, error);
    if (retryAfterMs !== undefined) this.onRetryAfter(conn, retryAfterMs);
  }

  /** Sends a DELIVER/HISTORY frame unless the peer is too far behind (then cuts it). */
  envelope(conn: Connection, frame: WsFrame): boolean {
    const { ws } = conn;
    if (ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.cut(conn, RefusalReason.SLOW_CONSUMER);
      return false;
    }
    this.sendBatch.sendFrame(ws, frame);
    this.counters.envelopesOut += 1;
    this.counters.bytesOut += frame.length - wsPayloadOffset(frame) - DELIVER_HEADER_BYTES;
    return true;
  }

  cut(conn: Connection, reason: RefusalReason): void {
    this.counters.refuse(reason);
    this.log.debug('connection_cut', { address: conn.address, reason });
    // A consumer this far behind cannot take a close frame either: drop the socket.
    conn.ws.terminate();
  }
}
