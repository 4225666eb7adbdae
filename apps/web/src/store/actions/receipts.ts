// Receipts: the read-receipt setting (kept in this browser) and telling the client when the
// user has seen a room, so its senders get a read receipt.
import { dispatch, useAppStore } from '../store.js';
import { currentClient } from './client-handle.js';

/**
 * Where the setting is kept: localStorage, not the sealed vault, because the client needs it
 * before unlock and it is no secret (whether I send read receipts shows to every member).
 */
const READ_RECEIPTS_KEY = 'sealroom.readReceipts';

/** The stored setting; on unless the user turned it off (or storage is unavailable). */
export function storedReadReceipts(): boolean {
  try {
    return globalThis.localStorage?.getItem(READ_RECEIPTS_KEY) !== 'off';
  } catch {
    return true;
  }
}

/** Turns read receipts on or off: for the client at once, the store, and the next visit. */
export function setReadReceipts(enabled: boolean): void {
  try {
    globalThis.localStorage?.setItem(READ_RECEIPTS_KEY, enabled ? 'on' : 'off');
  } catch {
    // A private window without storage: the choice holds for this visit.
  }
  currentClient()?.setReadReceipts(enabled);
  dispatch({ type: 'ui/read-receipts', enabled });
}

/**
 * Marks the open room read whenever the user can see it: the tab is visible and new items
 * arrived, or they opened the room or came back to the tab. Exactly the moments the unread
 * count of the room goes back to zero (rooms reducer).
 */
export function startReadReporting(): () => void {
  let last: { roomId: string | null; visible: boolean; count: number } = { roomId: null, visible: false, count: -1 };
  return useAppStore.subscribe((state) => {
    const roomId = state.rooms.activeRoomId;
    const visible = state.rooms.visible;
    const count = roomId ? (state.timeline.byRoom[roomId]?.length ?? 0) : 0;
    const changed = roomId !== last.roomId || visible !== last.visible || count !== last.count;
    last = { roomId, visible, count };
    if (!changed || !roomId || !visible || state.session.phase !== 'unlocked') return;
    currentClient()?.room(roomId)?.markRead();
  });
}
