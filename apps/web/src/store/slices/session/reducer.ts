import type { AppEvent } from '../../events.js';
import type { SessionState } from './initialState.js';

export function sessionReducer(state: SessionState, event: AppEvent): SessionState {
  switch (event.type) {
    case 'session/booted':
      return { ...state, phase: event.state, identity: event.identity };
    case 'identity':
      // Locking forgets the identity in memory; the stored (wrapped) one remains.
      return {
        ...state,
        phase: event.state,
        identity: event.state === 'unlocked' ? event.identity : null,
        progress: event.state === 'unlocked' ? null : state.progress,
      };
    case 'session/busy':
      return {
        ...state,
        busy: event.busy,
        error: event.busy ? null : state.error,
        progress: event.busy === 'creating' ? { step: 'encryption-key', fraction: 0 } : event.busy ? state.progress : null,
      };
    case 'session/progress':
      return { ...state, progress: { step: event.step, fraction: Math.min(1, Math.max(0, event.fraction)) } };
    case 'session/error':
      return { ...state, error: event.error };
    default:
      return state;
  }
}
