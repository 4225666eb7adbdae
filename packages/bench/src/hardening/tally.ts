// What the load test counts (issue 14, "a standing hardening suite"): every envelope a
// client sent and the relay acknowledged must reach every other member of its room exactly
// once, in cursor order (PROTOCOL.md A.4). Pure bookkeeping, no sockets: tested on its own.

/**
 * Bytes of the load test's envelope header: the send time (u64 ns of `process.hrtime`), the
 * sender's client index (u32) and the envelope's sequence number from that sender (u32).
 * The rest of the envelope is padding.
 */
export const STAMP_BYTES = 8;
export const TAG_BYTES = STAMP_BYTES + 4 + 4;

export interface EnvelopeTag {
  sentNs: bigint;
  sender: number;
  seq: number;
}

export function writeTag(envelope: Uint8Array, tag: EnvelopeTag): void {
  const view = new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  view.setBigUint64(0, tag.sentNs);
  view.setUint32(STAMP_BYTES, tag.sender);
  view.setUint32(STAMP_BYTES + 4, tag.seq);
}

export function readTag(envelope: Uint8Array): EnvelopeTag | undefined {
  if (envelope.length < TAG_BYTES) return undefined;
  const view = new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  return { sentNs: view.getBigUint64(0), sender: view.getUint32(STAMP_BYTES), seq: view.getUint32(STAMP_BYTES + 4) };
}

export interface TallyFigures {
  /** Envelopes acknowledged by the relay. */
  sent: number;
  /** Distinct (envelope, recipient) pairs received. */
  delivered: number;
  /** Acknowledged (envelope, recipient) pairs never received. */
  lost: number;
  /** Deliveries of an envelope a recipient had already received. */
  duplicated: number;
  /** Deliveries whose cursor was not above the previous one that recipient got in that room. */
  reordered: number;
  /** Deliveries that were not the load test's envelopes, or not of the recipient's room. */
  foreign: number;
}

/**
 * One recipient's view: which (sender, seq) it received, and the last cursor. Rooms are
 * fixed per client, so one cursor per recipient is one cursor per (recipient, room).
 */
interface Inbox {
  room: number;
  seen: Set<number>;
  lastCursor: number;
}

/**
 * The tally of one run: `clients` clients in rooms of `roomSize` (client i is in room
 * floor(i / roomSize)), each sending up to `perClient` envelopes with seq 0, 1, ….
 */
export class DeliveryTally {
  private readonly inboxes: Inbox[];
  /** One flag per (sender, seq): acknowledged by the relay. */
  private readonly acked: Uint8Array;
  private duplicated = 0;
  private reordered = 0;
  private foreign = 0;
  private received = 0;

  constructor(
    readonly clients: number,
    readonly roomSize: number,
    readonly perClient: number,
  ) {
    this.inboxes = Array.from({ length: clients }, (_, i) => ({ room: this.roomOf(i), seen: new Set<number>(), lastCursor: 0 }));
    this.acked = new Uint8Array(clients * perClient);
  }

  roomOf(client: number): number {
    return Math.floor(client / this.roomSize);
  }

  /** The sender's envelope `seq` was acknowledged. */
  onAck(sender: number, seq: number): void {
    this.acked[sender * this.perClient + seq] = 1;
  }

  /** Distinct (envelope, recipient) pairs received so far. */
  get deliveredSoFar(): number {
    return this.received;
  }

  /** `recipient` got a DELIVER with `cursor` carrying `tag`. */
  onDelivery(recipient: number, cursor: number, tag: EnvelopeTag | undefined): void {
    const inbox = this.inboxes[recipient]!;
    if (tag === undefined || tag.sender >= this.clients || tag.seq >= this.perClient || this.roomOf(tag.sender) !== inbox.room || tag.sender === recipient) {
      this.foreign += 1;
      return;
    }
    const key = tag.sender * this.perClient + tag.seq;
    if (inbox.seen.has(key)) this.duplicated += 1;
    else {
      inbox.seen.add(key);
      this.received += 1;
    }
    if (cursor <= inbox.lastCursor) this.reordered += 1;
    else inbox.lastCursor = cursor;
  }

  /** Deliveries owed in all: every acknowledged envelope to every other member of its room. */
  expected(): number {
    let total = 0;
    for (let sender = 0; sender < this.clients; sender += 1) total += this.ackedBy(sender) * (this.membersOf(this.roomOf(sender)) - 1);
    return total;
  }

  private ackedBy(sender: number): number {
    let count = 0;
    for (let seq = 0; seq < this.perClient; seq += 1) count += this.acked[sender * this.perClient + seq]!;
    return count;
  }

  figures(): TallyFigures {
    let sent = 0;
    let lost = 0;
    for (let sender = 0; sender < this.clients; sender += 1) {
      sent += this.ackedBy(sender);
      const room = this.roomOf(sender);
      for (let recipient = room * this.roomSize; recipient < Math.min(this.clients, (room + 1) * this.roomSize); recipient += 1) {
        if (recipient === sender) continue;
        const seen = this.inboxes[recipient]!.seen;
        for (let seq = 0; seq < this.perClient; seq += 1) {
          const key = sender * this.perClient + seq;
          if (this.acked[key] === 1 && !seen.has(key)) lost += 1;
        }
      }
    }
    return { sent, delivered: this.received, lost, duplicated: this.duplicated, reordered: this.reordered, foreign: this.foreign };
  }

  private membersOf(room: number): number {
    return Math.min(this.clients, (room + 1) * this.roomSize) - room * this.roomSize;
  }
}
