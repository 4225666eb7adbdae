import type { AppEvent } from '../../events.js';
import type { ConnectionSliceState } from './initialState.js';

export function connectionReducer(state: ConnectionSliceState, event: AppEvent): ConnectionSliceState {
  switch (event.type) {
    case 'connection':
      return { byRelay: { ...state.byRelay, [event.relayUrl]: { state: event.state, retryInMs: event.retryInMs } } };
    case 'identity':
      return event.state === 'unlocked' ? state : { byRelay: {} };
    default:
      return state;
  }
}
