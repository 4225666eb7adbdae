import type { AppState } from '../../state.js';

export const selectView = (s: AppState) => s.ui.view;
export const selectPanel = (s: AppState) => s.ui.panel;
export const selectMembersOpen = (s: AppState) => s.ui.membersOpen;
export const selectToasts = (s: AppState) => s.ui.toasts;
export const selectPendingInvite = (s: AppState) => s.ui.pendingInvite;
export const selectDirectTargets = (s: AppState) => s.ui.directTarget;
export const selectFocusItem = (s: AppState) => s.ui.focusItem;
export const selectReadReceipts = (s: AppState) => s.ui.readReceipts;
