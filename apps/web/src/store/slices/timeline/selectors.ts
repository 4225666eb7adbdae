import type { RoomId } from '@sealroom/client';
import { dayKey, dayLabel } from '../../../lib/format.js';
import type { AppState } from '../../state.js';
import type { DisplayItem } from './initialState.js';

const NO_ITEMS: DisplayItem[] = [];

export const selectRoomItems = (roomId: RoomId | null) => (s: AppState) => (roomId ? s.timeline.byRoom[roomId] : undefined) ?? NO_ITEMS;
export const selectRoomLoaded = (roomId: RoomId | null) => (s: AppState) => (roomId ? !!s.timeline.loaded[roomId] : false);

/** When an item happened, for ordering days: the sender's time for messages. */
export function itemTime(item: DisplayItem): number {
  return item.kind === 'warning' ? item.receivedAt : item.sentAt;
}

export type Row = { kind: 'day'; key: string; label: string } | { kind: 'item'; key: string; item: DisplayItem };

/** The message list's rows: each item, with a day separator wherever the day changes. */
export function timelineRows(items: readonly DisplayItem[], now: number, locale?: string): Row[] {
  const rows: Row[] = [];
  let lastDay: string | null = null;
  for (const item of items) {
    const at = itemTime(item);
    const day = dayKey(at);
    if (day !== lastDay) {
      rows.push({ kind: 'day', key: `day-${day}-${rows.length}`, label: dayLabel(at, now, locale) });
      lastDay = day;
    }
    rows.push({ kind: 'item', key: item.id, item });
  }
  return rows;
}

/** Whether the reader can see an item: a direct message only by its sender and recipient. */
export function visibleTo(item: DisplayItem, me: string | null): boolean {
  if (item.kind !== 'text' || item.directTo === null) return true;
  return me !== null && (item.sender === me || item.directTo === me);
}
