import type { PendingKnock, RoomSummary, TextMessage } from '@sealroom/client';
import { describe, expect, it } from 'vitest';
import { initialRoomsState } from './initialState.js';
import { roomsReducer } from './reducer.js';
import { sortRooms } from './selectors.js';

const summary = (id: string, over: Partial<RoomSummary> = {}): RoomSummary => ({
  id,
  name: id,
  createdBy: 'm1',
  disappearingMs: null,
  memberCount: 1,
  active: true,
  status: 'current',
  myRole: 'admin',
  admins: ['m1'],
  linkPolicy: { approval: false, singleUse: false, expiresAt: null },
  epoch: 0,
  knockDeclined: null,
  pendingKnocks: 0,
  joinedAt: 0,
  lastActivityAt: 0,
  ...over,
});

const text = (roomId: string, state: TextMessage['state']): TextMessage => ({
  kind: 'text',
  id: `t-${Math.floor(performance.now() * 1000)}`,
  roomId,
  sentAt: 1,
  receivedAt: 1,
  expiresAt: null,
  sender: 'm2',
  senderName: 'Bob',
  text: 'hi',
  mentions: [],
  mentionsMe: false,
  directTo: null,
  state,
});

describe('roomsReducer', () => {
  it('counts messages from others in rooms not in front of me', () => {
    let s = roomsReducer(initialRoomsState, { type: 'rooms/loaded', summaries: [summary('a'), summary('b')] });
    s = roomsReducer(s, { type: 'rooms/select', roomId: 'a' });
    s = roomsReducer(s, { type: 'message', roomId: 'a', item: text('a', 'received') });
    s = roomsReducer(s, { type: 'message', roomId: 'b', item: text('b', 'received') });
    s = roomsReducer(s, { type: 'message', roomId: 'b', item: text('b', 'received') });
    s = roomsReducer(s, { type: 'message', roomId: 'b', item: text('b', 'sent') });
    expect(s.unread).toEqual({ a: 0, b: 2 });
    s = roomsReducer(s, { type: 'rooms/select', roomId: 'b' });
    expect(s.unread.b).toBe(0);
  });

  it('counts messages in the open room while the tab is hidden, and clears them on return', () => {
    let s = roomsReducer(initialRoomsState, { type: 'rooms/select', roomId: 'a' });
    s = roomsReducer(s, { type: 'ui/document-visible', visible: false });
    s = roomsReducer(s, { type: 'message', roomId: 'a', item: text('a', 'received') });
    expect(s.unread.a).toBe(1);
    s = roomsReducer(s, { type: 'ui/document-visible', visible: true });
    expect(s.unread.a).toBe(0);
  });

  it('records removal and updates summaries', () => {
    let s = roomsReducer(initialRoomsState, { type: 'room', roomId: 'a', summary: summary('a') });
    s = roomsReducer(s, { type: 'removed-me', roomId: 'a', by: 'm1' });
    s = roomsReducer(s, { type: 'room', roomId: 'a', summary: summary('a', { active: false }) });
    expect(s.removedMe).toEqual({ a: 'm1' });
    expect(s.summaries.a?.active).toBe(false);
  });

  it('keeps the knocks waiting per room, and none once I was removed', () => {
    const knock: PendingKnock = {
      knockId: 'k1',
      identityId: 'n1',
      displayName: 'Nina',
      fingerprint: 'fp',
      at: 1,
      removedBefore: false,
      nameClash: false,
      mixedScript: false,
    };
    let s = roomsReducer(initialRoomsState, { type: 'knock', roomId: 'a', knocks: [knock] });
    s = roomsReducer(s, { type: 'knock', roomId: 'b', knocks: [] });
    expect(s.knocks).toEqual({ a: [knock], b: [] });
    s = roomsReducer(s, { type: 'removed-me', roomId: 'a', by: 'm1' });
    expect(s.knocks.a).toEqual([]);
  });

  it('sorts active rooms first, newest activity first', () => {
    const sorted = sortRooms({
      old: summary('old', { lastActivityAt: 1 }),
      gone: summary('gone', { lastActivityAt: 9, active: false }),
      fresh: summary('fresh', { lastActivityAt: 5 }),
    });
    expect(sorted.map((r) => r.id)).toEqual(['fresh', 'old', 'gone']);
  });
});
