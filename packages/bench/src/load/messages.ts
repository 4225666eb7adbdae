// Messages between the harness and its load-generator worker threads.
import type { RoomSpec, ServerKind } from './connections.js';

export interface ConnectionPlan {
  /** Index into `OpenRequest.rooms`. */
  room: number;
  /** Index into `OpenRequest.urls`: which server process this connection talks to. */
  urlIndex: number;
  localAddress: string;
}

export interface OpenRequest {
  type: 'open';
  kind: ServerKind;
  /** The server processes; each connection names its own (`ConnectionPlan.urlIndex`). */
  urls: string[];
  rooms: RoomSpec[];
  connections: ConnectionPlan[];
  envelopeBytes: number;
  /** Handshakes in flight at once per worker. */
  openConcurrency: number;
}

export interface RunRequest {
  type: 'run';
  /** process.hrtime.bigint() of the common start, as a decimal string (bigint does not clone into JSON-like messages everywhere). */
  startNs: string;
  /** Envelopes per second per connection. */
  ratePerConnection: number;
  warmupMs: number;
  measureMs: number;
  /** Stop waiting for stragglers after this long without a delivery, ms. */
  drainQuietMs: number;
  drainMaxMs: number;
}

export interface CloseRequest {
  type: 'close';
}

export type WorkerRequest = OpenRequest | RunRequest | CloseRequest;

export interface OpenedReply {
  type: 'opened';
  opened: number;
  failed: number;
  firstFailure?: string;
  errors: Record<string, number>;
}

export interface RunReply {
  type: 'ran';
  /** Sends the schedule asked for inside the window (including skipped ones). */
  scheduledInWindow: number;
  /** Sends skipped inside the window because the socket's buffer was full. */
  skippedInWindow: number;
  /** Sends handed to a socket inside the window (scheduled − skipped): envelopes published. */
  sentInWindow: number;
  /**
   * Share of the window the worker's event loop was busy (`eventLoopUtilization`): near 1,
   * the worker, not the server, set the pace.
   */
  loopUtilisation: number;
  /** Deliveries received inside the window. */
  deliveredInWindow: number;
  /** Delivery latencies of the window's deliveries, ms. */
  latenciesMs: Float64Array;
  /** Sends the schedule asked for over the whole run vs those the worker managed to issue: below 1 means the generator lagged. */
  scheduleKeptRatio: number;
  /** Whether every delivery arrived before the drain gave up. */
  drained: boolean;
  errors: Record<string, number>;
}

export interface ClosedReply {
  type: 'closed';
}

export interface FailedReply {
  type: 'failed';
  message: string;
}

export type WorkerReply = OpenedReply | RunReply | ClosedReply | FailedReply;
