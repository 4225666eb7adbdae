import { isAlertWarning } from '../../../lib/warnings.js';
import type { AppEvent } from '../../events.js';
import { initialWarningsState, type WarningsState } from './initialState.js';

export function warningsReducer(state: WarningsState, event: AppEvent): WarningsState {
  switch (event.type) {
    case 'warnings/received': {
      const { warning } = event;
      if (!isAlertWarning(warning)) return state;
      // One open alert per (kind, room, member) is enough.
      const duplicate = state.alerts.some(
        (a) => a.kind === warning.kind && a.roomId === warning.roomId && a.member === warning.member,
      );
      if (duplicate) return state;
      return { alerts: [...state.alerts, { id: event.id, at: event.at, ...warning }] };
    }
    case 'warnings/acknowledge':
      return { alerts: state.alerts.filter((a) => a.id !== event.id) };
    case 'identity':
      return event.state === 'unlocked' ? state : initialWarningsState;
    default:
      return state;
  }
}
