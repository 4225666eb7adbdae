import type { TextMessage } from '@sealroom/client';
import { describe, expect, it } from 'vitest';
import { buildSearchIndex, snippet } from './search.js';

const ME = 'me-id';
function text(id: string, body: string, extra: Partial<TextMessage> = {}): TextMessage {
  return {
    kind: 'text',
    id,
    roomId: 'r1',
    sentAt: Number(id.slice(1)),
    receivedAt: 0,
    expiresAt: null,
    sender: 'bob-id',
    senderName: 'Bob',
    text: body,
    mentions: [],
    mentionsMe: false,
    directTo: null,
    state: 'received',
    ...extra,
  };
}

describe('buildSearchIndex', () => {
  it('indexes the texts I may see in every room, and file names', () => {
    const index = buildSearchIndex(
      {
        r1: [text('m1', 'Café at noon'), text('m2', 'a private cafe', { directTo: 'carol-id' })],
        r2: [
          {
            kind: 'file',
            id: 'f3',
            roomId: 'r2',
            sentAt: 3,
            receivedAt: 0,
            expiresAt: null,
            sender: 'bob-id',
            senderName: 'Bob',
            file: { fileId: 'f3', name: 'cafe-menu.pdf', size: 1, mimeType: 'application/pdf', sha256: null },
            transfer: 'offered',
            state: 'received',
          },
        ],
      },
      ME,
    );
    expect(index.search('CAFE').hits.map((hit) => [hit.document.roomId, hit.document.id])).toEqual([
      ['r2', 'f3'],
      ['r1', 'm1'],
    ]);
  });
});

describe('snippet', () => {
  it('splits into plain and matched parts', () => {
    expect(snippet('say hello there', [[4, 9]])).toEqual([
      { text: 'say ', match: false },
      { text: 'hello', match: true },
      { text: ' there', match: false },
    ]);
  });

  it('cuts a long text around its first match', () => {
    const long = `${'x'.repeat(100)}needle${'y'.repeat(400)}`;
    const parts = snippet(long, [[100, 106]]);
    expect(parts[0]).toEqual({ text: '…', match: false });
    expect(parts.find((p) => p.match)?.text).toBe('needle');
    expect(parts.at(-1)).toEqual({ text: '…', match: false });
    expect(parts.map((p) => p.text).join('').length).toBeLessThan(260);
  });
});
