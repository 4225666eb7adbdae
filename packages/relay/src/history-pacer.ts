/**
 * Catch-up answers go out in slices, a few per event-loop turn, instead of in one piece.
 *
 * A history answer can be thousands of frames and megabytes (A.5: up to 1000 envelopes and
 * about 8 MiB). Written in one turn, it holds the event loop for all of it — every other
 * connection's frames wait behind one client's catch-up — and puts the whole answer into
 * that client's socket buffer at once, whether it reads or not. The pacer instead:
 *
 * - sends at most SLICE_BYTES of one answer before moving to the next answer waiting, and
 *   at most TURN_BYTES per turn over all answers, then yields to I/O (`later`, a
 *   `setImmediate` in the relay): honest connections' publishes and deliveries run between
 *   slices, and answers to many connections take turns (round robin), so one address's
 *   many catch-ups do not starve another's;
 * - stops feeding a connection whose unsent output has reached HIGH_WATER_BYTES and waits
 *   until its socket drains (backpressure): a slow reader is fed as fast as it reads, and
 *   what it has not read stays as envelope references, not as frames in a buffer;
 * - sends one connection's answers one after the other, never mixed, each from its start
 *   (a `gap`) to its `history-end`.
 *
 * An answer is already cut to its budgets and charged for when it is queued (catchup.ts),
 * so what waits here is bounded by the catch-up budgets. A connection that closes, leaves
 * the room, or sees the room change incarnation meanwhile gets nothing more of the answer
 * (and no `history-end`): what it asked about is gone, as when the answer was unsent.
 */
import { KIB } from '@sealroom/units';

/** Most bytes of one answer sent before the next answer waiting gets its turn. */
export const SLICE_BYTES = 64 * KIB;
/** Most bytes of catch-up sent in one event-loop turn, over all answers (at least one frame each slice). */
export const TURN_BYTES = 256 * KIB;
/** A connection with this much unsent output gets no more catch-up until its socket drains. */
export const HIGH_WATER_BYTES = 256 * KIB;

/** One history answer: its frames, sent in order, then its end. */
export interface PacedAnswer<C> {
  readonly conn: C;
  /** Frames in the answer. */
  readonly frames: number;
  /** The answer's turn has come: sends what precedes its frames (a `gap`). */
  begin(): void;
  /** Still worth sending: the connection is open and still a member of the same incarnation. */
  stillWanted(): boolean;
  /** Sends frame `index`; its bytes, or undefined when the connection refused it (cut). */
  send(index: number): number | undefined;
  /** Every frame went out: sends `history-end`. */
  finish(): void;
}

/** What pacing needs from the relay. */
export interface PacerPort<C> {
  /** Runs `fn` after this turn's I/O callbacks. */
  later(fn: () => void): void;
  /** Bytes written to the connection and not yet sent. */
  buffered(conn: C): number;
  /** Runs `fn` once, when the connection's socket has drained or closed. */
  whenDrained(conn: C, fn: () => void): void;
}

interface Job<C> {
  readonly answer: PacedAnswer<C>;
  next: number;
  begun: boolean;
}

export class HistoryPacer<C> {
  /** Answers with a turn coming, oldest first: the head answer of each connection not waiting for a drain. */
  private readonly ready: Job<C>[] = [];
  /** Per connection: its answers in order, the first one being sent. */
  private readonly queues = new Map<C, Job<C>[]>();
  private scheduled = false;
  private readonly pumpNow = (): void => this.pump();

  constructor(private readonly port: PacerPort<C>) {}

  /** Queues an answer behind the connection's earlier ones. */
  enqueue(answer: PacedAnswer<C>): void {
    const job: Job<C> = { answer, next: 0, begun: false };
    const queue = this.queues.get(answer.conn);
    if (queue !== undefined) {
      queue.push(job);
      return;
    }
    this.queues.set(answer.conn, [job]);
    this.ready.push(job);
    this.schedule();
  }

  /** Answers queued or being sent (for tests and metrics). */
  get pending(): number {
    let count = 0;
    for (const queue of this.queues.values()) count += queue.length;
    return count;
  }

  private schedule(): void {
    if (this.scheduled || this.ready.length === 0) return;
    this.scheduled = true;
    this.port.later(this.pumpNow);
  }

  private pump(): void {
    this.scheduled = false;
    let turnBytes = 0;
    while (this.ready.length > 0 && turnBytes < TURN_BYTES) {
      const job = this.ready.shift()!;
      const { answer } = job;
      if (!answer.stillWanted()) {
        this.done(job);
        continue;
      }
      if (this.port.buffered(answer.conn) >= HIGH_WATER_BYTES) {
        this.port.whenDrained(answer.conn, () => this.resume(job));
        continue;
      }
      if (job.next === 0 && !job.begun) {
        job.begun = true;
        answer.begin();
      }
      let sliceBytes = 0;
      let cut = false;
      // At least one frame per slice, so an answer always moves on.
      while (job.next < answer.frames && (sliceBytes === 0 || (sliceBytes < SLICE_BYTES && this.port.buffered(answer.conn) < HIGH_WATER_BYTES))) {
        const bytes = answer.send(job.next);
        if (bytes === undefined) {
          cut = true;
          break;
        }
        job.next += 1;
        sliceBytes += bytes;
      }
      turnBytes += sliceBytes;
      if (cut) this.done(job);
      else if (job.next >= answer.frames) {
        answer.finish();
        this.done(job);
      } else this.ready.push(job);
    }
    this.schedule();
  }

  /** A drained connection's answer gets turns again (unless it was dropped meanwhile). */
  private resume(job: Job<C>): void {
    if (this.queues.get(job.answer.conn)?.[0] !== job) return;
    this.ready.push(job);
    this.schedule();
  }

  /** The connection's head answer is over (sent, or no longer wanted): its next one starts. */
  private done(job: Job<C>): void {
    const { conn } = job.answer;
    const queue = this.queues.get(conn);
    if (queue?.[0] !== job) return;
    queue.shift();
    if (queue.length === 0) this.queues.delete(conn);
    else this.ready.push(queue[0]!);
  }
}
