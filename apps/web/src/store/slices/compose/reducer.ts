import type { AppEvent } from '../../events.js';
import type { ComposeState } from './initialState.js';
import { initialComposeState } from './initialState.js';

function without(state: ComposeState, roomId: string): ComposeState {
  if (!(roomId in state.byRoom)) return state;
  const byRoom = { ...state.byRoom };
  delete byRoom[roomId];
  return { ...state, byRoom };
}

export function composeReducer(state: ComposeState, event: AppEvent): ComposeState {
  switch (event.type) {
    case 'compose/target':
      if (event.target === null) return without(state, event.roomId);
      return { ...state, byRoom: { ...state.byRoom, [event.roomId]: event.target } };
    case 'compose/jump':
      return { ...state, jump: { roomId: event.roomId, itemId: event.itemId, nonce: (state.jump?.nonce ?? 0) + 1 } };
    case 'message-updated': {
      // A message deleted for everyone can no longer be answered or edited.
      const target = state.byRoom[event.roomId];
      const deleted = event.item.kind === 'text' && event.item.deleted === true;
      return target?.itemId === event.item.id && deleted ? without(state, event.roomId) : state;
    }
    case 'expired': {
      const target = state.byRoom[event.roomId];
      return target !== undefined && event.ids.includes(target.itemId) ? without(state, event.roomId) : state;
    }
    case 'identity':
      return event.state === 'unlocked' ? state : initialComposeState;
    default:
      return state;
  }
}
