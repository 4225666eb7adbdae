import type { TextMessage } from '@sealroom/client';
import { describe, expect, it } from 'vitest';
import { initialComposeState } from './initialState.js';
import { composeReducer } from './reducer.js';

const text = (over: Partial<TextMessage> = {}): TextMessage => ({
  kind: 'text',
  id: 'a/1',
  roomId: 'r',
  sentAt: 0,
  receivedAt: 0,
  expiresAt: null,
  sender: 'a',
  senderName: 'A',
  text: 'hi',
  mentions: [],
  mentionsMe: false,
  directTo: null,
  state: 'received',
  ...over,
});

describe('composeReducer', () => {
  it('sets and clears what a room’s composer answers or edits', () => {
    let s = composeReducer(initialComposeState, { type: 'compose/target', roomId: 'r', target: { mode: 'reply', itemId: 'a/1' } });
    expect(s.byRoom.r).toEqual({ mode: 'reply', itemId: 'a/1' });
    s = composeReducer(s, { type: 'compose/target', roomId: 'r', target: null });
    expect(s.byRoom.r).toBeUndefined();
  });

  it('drops a reply or edit whose message was deleted for everyone or expired', () => {
    const replying = composeReducer(initialComposeState, { type: 'compose/target', roomId: 'r', target: { mode: 'reply', itemId: 'a/1' } });
    expect(composeReducer(replying, { type: 'message-updated', roomId: 'r', item: text({ text: 'edited' }) }).byRoom.r).toBeDefined();
    expect(composeReducer(replying, { type: 'message-updated', roomId: 'r', item: text({ deleted: true, text: '' }) }).byRoom.r).toBeUndefined();
    expect(composeReducer(replying, { type: 'expired', roomId: 'r', ids: ['a/1'] }).byRoom.r).toBeUndefined();
  });

  it('numbers jump requests so the same quote clicked twice jumps twice', () => {
    const once = composeReducer(initialComposeState, { type: 'compose/jump', roomId: 'r', itemId: 'a/1' });
    const twice = composeReducer(once, { type: 'compose/jump', roomId: 'r', itemId: 'a/1' });
    expect(twice.jump?.nonce).toBe((once.jump?.nonce ?? 0) + 1);
  });
});
