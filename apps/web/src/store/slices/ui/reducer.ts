import type { AppEvent } from '../../events.js';
import type { UiState } from './initialState.js';

/** Older toasts give way; a pile of them helps nobody. */
const MAX_TOASTS = 3;

export function uiReducer(state: UiState, event: AppEvent): UiState {
  switch (event.type) {
    case 'ui/view':
      return { ...state, view: event.view };
    case 'ui/panel':
      return { ...state, panel: event.panel };
    case 'ui/members-open':
      return {
        ...state,
        membersOpen: event.open,
        view: event.open ? 'members' : state.view === 'members' ? 'room' : state.view,
      };
    case 'rooms/select':
      return { ...state, view: event.roomId ? 'room' : 'list', panel: null };
    case 'ui/direct-target': {
      const directTarget = { ...state.directTarget };
      if (event.member) directTarget[event.roomId] = event.member;
      else delete directTarget[event.roomId];
      return { ...state, directTarget };
    }
    case 'member-left':
    case 'member-removed': {
      if (state.directTarget[event.roomId] !== event.member.id) return state;
      const directTarget = { ...state.directTarget };
      delete directTarget[event.roomId];
      return { ...state, directTarget };
    }
    case 'ui/toast':
      return { ...state, toasts: [...state.toasts, { id: event.id, text: event.text, tone: event.tone }].slice(-MAX_TOASTS) };
    case 'ui/toast-dismiss':
      if (!state.toasts.some((t) => t.id === event.id)) return state;
      return { ...state, toasts: state.toasts.filter((t) => t.id !== event.id) };
    case 'ui/focus-item':
      return { ...state, focusItem: { roomId: event.roomId, itemId: event.itemId, seq: (state.focusItem?.seq ?? 0) + 1 } };
    case 'ui/pending-invite':
      return { ...state, pendingInvite: event.invite };
    case 'ui/read-receipts':
      return { ...state, readReceipts: event.enabled };
    case 'identity':
      return event.state === 'unlocked' ? state : { ...state, view: 'list', panel: null, membersOpen: false, directTarget: {}, focusItem: null };
    default:
      return state;
  }
}
