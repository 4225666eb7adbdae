/**
 * The publishes a relay connection has sent and not yet seen acknowledged, keyed by request
 * id (PROTOCOL A.4: an ACK carries the PUBLISH's request id and the cursor it was stored at).
 *
 * It exists apart from transport.ts because the ACK matching has its own rules: request ids
 * wrap while the sending order does not, a publish refused by the relay's store (UNAVAILABLE)
 * stays pending to be sent again as it is, and a hole in a room's cursors waits for the ACKs
 * of publishes sent before it was seen (room-catch-up.ts).
 */
import type { TransportError } from './transport-errors.js';
import { MAX_REQUEST_ID } from './wire.js';

export interface PendingPublish {
  room: string;
  /** Order of sending on this connection (request ids wrap, this does not). */
  seq: number;
  frame: Uint8Array;
  /** Refused with UNAVAILABLE: sent again once the room's retry comes. */
  refused: boolean;
  resolve: (cursor: number) => void;
  reject: (error: TransportError) => void;
}

export class PendingPublishes {
  private readonly byId = new Map<number, PendingPublish>();
  private nextRequestId = 1;
  /** Sequence number of the latest publish sent on this connection. */
  seq = 0;

  /** Takes the next request id and sequence number for a publish about to be sent. */
  next(): { id: number; seq: number } {
    const id = this.nextRequestId;
    this.nextRequestId = id >= MAX_REQUEST_ID ? 1 : id + 1;
    this.seq += 1;
    return { id, seq: this.seq };
  }

  add(id: number, entry: PendingPublish): void {
    this.byId.set(id, entry);
  }

  get(id: number): PendingPublish | undefined {
    return this.byId.get(id);
  }

  delete(id: number): void {
    this.byId.delete(id);
  }

  /** Empties the table and returns what was in it (the socket dropped: all of it fails). */
  drain(): PendingPublish[] {
    const all = [...this.byId.values()];
    this.byId.clear();
    return all;
  }

  /** A publish for the room, sent at or before `seq` and not refused, still waits for its ACK. */
  awaitsAck(roomId: string, seq: number): boolean {
    for (const entry of this.byId.values()) if (entry.room === roomId && !entry.refused && entry.seq <= seq) return true;
    return false;
  }

  hasRefused(roomId: string): boolean {
    for (const entry of this.byId.values()) if (entry.room === roomId && entry.refused) return true;
    return false;
  }

  /** The room's refused publishes in sending order. */
  refused(roomId: string): PendingPublish[] {
    return [...this.byId.values()].filter((entry) => entry.room === roomId && entry.refused).sort((a, b) => a.seq - b.seq);
  }
}
