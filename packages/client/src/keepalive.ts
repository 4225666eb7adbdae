/**
 * Application-level keepalive (PROTOCOL C.8): browsers cannot send WebSocket pings, so the
 * client sends a JSON `ping` after a quiet interval and treats a missing `pong` as a dead
 * connection (half-open TCP: no close ever arrives).
 */
import type { Clock } from './platform.js';

/** Quiet time after which a ping goes out, ms. */
const KEEPALIVE_INTERVAL_MS = 20_000;
/** A connection with no pong this long after a ping is treated as dead, ms. */
const KEEPALIVE_TIMEOUT_MS = 10_000;

export class Keepalive {
  private pingTimer: unknown;
  private deadline: unknown;

  constructor(
    private readonly clock: Clock,
    private readonly on: { ping(): void; dead(): void },
  ) {}

  /** (Re)starts the wait for the next ping: on hello, and on every pong. */
  arm(): void {
    this.stop();
    this.pingTimer = this.clock.setTimeout(() => {
      this.pingTimer = undefined;
      this.on.ping();
      this.deadline = this.clock.setTimeout(() => {
        this.deadline = undefined;
        this.on.dead();
      }, KEEPALIVE_TIMEOUT_MS);
    }, KEEPALIVE_INTERVAL_MS);
  }

  stop(): void {
    if (this.pingTimer !== undefined) this.clock.clearTimeout(this.pingTimer);
    if (this.deadline !== undefined) this.clock.clearTimeout(this.deadline);
    this.pingTimer = undefined;
    this.deadline = undefined;
  }
}
