import type { AppEvent } from '../../events.js';
import { initialRoomsState, type RoomsState } from './initialState.js';

export function roomsReducer(state: RoomsState, event: AppEvent): RoomsState {
  switch (event.type) {
    case 'rooms/loaded':
      return { ...state, summaries: Object.fromEntries(event.summaries.map((s) => [s.id, s])) };
    case 'room':
      return { ...state, summaries: { ...state.summaries, [event.roomId]: event.summary } };
    case 'rooms/select':
      return {
        ...state,
        activeRoomId: event.roomId,
        unread: event.roomId ? { ...state.unread, [event.roomId]: 0 } : state.unread,
      };
    case 'ui/document-visible': {
      const unread = event.visible && state.activeRoomId ? { ...state.unread, [state.activeRoomId]: 0 } : state.unread;
      return { ...state, visible: event.visible, unread };
    }
    case 'message': {
      const { item } = event;
      if (item.kind === 'system' || item.state !== 'received') return state;
      if (state.visible && state.activeRoomId === event.roomId) return state;
      return { ...state, unread: { ...state.unread, [event.roomId]: (state.unread[event.roomId] ?? 0) + 1 } };
    }
    case 'removed-me':
      return { ...state, removedMe: { ...state.removedMe, [event.roomId]: event.by }, knocks: { ...state.knocks, [event.roomId]: [] } };
    case 'knock':
      return { ...state, knocks: { ...state.knocks, [event.roomId]: event.knocks } };
    case 'identity':
      return event.state === 'unlocked' ? state : { ...initialRoomsState, visible: state.visible };
    default:
      return state;
  }
}
