import type { RoomSummary } from '@sealroom/client';
import type { AppState } from '../../state.js';

/** Active rooms first, then by latest activity, newest first. */
export function sortRooms(summaries: Record<string, RoomSummary>): RoomSummary[] {
  return Object.values(summaries).sort((a, b) => Number(b.active) - Number(a.active) || b.lastActivityAt - a.lastActivityAt || a.name.localeCompare(b.name));
}

export const selectSummaries = (s: AppState) => s.rooms.summaries;
export const selectActiveRoomId = (s: AppState) => s.rooms.activeRoomId;
export const selectActiveRoom = (s: AppState) => (s.rooms.activeRoomId ? (s.rooms.summaries[s.rooms.activeRoomId] ?? null) : null);
export const selectUnread = (s: AppState) => s.rooms.unread;
export const selectRemovedMe = (s: AppState) => s.rooms.removedMe;
export const selectTotalUnread = (s: AppState) => Object.values(s.rooms.unread).reduce((a, b) => a + b, 0);
export const selectKnocks = (s: AppState) => s.rooms.knocks;
