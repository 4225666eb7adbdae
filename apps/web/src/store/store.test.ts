import type { RoomSummary, TextMessage } from '@sealroom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { initialAppState } from './state.js';
import { MESSAGE_BATCH_MS, dispatch, useAppStore } from './store.js';

const summary: RoomSummary = {
  id: 'r',
  name: 'r',
  createdBy: 'm1',
  disappearingMs: null,
  memberCount: 2,
  active: true,
  status: 'current',
  myRole: 'admin',
  admins: ['m1'],
  linkPolicy: { approval: false, singleUse: false, expiresAt: null },
  epoch: 1,
  knockDeclined: null,
  pendingKnocks: 0,
  joinedAt: 0,
  lastActivityAt: 0,
};

const text = (n: number): TextMessage => ({
  kind: 'text',
  id: `t-${n}`,
  roomId: 'r',
  sentAt: n,
  receivedAt: n,
  expiresAt: null,
  sender: 'm2',
  senderName: 'Bob',
  text: `message ${n}`,
  mentions: [],
  mentionsMe: false,
  directTo: null,
  state: 'received',
});

describe('dispatch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    useAppStore.setState(initialAppState);
    dispatch({ type: 'rooms/loaded', summaries: [summary] });
  });
  afterEach(() => vi.useRealTimers());

  it('applies a burst of incoming messages as one store update, in order, about a frame later', () => {
    const updates = vi.fn();
    const unsubscribe = useAppStore.subscribe(updates);
    for (let n = 1; n <= 100; n += 1) dispatch({ type: 'message', roomId: 'r', item: text(n) });
    expect(updates).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MESSAGE_BATCH_MS);
    expect(updates).toHaveBeenCalledTimes(1);
    expect(useAppStore.getState().rooms.unread.r).toBe(100);
    unsubscribe();
  });

  it('applies queued messages before any other event, so the store sees arrival order', () => {
    // Messages reach the open room of a visible tab (read at once), then the tab is hidden:
    // applied after the hide instead, they would count as unread.
    dispatch({ type: 'rooms/select', roomId: 'r' });
    dispatch({ type: 'ui/document-visible', visible: true });
    dispatch({ type: 'message', roomId: 'r', item: text(1) });
    dispatch({ type: 'message', roomId: 'r', item: text(2) });
    dispatch({ type: 'ui/document-visible', visible: false });
    vi.advanceTimersByTime(MESSAGE_BATCH_MS);
    expect(useAppStore.getState().rooms.unread.r ?? 0).toBe(0);
    dispatch({ type: 'message', roomId: 'r', item: text(3) });
    vi.advanceTimersByTime(MESSAGE_BATCH_MS);
    expect(useAppStore.getState().rooms.unread.r).toBe(1);
  });
});
