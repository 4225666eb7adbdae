import { resolveObjectURL } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { memorySink } from './save.js';

describe('memorySink', () => {
  it('collects chunks, copying each, and builds a Blob URL of exactly those bytes', async () => {
    const sink = memorySink('application/pdf');
    const writer = sink.stream.getWriter();
    const reused = new Uint8Array([1, 2, 3]);
    await writer.write(reused);
    reused.set([9, 9, 9]); // the writer reusing its buffer must not change what was received
    await writer.write(new Uint8Array([4, 5]));
    await writer.close();
    const url = sink.finish();
    expect(sink.savedTo).toBe('download');
    const blob = resolveObjectURL(url ?? '');
    expect(blob?.type).toBe('application/pdf');
    expect(new Uint8Array(await blob!.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
  });

  it('forgets what it had when the transfer is aborted', async () => {
    const sink = memorySink('');
    const writer = sink.stream.getWriter();
    await writer.write(new Uint8Array([1, 2, 3]));
    await writer.abort('HASH_MISMATCH');
    const blob = resolveObjectURL(sink.finish() ?? '');
    expect(blob?.size).toBe(0);
    expect(blob?.type).toBe('application/octet-stream');
  });
});
