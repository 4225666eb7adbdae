import type { AppState } from '../../state.js';

export const selectPhase = (s: AppState) => s.session.phase;
export const selectIdentity = (s: AppState) => s.session.identity;
export const selectMyId = (s: AppState) => s.session.identity?.identityId ?? null;
export const selectBusy = (s: AppState) => s.session.busy;
export const selectProgress = (s: AppState) => s.session.progress;
export const selectSessionError = (s: AppState) => s.session.error;
