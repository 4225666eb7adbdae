/**
 * Cursor order of one room's live deliveries on this process (PROTOCOL.md A.4). With
 * several processes, a room's envelopes reach a process by two paths that keep no order
 * between them: its own publishes, acknowledged by the store, and other processes'
 * envelopes, from the store's feed. Each is released only once every cursor before it has
 * been; cursors are contiguous per incarnation, so "every cursor before it" is exact, and a
 * missing one is a hole the room fetches from the store (rooms.ts decides when).
 *
 * Pure and synchronous: no timers, no I/O. Releasing is the caller's callback.
 */
export class DeliveryOrder<T> {
  /** Highest cursor released or skipped: everything up to it is settled. */
  #delivered: number;
  /** Highest cursor known to exist: held, or announced by {@link expect}. */
  #known: number;
  readonly #held = new Map<number, T>();

  constructor(
    delivered: number,
    private readonly release: (cursor: number, item: T) => void,
  ) {
    this.#delivered = delivered;
    this.#known = delivered;
  }

  get delivered(): number {
    return this.#delivered;
  }

  /** A cursor after {@link delivered} is known to exist but has not arrived. */
  hasHole(): boolean {
    return this.#known > this.#delivered;
  }

  /**
   * An envelope with its cursor: released now when it continues the order (with whatever
   * it unblocks), else held. False when it is settled already or held (a duplicate).
   */
  arrive(cursor: number, item: T): boolean {
    if (cursor <= this.#delivered || this.#held.has(cursor)) return false;
    if (cursor === this.#delivered + 1 && this.#held.size === 0) {
      // The common case, one process or no race: nothing to hold, nothing to look up.
      this.#delivered = cursor;
      if (this.#known < cursor) this.#known = cursor;
      this.release(cursor, item);
      return true;
    }
    this.#held.set(cursor, item);
    if (cursor > this.#known) this.#known = cursor;
    this.#drain();
    return true;
  }

  /** The held item with the lowest cursor (the one right after the hole), if any. */
  firstHeld(): T | undefined {
    let lowest = Number.POSITIVE_INFINITY;
    for (const cursor of this.#held.keys()) if (cursor < lowest) lowest = cursor;
    return this.#held.get(lowest);
  }

  /** Every cursor up to `head` exists (the store said so): those not delivered are a hole. */
  expect(head: number): void {
    if (head > this.#known) this.#known = head;
  }

  /**
   * Cursors up to `upTo` that are not held are gone (trimmed before they could be fetched):
   * held ones are released in order, the others skipped. Members learn of the skipped ones
   * from their own catch-up (PROTOCOL.md A.4, the client's cursor rule).
   */
  skipTo(upTo: number): void {
    if (upTo <= this.#delivered) return;
    const below = [...this.#held.keys()].filter((cursor) => cursor <= upTo).sort((a, b) => a - b);
    for (const cursor of below) this.#releaseHeld(cursor);
    this.#delivered = upTo;
    if (this.#known < upTo) this.#known = upTo;
    this.#drain();
  }

  /** Empties the order (its incarnation ended); returns what was held, in cursor order. */
  drop(): T[] {
    const held = [...this.#held.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
    this.#held.clear();
    this.#known = this.#delivered;
    return held;
  }

  #drain(): void {
    while (this.#held.has(this.#delivered + 1)) this.#releaseHeld(this.#delivered + 1);
  }

  #releaseHeld(cursor: number): void {
    const item = this.#held.get(cursor)!;
    this.#held.delete(cursor);
    this.#delivered = cursor;
    this.release(cursor, item);
  }
}
