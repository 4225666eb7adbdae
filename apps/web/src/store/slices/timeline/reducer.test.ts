import type { FileMessage, TextMessage } from '@sealroom/client';
import { describe, expect, it } from 'vitest';
import { initialTimelineState } from './initialState.js';
import { timelineReducer } from './reducer.js';
import { timelineRows } from './selectors.js';

const text = (id: string, over: Partial<TextMessage> = {}): TextMessage => ({
  kind: 'text',
  id,
  roomId: 'r',
  sentAt: new Date(2026, 10, 23, 10).getTime(),
  receivedAt: 0,
  expiresAt: null,
  sender: 'm-bob',
  senderName: 'Bob',
  text: id,
  mentions: [],
  mentionsMe: false,
  directTo: null,
  state: 'received',
  ...over,
});

describe('timelineReducer', () => {
  it('merges loaded history with live items without duplicates', () => {
    let s = timelineReducer(initialTimelineState, { type: 'message', roomId: 'r', item: text('b') });
    s = timelineReducer(s, { type: 'timeline/loaded', roomId: 'r', items: [text('a'), text('b')] });
    expect(s.byRoom.r?.map((i) => i.id)).toEqual(['a', 'b']);
    expect(s.loaded.r).toBe(true);
  });

  it('moves my message from pending to sent', () => {
    let s = timelineReducer(initialTimelineState, { type: 'message', roomId: 'r', item: text('a', { state: 'pending' }) });
    s = timelineReducer(s, { type: 'delivery', roomId: 'r', id: 'a', state: 'sent' });
    expect(s.byRoom.r?.[0]).toMatchObject({ state: 'sent' });
  });

  it('replaces an item delivered twice instead of duplicating it', () => {
    let s = timelineReducer(initialTimelineState, { type: 'message', roomId: 'r', item: text('a') });
    s = timelineReducer(s, { type: 'message', roomId: 'r', item: text('a', { text: 'again' }) });
    expect(s.byRoom.r).toHaveLength(1);
  });

  it('removes expired items, by event and by clock', () => {
    let s = timelineReducer(initialTimelineState, {
      type: 'timeline/loaded',
      roomId: 'r',
      items: [text('a', { expiresAt: 100 }), text('b', { expiresAt: 300 }), text('c')],
    });
    s = timelineReducer(s, { type: 'expired', roomId: 'r', ids: ['a'] });
    expect(s.byRoom.r?.map((i) => i.id)).toEqual(['b', 'c']);
    s = timelineReducer(s, { type: 'timeline/prune', now: 300 });
    expect(s.byRoom.r?.map((i) => i.id)).toEqual(['c']);
  });

  it('shows a failed verification as a warning item, never a message', () => {
    const s = timelineReducer(initialTimelineState, {
      type: 'warnings/received',
      id: 'w1',
      at: 5,
      warning: { kind: 'bad-message', roomId: 'r', member: null, code: 'BAD_SIGNATURE', detail: 'signature did not verify' },
    });
    expect(s.byRoom.r).toEqual([
      {
        kind: 'warning',
        id: 'w1',
        roomId: 'r',
        receivedAt: 5,
        expiresAt: null,
        warning: 'bad-message',
        code: 'BAD_SIGNATURE',
        detail: 'signature did not verify',
      },
    ]);
  });

  it('keeps key-change warnings out of the timeline (they are alerts)', () => {
    const s = timelineReducer(initialTimelineState, {
      type: 'warnings/received',
      id: 'w1',
      at: 5,
      warning: { kind: 'key-changed', roomId: 'r', member: 'm', code: 'KEY_CHANGED', detail: '' },
    });
    expect(s.byRoom.r).toBeUndefined();
  });

  it('marks file transfers complete or failed', () => {
    const file: FileMessage = {
      kind: 'file',
      id: 'f',
      roomId: 'r',
      sentAt: 0,
      receivedAt: 0,
      expiresAt: null,
      sender: 'm',
      senderName: 'B',
      file: { fileId: 'F1', name: 'a.txt', size: 3, mimeType: 'text/plain', sha256: '00' },
      transfer: 'offered',
      state: 'received',
    };
    let s = timelineReducer(initialTimelineState, { type: 'file-offer', roomId: 'r', item: file });
    s = timelineReducer(s, { type: 'file-failed', roomId: 'r', fileId: 'F1', direction: 'receive', code: 'HASH_MISMATCH' });
    expect(s.byRoom.r?.[0]).toMatchObject({ transfer: 'failed' });
  });

  it('replaces an edited or deleted message in place, and never brings back one already gone', () => {
    let s = timelineReducer(initialTimelineState, { type: 'timeline/loaded', roomId: 'r', items: [text('a'), text('b')] });
    s = timelineReducer(s, { type: 'message-updated', roomId: 'r', item: text('a', { text: '', deleted: true }) });
    expect(s.byRoom.r?.map((i) => (i.kind === 'text' ? [i.id, i.text, i.deleted] : []))).toEqual([
      ['a', '', true],
      ['b', 'b', undefined],
    ]);
    s = timelineReducer(s, { type: 'expired', roomId: 'r', ids: ['b'] });
    expect(timelineReducer(s, { type: 'message-updated', roomId: 'r', item: text('b', { editedAt: 9 }) })).toBe(s);
  });

  it('forgets everything on lock', () => {
    const s = timelineReducer(initialTimelineState, { type: 'message', roomId: 'r', item: text('a') });
    expect(timelineReducer(s, { type: 'identity', state: 'locked', identity: null })).toEqual(initialTimelineState);
  });
});

describe('timelineRows', () => {
  it('inserts a separator whenever the day changes', () => {
    const now = new Date(2026, 10, 23, 12).getTime();
    const rows = timelineRows(
      [
        text('a', { sentAt: new Date(2026, 10, 22, 9).getTime() }),
        text('b', { sentAt: new Date(2026, 10, 22, 23).getTime() }),
        text('c', { sentAt: new Date(2026, 10, 23, 1).getTime() }),
      ],
      now,
    );
    expect(rows.map((r) => (r.kind === 'day' ? r.label : r.item.id))).toEqual(['Yesterday', 'a', 'b', 'Today', 'c']);
  });
});
