import type { TextMessage } from '@sealroom/client';
import { describe, expect, it } from 'vitest';
import { EXCERPT_CHARS, excerpt } from './excerpt.js';

const text = (body: string, over: Partial<TextMessage> = {}): TextMessage => ({
  kind: 'text',
  id: 'a/1',
  roomId: 'r',
  sentAt: 0,
  receivedAt: 0,
  expiresAt: null,
  sender: 'a',
  senderName: 'A',
  text: body,
  mentions: [],
  mentionsMe: false,
  directTo: null,
  state: 'received',
  ...over,
});

describe('excerpt', () => {
  it('is one line, cut by code points with an ellipsis', () => {
    expect(excerpt(text('two\nlines'))).toBe('two lines');
    const long = '😀'.repeat(EXCERPT_CHARS + 5);
    expect(excerpt(text(long))).toBe(`${'😀'.repeat(EXCERPT_CHARS)}…`);
  });

  it('neutralises bidi controls and says when the message was deleted', () => {
    expect(excerpt(text('evil\u202Etxt.exe'))).toBe('evil\uFFFDtxt.exe');
    expect(excerpt(text('', { deleted: true }))).toBe('Message deleted');
  });
});
