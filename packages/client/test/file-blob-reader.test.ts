/**
 * The sender's Blob reads (file-blob-reader.ts): asked in order, reads run ahead, so a slow
 * read (another process in a browser) does not set the pace alone; asked out of order, the
 * reads start again from there; every chunk's bytes are its own.
 */
import { describe, expect, it } from 'vitest';
import { READ_AHEAD_CHUNKS, blobChunkReader } from '../src/file-blob-reader.js';

const CHUNK = 4;
const COUNT = 10;
const SIZE = CHUNK * (COUNT - 1) + 2; // the last chunk is short

/** A Blob whose reads wait until the test lets them finish, recording what was read. */
function slowBlob() {
  const bytes = Uint8Array.from({ length: SIZE }, (_, i) => i);
  const reads: { start: number; finish: () => void }[] = [];
  const blob = {
    size: SIZE,
    slice: (start: number, end: number) => ({
      arrayBuffer: () =>
        new Promise<ArrayBuffer>((resolve) => {
          reads.push({ start, finish: () => resolve(bytes.slice(start, end).buffer) });
        }),
    }),
  } as unknown as Blob;
  return { blob, reads, finishAll: () => reads.forEach((r) => r.finish()) };
}
const lengthOf = (index: number) => (index === COUNT - 1 ? SIZE - index * CHUNK : CHUNK);

describe('blob chunk reads', () => {
  it('in order, the next chunks are being read before they are asked for', async () => {
    const { blob, reads, finishAll } = slowBlob();
    const read = blobChunkReader(blob, CHUNK, COUNT, lengthOf);
    const first = read(0);
    expect(reads.map((r) => r.start / CHUNK)).toEqual([0, ...Array.from({ length: READ_AHEAD_CHUNKS }, (_, i) => i + 1)]);
    finishAll();
    expect([...(await first)]).toEqual([0, 1, 2, 3]);
    const second = read(1);
    finishAll();
    expect([...(await second)]).toEqual([4, 5, 6, 7]);
    expect(reads.filter((r) => r.start === CHUNK)).toHaveLength(1); // read once, ahead
  });

  it('reads no further than the last chunk, which is short', async () => {
    const { blob, reads, finishAll } = slowBlob();
    const read = blobChunkReader(blob, CHUNK, COUNT, lengthOf);
    const last = read(COUNT - 1);
    finishAll();
    expect([...(await last)]).toEqual([36, 37]);
    expect(reads.map((r) => r.start / CHUNK)).toEqual([COUNT - 1]);
  });

  it('out of order, starts again from the chunk asked for, with its own bytes', async () => {
    const { blob, reads, finishAll } = slowBlob();
    const read = blobChunkReader(blob, CHUNK, COUNT, lengthOf);
    void read(0);
    const before = reads.length;
    const resend = read(7);
    finishAll();
    expect([...(await resend)]).toEqual([28, 29, 30, 31]);
    expect(reads[before]?.start).toBe(7 * CHUNK);
  });
});
