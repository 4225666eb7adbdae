/**
 * Reading a Blob's chunks for sending with reads ahead of the one asked for. In a browser a
 * Blob read crosses to another process and back, and under load one can take longer than
 * sealing and sending a chunk: read one at a time, in turn, the reads alone set the pace
 * (the 100 MB browser file, issue 15). A pass asks for chunks in order, so while chunk `i`
 * is taken, chunks up to `i + READ_AHEAD_CHUNKS` are already being read.
 */

/** Chunk reads in flight ahead of the one asked for (4 × 256 KiB held at most). */
export const READ_AHEAD_CHUNKS = 4;

/**
 * A reader of chunk `index` of `blob` (`length(index)` bytes at `index * chunkSize`). Asked
 * in order it keeps {@link READ_AHEAD_CHUNKS} reads going; asked out of order (a resend) it
 * drops what it read ahead and starts again from the chunk asked for.
 */
export function blobChunkReader(blob: Blob, chunkSize: number, chunkCount: number, length: (index: number) => number): (index: number) => Promise<Uint8Array> {
  const ahead = new Map<number, Promise<Uint8Array>>();
  const read = (index: number) => {
    const start = index * chunkSize;
    const reading = blob
      .slice(start, start + length(index))
      .arrayBuffer()
      .then((buffer) => new Uint8Array(buffer));
    reading.catch(() => undefined); // awaited when asked for, or dropped
    return reading;
  };
  return (index) => {
    const reading = ahead.get(index) ?? read(index);
    if (!ahead.has(index)) ahead.clear(); // out of order: what was read ahead is not wanted
    ahead.delete(index);
    for (let next = index + 1; next <= index + READ_AHEAD_CHUNKS && next < chunkCount; next += 1) {
      if (!ahead.has(next)) ahead.set(next, read(next));
    }
    return reading;
  };
}
