// The store's side of receipts: a message's receipts replaced by the newest, the setting.
import type { TextMessage } from '@sealroom/client';
import { describe, expect, it } from 'vitest';
import { initialTimelineState } from './slices/timeline/initialState.js';
import { timelineReducer } from './slices/timeline/reducer.js';
import { initialUiState } from './slices/ui/initialState.js';
import { uiReducer } from './slices/ui/reducer.js';

const mine = (id: string): TextMessage => ({
  kind: 'text',
  id,
  roomId: 'r',
  sentAt: 0,
  receivedAt: 0,
  expiresAt: null,
  sender: 'm-alice',
  senderName: 'Alice',
  text: id,
  mentions: [],
  mentionsMe: false,
  directTo: null,
  state: 'sent',
});

describe('receipts in the store', () => {
  it('a receipt event replaces that message’s receipts and leaves the others alone', () => {
    let s = timelineReducer(initialTimelineState, { type: 'timeline/loaded', roomId: 'r', items: [mine('a'), mine('b')] });
    const receipts = { audience: ['b', 'c'], delivered: ['b'], read: [] };
    s = timelineReducer(s, { type: 'receipt', roomId: 'r', id: 'a', receipts });
    expect(s.byRoom.r?.map((i) => (i.kind === 'text' ? i.receipts : null))).toEqual([receipts, undefined]);
    const unchanged = timelineReducer(s, { type: 'receipt', roomId: 'other', id: 'a', receipts });
    expect(unchanged).toBe(s);
  });

  it('keeps the read-receipt setting', () => {
    expect(initialUiState.readReceipts).toBe(true);
    expect(uiReducer(initialUiState, { type: 'ui/read-receipts', enabled: false }).readReceipts).toBe(false);
  });
});
