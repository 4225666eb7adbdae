/**
 * After a refusal that asks the client to wait — RATE_LIMITED, or a budget's
 * (HISTORY_LIMITED, REGISTRATION_LIMITED, with `retryAfterMs`) — the relay stops reading the
 * connection for a moment.
 *
 * A refusal costs the relay nearly what an accepted message does — a frame read and parsed,
 * an error written — and a client that asks again as soon as it is refused gets one refusal
 * per round trip: the abuse run measured thousands per second from one address, a third of
 * a core spent saying no (docs/BENCHMARKS.md). Not reading the socket until the client may
 * ask again (capped at MAX_PAUSE_MS) makes TCP slow such a client down instead: messages
 * sent meanwhile wait in its socket, not in the relay, and are then read, accepted or
 * refused as usual, each answered. A client that keeps to the announced rates and waits
 * `retryAfterMs` never notices. Frames `ws` had already read when the pause began are still
 * handled: the pause bounds the refusals, it does not enforce the limits (the buckets do).
 */

/**
 * The longest pause, ms: short against the heartbeat and a person's patience; at the default
 * rate (200/s) a pause is 5 ms, so only the budgets' refusals (retryAfterMs of seconds) reach
 * it. It was 10 ms: a client spinning on HISTORY_LIMITED then still drew 1,600 refusals a
 * second from one address; at 100 ms it draws 200, and the relay spends 0.08–0.10 cores on
 * it instead of 0.12–0.16 (docs/BENCHMARKS.md, abuse run).
 */
export const MAX_PAUSE_MS = 100;

/** What pausing needs: the socket's reading, and a timer. */
export interface ReadPausePort<C> {
  pause(conn: C): void;
  resume(conn: C): void;
  setTimer(fn: () => void, ms: number): void;
}

export class ReadPause<C> {
  private readonly paused = new Set<C>();

  constructor(private readonly port: ReadPausePort<C>) {}

  /** A message of `conn` was refused; it may ask again in `waitMs`. */
  afterRefusal(conn: C, waitMs: number): void {
    if (this.paused.has(conn)) return;
    this.paused.add(conn);
    this.port.pause(conn);
    this.port.setTimer(
      () => {
        this.paused.delete(conn);
        this.port.resume(conn);
      },
      Math.min(MAX_PAUSE_MS, Math.max(1, Math.ceil(waitMs))),
    );
  }

  /** Connections paused now (tests, metrics). */
  get size(): number {
    return this.paused.size;
  }
}
