import type { RoomId } from '@sealroom/client';
import { isLineWarning } from '../../../lib/warnings.js';
import type { AppEvent } from '../../events.js';
import { type DisplayItem, initialTimelineState, type TimelineState } from './initialState.js';

function withRoom(state: TimelineState, roomId: RoomId, items: DisplayItem[]): TimelineState {
  return { ...state, byRoom: { ...state.byRoom, [roomId]: items } };
}

/** Replaces the item with the same id in place, or appends it. */
function upsert(items: readonly DisplayItem[], item: DisplayItem): DisplayItem[] {
  const index = items.findIndex((existing) => existing.id === item.id);
  if (index === -1) return [...items, item];
  const next = items.slice();
  next[index] = item;
  return next;
}

export function timelineReducer(state: TimelineState, event: AppEvent): TimelineState {
  switch (event.type) {
    case 'timeline/loaded': {
      // Events may have arrived while history was loading: keep them after the stored
      // items, without duplicates.
      const stored = new Set(event.items.map((i) => i.id));
      const live = (state.byRoom[event.roomId] ?? []).filter((i) => !stored.has(i.id));
      return {
        byRoom: { ...state.byRoom, [event.roomId]: [...event.items, ...live] },
        loaded: { ...state.loaded, [event.roomId]: true },
      };
    }
    case 'message':
    case 'file-offer':
      return withRoom(state, event.roomId, upsert(state.byRoom[event.roomId] ?? [], event.item));
    case 'message-updated': {
      // In place only: an update never brings back an item this view already dropped.
      const items = state.byRoom[event.roomId];
      if (!items?.some((i) => i.id === event.item.id)) return state;
      return withRoom(state, event.roomId, upsert(items, event.item));
    }
    case 'delivery': {
      const items = state.byRoom[event.roomId];
      if (!items) return state;
      return withRoom(
        state,
        event.roomId,
        items.map((i) => (i.id === event.id && (i.kind === 'text' || i.kind === 'file') ? { ...i, state: event.state } : i)),
      );
    }
    case 'receipt': {
      const items = state.byRoom[event.roomId];
      if (!items) return state;
      return withRoom(
        state,
        event.roomId,
        items.map((i) => (i.id === event.id && i.kind === 'text' ? { ...i, receipts: event.receipts } : i)),
      );
    }
    case 'expired': {
      const items = state.byRoom[event.roomId];
      if (!items) return state;
      const gone = new Set(event.ids);
      return withRoom(
        state,
        event.roomId,
        items.filter((i) => !gone.has(i.id)),
      );
    }
    case 'timeline/prune': {
      // Belt and braces beside the client's own expiry: never show a message past its time.
      let changed = false;
      const byRoom: TimelineState['byRoom'] = {};
      for (const [roomId, items] of Object.entries(state.byRoom)) {
        const kept = items.filter((i) => i.expiresAt === null || i.expiresAt > event.now);
        if (kept.length !== items.length) changed = true;
        byRoom[roomId] = kept;
      }
      return changed ? { ...state, byRoom } : state;
    }
    case 'file-complete':
    case 'file-failed': {
      const items = state.byRoom[event.roomId];
      if (!items) return state;
      const transfer = event.type === 'file-complete' ? 'complete' : 'failed';
      return withRoom(
        state,
        event.roomId,
        items.map((i) => (i.kind === 'file' && i.file.fileId === event.fileId ? { ...i, transfer } : i)),
      );
    }
    case 'warnings/received': {
      const { warning } = event;
      // Lines go in the room where the bad envelope arrived.
      if (!warning.roomId || !isLineWarning(warning)) return state;
      const item: DisplayItem = {
        kind: 'warning',
        id: event.id,
        roomId: warning.roomId,
        receivedAt: event.at,
        expiresAt: null,
        warning: warning.kind,
        code: warning.code,
        detail: warning.detail,
      };
      return withRoom(state, warning.roomId, upsert(state.byRoom[warning.roomId] ?? [], item));
    }
    case 'identity':
      return event.state === 'unlocked' ? state : initialTimelineState;
    default:
      return state;
  }
}
