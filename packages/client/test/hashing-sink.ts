/**
 * A file-transfer sink for tests: hashes and counts what it is given, keeping nothing,
 * so a large transfer can be checked byte for byte without holding it in memory.
 */
import { createHash } from 'node:crypto';

export function hashingSink() {
  const hash = createHash('sha256');
  const state = { bytes: 0, closed: false, aborted: false, digest: '' };
  const sink = new WritableStream<Uint8Array>({
    write(chunk) {
      hash.update(chunk);
      state.bytes += chunk.length;
    },
    close() {
      state.closed = true;
      state.digest = hash.digest('hex');
    },
    abort() {
      state.aborted = true;
    },
  });
  return { sink, state };
}
