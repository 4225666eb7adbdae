import type { AppEvent } from '../../events.js';
import { addSample } from '../../../lib/transfer-rate.js';
import { type FilesState, initialFilesState, type Transfer } from './initialState.js';

function patch(state: FilesState, fileId: string, base: Omit<Transfer, 'fileId'>, change: Partial<Transfer>): FilesState {
  const current = state.transfers[fileId] ?? { fileId, ...base };
  return { transfers: { ...state.transfers, [fileId]: { ...current, ...change } } };
}

const fresh = (roomId: string, direction: Transfer['direction'], total: number): Omit<Transfer, 'fileId'> => ({
  roomId,
  direction,
  bytes: 0,
  total,
  status: 'waiting',
  code: null,
  url: null,
  savedTo: null,
  rateSamples: [],
});

export function filesReducer(state: FilesState, event: AppEvent): FilesState {
  switch (event.type) {
    case 'files/sending':
      return patch(state, event.fileId, fresh(event.roomId, 'send', event.size), {});
    case 'files/accepted':
      return patch(state, event.fileId, fresh(event.roomId, 'receive', event.size), { status: 'transferring', code: null, total: event.size });
    case 'files/declined':
      return patch(state, event.fileId, fresh(event.roomId, 'receive', 0), { status: 'declined' });
    case 'file-progress': {
      const current = state.transfers[event.fileId];
      // A send-side transfer may report progress per recipient; never go backwards.
      const bytes = Math.max(current?.bytes ?? 0, event.bytes);
      if (current?.status === 'complete' || current?.status === 'failed') return state;
      const samples = current?.rateSamples ?? [];
      return patch(state, event.fileId, fresh(event.roomId, event.direction, event.total), {
        bytes,
        total: event.total,
        status: 'transferring',
        rateSamples: 'atMs' in event ? addSample(samples, { atMs: event.atMs, bytes }) : samples,
      });
    }
    case 'file-complete': {
      const current = state.transfers[event.fileId];
      return patch(state, event.fileId, fresh(event.roomId, event.direction, 0), {
        status: 'complete',
        bytes: current?.total ?? current?.bytes ?? 0,
      });
    }
    case 'file-failed':
      return patch(state, event.fileId, fresh(event.roomId, event.direction, 0), { status: 'failed', code: event.code });
    case 'files/saved': {
      const current = state.transfers[event.fileId];
      if (!current) return state;
      return { transfers: { ...state.transfers, [event.fileId]: { ...current, url: event.url, savedTo: event.savedTo } } };
    }
    case 'identity':
      return event.state === 'unlocked' ? state : initialFilesState;
    default:
      return state;
  }
}
