import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { initialAppState } from './state.js';
import { MESSAGE_BATCH_MS, dispatch, useAppStore } from './store.js';

const CHUNK = 256 * 1024;

describe('file progress', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    useAppStore.setState(initialAppState);
  });
  afterEach(() => vi.useRealTimers());

  it('a chunk’s worth each is applied as one store update about a frame later, and before a completion', () => {
    const updates = vi.fn();
    const unsubscribe = useAppStore.subscribe(updates);
    for (let n = 1; n <= 40; n += 1)
      dispatch({ type: 'file-progress', roomId: 'r', fileId: 'f', direction: 'receive', bytes: n * CHUNK, total: 100 * CHUNK, atMs: n });
    expect(updates).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MESSAGE_BATCH_MS);
    expect(updates).toHaveBeenCalledTimes(1);
    expect(useAppStore.getState().files.transfers.f).toMatchObject({ bytes: 40 * CHUNK, status: 'transferring' });
    expect(useAppStore.getState().files.transfers.f?.rateSamples).toHaveLength(40);

    dispatch({ type: 'file-progress', roomId: 'r', fileId: 'f', direction: 'receive', bytes: 100 * CHUNK, total: 100 * CHUNK, atMs: 41 });
    dispatch({ type: 'file-complete', roomId: 'r', fileId: 'f', direction: 'receive', sha256: '00' });
    expect(useAppStore.getState().files.transfers.f).toMatchObject({ bytes: 100 * CHUNK, status: 'complete' });
    unsubscribe();
  });
});
