/**
 * When a batch of writes goes: after a short delay, so writes from the next few event-loop
 * turns join it, or at the end of this turn when the delay is 0. Both stores that write
 * elsewhere use it: a Redis script call and an SQLite commit each cost several times what
 * one more envelope in them does, so at a chat's rates (one or two envelopes a turn) a
 * millisecond's wait cuts the cost per envelope by half or more, for a millisecond of
 * latency (docs/BENCHMARKS.md).
 */
type Pending = { readonly kind: 'timeout'; readonly handle: NodeJS.Timeout } | { readonly kind: 'immediate'; readonly handle: NodeJS.Immediate };

export class FlushTimer {
  #pending: Pending | undefined;

  /** `flush` runs once per arming; `delayMs` 0 means at the end of the current turn. */
  constructor(
    private readonly flush: () => void,
    private readonly delayMs: number,
  ) {
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError('delayMs must be a finite number ≥ 0');
  }

  /** Schedules the flush unless it is already scheduled. */
  arm(): void {
    if (this.#pending !== undefined) return;
    const run = (): void => {
      this.#pending = undefined;
      this.flush();
    };
    // Even with a delay, never before this turn's I/O callbacks: they join the batch.
    this.#pending = this.delayMs > 0 ? { kind: 'timeout', handle: setTimeout(run, this.delayMs) } : { kind: 'immediate', handle: setImmediate(run) };
  }

  /** Unschedules the flush: its owner is flushing now (a full batch, closing). */
  cancel(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    if (pending.kind === 'timeout') clearTimeout(pending.handle);
    else clearImmediate(pending.handle);
    this.#pending = undefined;
  }
}
