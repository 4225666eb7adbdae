/**
 * How fast a file goes (PROTOCOL C.6, step 3): the sender's three bounds and the progress
 * reports from receivers that pace it. Both ends and the benchmark's plain sender use these.
 */
import { MIB } from '@sealroom/units';

/** Unacknowledged chunk bytes per outgoing file: 16 chunks of 256 KiB. */
export const MAX_IN_FLIGHT_BYTES = 4 * MIB;
/** Wait while the socket holds more than this many unsent bytes (about 8 chunks). */
export const MAX_SOCKET_BUFFER_BYTES = 2 * MIB;
/**
 * End-to-end pacing: the sender stays at most this many chunks (8 MiB) ahead of the slowest
 * receiver's reported progress, so a slow sink bounds what piles up in receivers' memory
 * (a browser cannot push back on a WebSocket).
 */
export const RECEIVER_WINDOW_CHUNKS = 32;
/** A receiver reports progress every this many chunks (a quarter of the window). */
export const PROGRESS_EVERY_CHUNKS = RECEIVER_WINDOW_CHUNKS / 4;
/** A receiver silent this long no longer paces the sender (it went away), ms. */
export const RECEIVER_STALL_MS = 30_000;
/**
 * A receiver behind another one stops pacing sooner: once silent for this many of its own
 * latest intervals between progress reports (a live receiver, however slow, reports at its
 * steady pace; one whose socket died stops at once)...
 */
export const LAGGARD_SILENT_INTERVALS = 4;
/** ...but never sooner than this, so a pause of a busy machine does not count, ms. */
export const LAGGARD_MIN_SILENCE_MS = 2_000;

/** The file sender's flow control in one place, for tools that must send the same way (the bench). */
export const FILE_FLOW_CONTROL = Object.freeze({
  maxInFlightBytes: MAX_IN_FLIGHT_BYTES,
  maxSocketBufferBytes: MAX_SOCKET_BUFFER_BYTES,
  receiverWindowChunks: RECEIVER_WINDOW_CHUNKS,
  progressEveryChunks: PROGRESS_EVERY_CHUNKS,
});

/** What the sender knows of one accepter's progress (its `file-progress` reports). */
export interface ReceiverProgress {
  /** Chunks [0, next) written. */
  next: number;
  /** When it last reported (or accepted), sender's clock ms. */
  at: number;
  /** Time between its last two reports (accept to first report at first), ms. */
  interval?: number;
}

/**
 * How long the sender must wait before sending chunk `index` (0: send now), by the end-to-end
 * window: `index` must be below `next + RECEIVER_WINDOW_CHUNKS` of every receiver that still
 * paces. A receiver stops pacing once it has all chunks, after {@link RECEIVER_STALL_MS} of
 * silence, or — when another receiver is ahead of it — after a silence of
 * {@link LAGGARD_SILENT_INTERVALS} of its own report intervals (at least
 * {@link LAGGARD_MIN_SILENCE_MS}). The last rule is why a receiver that vanished mid-file
 * (issue 14) does not hold the others for the full stall timeout; a report brings it back.
 */
export function windowWaitMs(receivers: Iterable<ReceiverProgress>, index: number, chunkCount: number, now: number): number {
  const live = [...receivers].filter((r) => r.next < chunkCount && now - r.at < RECEIVER_STALL_MS);
  const leader = Math.max(...live.map((r) => r.next));
  const silenceAllowed = (r: ReceiverProgress) =>
    r.next < leader && r.interval !== undefined
      ? Math.min(RECEIVER_STALL_MS, Math.max(LAGGARD_MIN_SILENCE_MS, LAGGARD_SILENT_INTERVALS * r.interval))
      : RECEIVER_STALL_MS;
  const pacing = live.filter((r) => now - r.at < silenceAllowed(r));
  const holding = pacing.filter((r) => index >= r.next + RECEIVER_WINDOW_CHUNKS);
  if (holding.length === 0) return 0;
  // Until a receiver reports (the caller is woken) or the first holder stops pacing.
  return Math.max(1, Math.min(...pacing.map((r) => r.at + silenceAllowed(r) - now)));
}
