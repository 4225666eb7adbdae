/**
 * Cursor order for one relay room on one connection (PROTOCOL A.1, A.4, A.5): turns what
 * arrives — live DELIVERs in any order, HISTORY answers with their gap notices, ACKs of my
 * own publishes — into what a room is handed: every envelope once, in cursor order, and a
 * gap exactly where the relay said (or showed) that envelopes are gone.
 *
 * Cursors are contiguous per relay room incarnation, so "the next one" is always
 * `frontier + 1`. Anything further ahead is held until the cursors before it are in; the
 * connection fetches the missing range (`hasHole`) with `history`. Pure and synchronous:
 * no timers, no socket; the connection drives it.
 */

/** Where the envelopes and gaps go, in order. */
export interface CursorSink {
  envelope(cursor: number, envelope: Uint8Array, live: boolean): void;
  /** Unpinned envelopes of (after, upTo] are gone; everything ≤ upTo still there came before. */
  gap(after: number, upTo: number): void;
}

interface Held {
  /** Undefined for my own publish: its cursor is filled, nothing is handed over. */
  readonly envelope: Uint8Array | undefined;
  readonly live: boolean;
}

export class CursorOrder {
  /** Highest cursor handed over, acknowledged to me, or known lost: everything up to it is settled. */
  private frontierValue: number;
  private readonly held = new Map<number, Held>();
  /** The gap notice of the history answer under way, handed over once its range is settled. */
  private pendingGap: { after: number; upTo: number } | undefined;

  constructor(
    frontier: number,
    private readonly sink: CursorSink,
  ) {
    this.frontierValue = frontier;
  }

  get frontier(): number {
    return this.frontierValue;
  }

  /** A cursor is missing below one that is held: fetch history after {@link frontier}. */
  hasHole(): boolean {
    return this.held.size > 0;
  }

  /** A DELIVER (`live`) or a HISTORY frame. */
  accept(cursor: number, envelope: Uint8Array, live: boolean): void {
    if (cursor <= this.frontierValue || this.held.has(cursor)) return;
    const gap = this.pendingGap;
    // A history answer comes in cursor order, so its frames say how far the gap it
    // announced reaches: one past it ends the gap; one inside it is a pinned envelope
    // that survived, and the cursors before it that are not held are gone.
    if (!live && gap !== undefined) {
      if (cursor > gap.upTo) this.flushGap();
      else this.skipTo(cursor - 1);
    }
    this.held.set(cursor, { envelope, live });
    this.drain();
  }

  /** The ACK of my own publish: the relay never hands it back to this connection. */
  own(cursor: number): void {
    if (cursor <= this.frontierValue || this.held.has(cursor)) return;
    this.held.set(cursor, { envelope: undefined, live: true });
    this.drain();
  }

  /** A `gap` notice of the history answer under way. */
  gap(after: number, upTo: number): void {
    if (upTo <= this.frontierValue) return;
    const current = this.pendingGap;
    this.pendingGap = current === undefined ? { after, upTo } : { after: Math.min(current.after, after), upTo: Math.max(current.upTo, upTo) };
  }

  /**
   * The last page of a history answer ended (`more: false`): every envelope up to `head` the
   * relay still has was in it. A pending gap is handed over; cursors up to `head` that
   * neither came nor were reported gone were withheld, and become a gap too (loss is shown,
   * never silent). Cursors past `head` may still be on their way: they stay holes.
   */
  historyEnd(head: number): void {
    if (this.pendingGap !== undefined) this.flushGap();
    while (this.frontierValue < head) {
      let next = head + 1;
      for (const cursor of this.held.keys()) if (cursor > this.frontierValue && cursor < next) next = cursor;
      const lostUpTo = Math.min(next - 1, head);
      if (lostUpTo > this.frontierValue) {
        this.sink.gap(this.frontierValue, lostUpTo);
        this.frontierValue = lostUpTo;
      }
      this.drain();
      if (next > head) break;
    }
  }

  /** Hands over everything the pending gap settles, then the gap itself. */
  private flushGap(): void {
    const gap = this.pendingGap!;
    this.pendingGap = undefined;
    this.skipTo(gap.upTo);
    this.sink.gap(gap.after, gap.upTo);
    this.drain();
  }

  /** Hands over, in order, what is held up to `cursor`, and settles the cursors between. */
  private skipTo(cursor: number): void {
    if (cursor <= this.frontierValue) return;
    const below = [...this.held.keys()].filter((held) => held <= cursor).sort((a, b) => a - b);
    for (const held of below) this.handOver(held);
    this.frontierValue = cursor;
  }

  /** Hands over the held cursors that continue the frontier. */
  private drain(): void {
    while (this.held.has(this.frontierValue + 1)) this.handOver(this.frontierValue + 1);
  }

  private handOver(cursor: number): void {
    const held = this.held.get(cursor)!;
    this.held.delete(cursor);
    this.frontierValue = cursor;
    if (held.envelope !== undefined) this.sink.envelope(cursor, held.envelope, held.live);
  }
}
