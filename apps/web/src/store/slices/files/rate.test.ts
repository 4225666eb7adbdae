import { describe, expect, it } from 'vitest';
import { MIB } from '@sealroom/units';
import { RATE_MIN_SPAN_MS } from '../../../lib/transfer-rate.js';
import { initialFilesState } from './initialState.js';
import { filesReducer } from './reducer.js';
import { transferRate } from './selectors.js';

const progress = (bytes: number, atMs: number) => ({
  type: 'file-progress' as const,
  roomId: 'r',
  fileId: 'f',
  direction: 'send' as const,
  bytes,
  total: 100 * MIB,
  atMs,
});

describe('a transfer’s speed', () => {
  it('comes from the progress the page saw and when, and goes once the transfer ends', () => {
    let s = filesReducer(initialFilesState, { type: 'files/sending', roomId: 'r', fileId: 'f', name: 'a.bin', size: 100 * MIB });
    s = filesReducer(s, progress(MIB, 10_000));
    expect(transferRate(s.transfers.f!)).toBeNull();
    s = filesReducer(s, progress(MIB + 10 * MIB, 10_000 + RATE_MIN_SPAN_MS));
    expect(transferRate(s.transfers.f!)).toBe((10 * MIB * 1_000) / RATE_MIN_SPAN_MS);
    s = filesReducer(s, { type: 'file-complete', roomId: 'r', fileId: 'f', direction: 'send', sha256: '00' });
    expect(transferRate(s.transfers.f!)).toBeNull();
  });

  it('progress without a time (straight from the client) keeps the samples as they were', () => {
    let s = filesReducer(initialFilesState, progress(0, 0));
    s = filesReducer(s, { type: 'file-progress', roomId: 'r', fileId: 'f', direction: 'send', bytes: MIB, total: 100 * MIB });
    expect(s.transfers.f!.rateSamples).toEqual([{ atMs: 0, bytes: 0 }]);
  });
});
