/**
 * The relay's event-loop delay, as a Prometheus histogram (`sealroom_event_loop_delay_seconds`):
 * a timer that should fire every SAMPLE_INTERVAL_MS records how late it fired. Everything
 * the relay does runs on that one loop, so a late timer is a late frame for every
 * connection: this is what a catch-up answer written in one piece, or a flood of refusals,
 * costs everybody else (docs/BENCHMARKS.md, the abuse run). A histogram, not a gauge, so
 * any number of scrapers can take differences between two scrapes.
 */
import { Histogram, type Registry } from 'prom-client';
import { SECOND_MS } from '@sealroom/units';

/** How often the sampling timer is due, ms: 20 wakeups a second, nothing beside the relay's work. */
export const LOOP_SAMPLE_INTERVAL_MS = 50;
/** Bucket bounds, seconds: from a millisecond (a busy turn) to two seconds (a stalled relay). */
const BUCKETS_S = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2];

export class LoopDelay {
  private readonly histogram: Histogram;
  private dueMs: number | undefined;

  constructor(registry: Registry) {
    this.histogram = new Histogram({
      name: 'sealroom_event_loop_delay_seconds',
      help: `How late a timer due every ${LOOP_SAMPLE_INTERVAL_MS} ms fired: the event-loop delay every connection saw.`,
      buckets: BUCKETS_S,
      registers: [registry],
    });
  }

  /** The sampling timer fired at `nowMs` (a monotonic clock, ms). */
  tick(nowMs: number): void {
    if (this.dueMs !== undefined) this.histogram.observe(Math.max(0, nowMs - this.dueMs) / SECOND_MS);
    this.dueMs = nowMs + LOOP_SAMPLE_INTERVAL_MS;
  }
}
