/**
 * How fast a file goes (PROTOCOL C.6, step 3): the sender's three bounds and the progress
 * reports from receivers that pace it. Both ends and the benchmark's plain sender use these.
 */

/** Unacknowledged chunk bytes per outgoing file: 16 chunks of 256 KiB. */
export const MAX_IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/** Wait while the socket holds more than this many unsent bytes (about 8 chunks). */
export const MAX_SOCKET_BUFFER_BYTES = 2 * 1024 * 1024;
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

/** The file sender's flow control in one place, for tools that must send the same way (the bench). */
export const FILE_FLOW_CONTROL = Object.freeze({
  maxInFlightBytes: MAX_IN_FLIGHT_BYTES,
  maxSocketBufferBytes: MAX_SOCKET_BUFFER_BYTES,
  receiverWindowChunks: RECEIVER_WINDOW_CHUNKS,
  progressEveryChunks: PROGRESS_EVERY_CHUNKS,
});
