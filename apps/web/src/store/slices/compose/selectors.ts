import type { RoomId } from '@sealroom/client';
import type { AppState } from '../../state.js';

export const selectComposeTarget = (roomId: RoomId) => (s: AppState) => s.compose.byRoom[roomId] ?? null;
export const selectJump = (s: AppState) => s.compose.jump;

/** A stored item of a room by timeline id (messages only; warnings and system lines have none to quote). */
export const selectItem = (roomId: RoomId, itemId: string | null) => (s: AppState) => {
  if (itemId === null) return undefined;
  const item = s.timeline.byRoom[roomId]?.find((i) => i.id === itemId);
  return item?.kind === 'text' || item?.kind === 'file' ? item : undefined;
};
