// The whole app state: one plain-data slice per concern, combined by a root reducer.
// Nothing here is persisted: the client owns storage (sealed, in IndexedDB), and no
// key or password ever enters the store.
import type { AppEvent } from './events.js';
import { type ComposeState, initialComposeState } from './slices/compose/initialState.js';
import { composeReducer } from './slices/compose/reducer.js';
import { type ConnectionSliceState, initialConnectionState } from './slices/connection/initialState.js';
import { connectionReducer } from './slices/connection/reducer.js';
import { type FilesState, initialFilesState } from './slices/files/initialState.js';
import { filesReducer } from './slices/files/reducer.js';
import { initialMembersState, type MembersState } from './slices/members/initialState.js';
import { membersReducer } from './slices/members/reducer.js';
import { initialRoomsState, type RoomsState } from './slices/rooms/initialState.js';
import { roomsReducer } from './slices/rooms/reducer.js';
import { initialSessionState, type SessionState } from './slices/session/initialState.js';
import { sessionReducer } from './slices/session/reducer.js';
import { initialTimelineState, type TimelineState } from './slices/timeline/initialState.js';
import { timelineReducer } from './slices/timeline/reducer.js';
import { initialUiState, type UiState } from './slices/ui/initialState.js';
import { uiReducer } from './slices/ui/reducer.js';
import { initialWarningsState, type WarningsState } from './slices/warnings/initialState.js';
import { warningsReducer } from './slices/warnings/reducer.js';

export interface AppState {
  session: SessionState;
  connection: ConnectionSliceState;
  rooms: RoomsState;
  timeline: TimelineState;
  members: MembersState;
  warnings: WarningsState;
  files: FilesState;
  ui: UiState;
  compose: ComposeState;
}

export const initialAppState: AppState = {
  session: initialSessionState,
  connection: initialConnectionState,
  rooms: initialRoomsState,
  timeline: initialTimelineState,
  members: initialMembersState,
  warnings: initialWarningsState,
  files: initialFilesState,
  ui: initialUiState,
  compose: initialComposeState,
};

/** Applies one event to every slice; a slice that does not change keeps its identity. */
export function rootReducer(state: AppState, event: AppEvent): AppState {
  const next: AppState = {
    session: sessionReducer(state.session, event),
    connection: connectionReducer(state.connection, event),
    rooms: roomsReducer(state.rooms, event),
    timeline: timelineReducer(state.timeline, event),
    members: membersReducer(state.members, event),
    warnings: warningsReducer(state.warnings, event),
    files: filesReducer(state.files, event),
    ui: uiReducer(state.ui, event),
    compose: composeReducer(state.compose, event),
  };
  const changed = (Object.keys(next) as (keyof AppState)[]).some((k) => next[k] !== state[k]);
  return changed ? next : state;
}
