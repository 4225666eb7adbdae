/**
 * Reading a file to send, chunk by chunk, without holding it whole: a `Blob` is sliced, with
 * reads ahead (file-blob-reader.ts); a stream source is read forward and, to go back (a
 * resend, C.6), opened again through its factory and read forward to the index.
 */
import { chunkLength } from '@sealroom/protocol';
import type { FileSource } from './api.js';
import { SealroomClientError } from './errors.js';
import { blobChunkReader } from './file-blob-reader.js';

/** Name, MIME type and size of what is sent, as the offer states them. */
export function describeSource(source: FileSource): { name: string; type: string; size: number } {
  const size = 'blob' in source ? source.blob.size : source.size;
  const name = 'blob' in source ? (source.name ?? ((source.blob as { name?: unknown }).name as string | undefined) ?? 'file') : source.name;
  const type = ('blob' in source ? (source.mimeType ?? source.blob.type) : source.mimeType) || 'application/octet-stream';
  return { name, type, size };
}

/** Reads a stream into exact `chunkSize` pieces, in order (the last may be shorter). */
async function* rechunk(stream: ReadableStream<Uint8Array>, chunkSize: number): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let buffer = new Uint8Array(chunkSize);
  let filled = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      let offset = 0;
      // Whole chunks straight from the source's own buffer, when it is aligned with ours.
      while (filled === 0 && value.length - offset >= chunkSize) {
        yield value.subarray(offset, offset + chunkSize);
        offset += chunkSize;
      }
      while (offset < value.length) {
        const take = Math.min(chunkSize - filled, value.length - offset);
        buffer.set(value.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === chunkSize) {
          yield buffer;
          buffer = new Uint8Array(chunkSize);
          filled = 0;
        }
      }
    }
    if (filled > 0) yield buffer.subarray(0, filled);
  } finally {
    reader.releaseLock();
  }
}

/**
 * A reader of chunk `index` of the source. Each reader keeps its own position, so a second
 * one (for resends) does not disturb a running pass. Rejects `TRANSFER_FAILED` when a stream
 * is not the size it declared.
 */
export function chunkReader(source: FileSource, chunkSize: number): (index: number) => Promise<Uint8Array> {
  const size = describeSource(source).size;
  const chunkCount = Math.ceil(size / chunkSize);
  const expected = (index: number) => chunkLength({ size, chunkSize, chunkCount }, index);
  if ('blob' in source) return blobChunkReader(source.blob, chunkSize, chunkCount, expected);
  let iterator: AsyncGenerator<Uint8Array> | undefined;
  let position = 0;
  return async (index) => {
    if (iterator === undefined || index < position) {
      await iterator?.return(undefined);
      iterator = rechunk(source.openStream(), chunkSize);
      position = 0;
    }
    for (;;) {
      const next = await iterator.next();
      const at = position;
      position += 1;
      if (next.done === true || next.value.length !== expected(at)) throw new SealroomClientError('TRANSFER_FAILED', 'the stream is not the declared size');
      if (at === index) return next.value;
    }
  };
}
