import { describe, expect, it } from 'vitest';
import { initialFilesState } from './initialState.js';
import { filesReducer } from './reducer.js';
import { transferFraction } from './selectors.js';

describe('filesReducer', () => {
  it('follows a received file from accept to completion', () => {
    let s = filesReducer(initialFilesState, { type: 'files/accepted', roomId: 'r', fileId: 'f', size: 200 });
    expect(s.transfers.f?.status).toBe('transferring');
    s = filesReducer(s, { type: 'file-progress', roomId: 'r', fileId: 'f', direction: 'receive', bytes: 50, total: 200 });
    expect(transferFraction(s.transfers.f!)).toBe(0.25);
    s = filesReducer(s, { type: 'file-progress', roomId: 'r', fileId: 'f', direction: 'receive', bytes: 20, total: 200 });
    expect(s.transfers.f?.bytes).toBe(50);
    s = filesReducer(s, { type: 'file-complete', roomId: 'r', fileId: 'f', direction: 'receive', sha256: 'ab' });
    expect(s.transfers.f).toMatchObject({ status: 'complete', bytes: 200 });
    s = filesReducer(s, { type: 'files/saved', fileId: 'f', url: 'blob:x', savedTo: 'download' });
    expect(s.transfers.f).toMatchObject({ url: 'blob:x', savedTo: 'download' });
  });

  it('gives a received file its size, so a percentage, from the moment it is accepted', () => {
    const s = filesReducer(initialFilesState, { type: 'files/accepted', roomId: 'r', fileId: 'f', size: 200 });
    expect(s.transfers.f).toMatchObject({ direction: 'receive', status: 'transferring', bytes: 0, total: 200 });
    expect(transferFraction(s.transfers.f!)).toBe(0);
  });

  it('records a hash mismatch as a failure with its code, and ignores late progress', () => {
    let s = filesReducer(initialFilesState, { type: 'files/accepted', roomId: 'r', fileId: 'f', size: 200 });
    s = filesReducer(s, { type: 'file-failed', roomId: 'r', fileId: 'f', direction: 'receive', code: 'HASH_MISMATCH' });
    s = filesReducer(s, { type: 'file-progress', roomId: 'r', fileId: 'f', direction: 'receive', bytes: 9, total: 9 });
    expect(s.transfers.f).toMatchObject({ status: 'failed', code: 'HASH_MISMATCH' });
  });

  it('tracks the sending side', () => {
    let s = filesReducer(initialFilesState, { type: 'files/sending', roomId: 'r', fileId: 'f', name: 'a', size: 10 });
    expect(s.transfers.f).toMatchObject({ direction: 'send', total: 10, status: 'waiting' });
    s = filesReducer(s, { type: 'file-progress', roomId: 'r', fileId: 'f', direction: 'send', bytes: 10, total: 10 });
    expect(transferFraction(s.transfers.f!)).toBe(1);
  });
});
