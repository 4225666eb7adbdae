// The search over what this tab has decrypted (issue 16): an in-memory index built from the
// timelines in the store, never written anywhere. It lives only as long as the search dialog
// that built it; locking clears the store's timelines and closes the dialog, so nothing of
// it outlives the unlocked session.
import { SearchIndex, type HighlightRange, type IdentityId, type RoomId } from '@sealroom/client';
import type { DisplayItem } from '../store/slices/timeline/initialState.js';
import { visibleTo } from '../store/slices/timeline/selectors.js';

/** Builds the index over every room's texts and file names that `me` may see. */
export function buildSearchIndex(byRoom: Readonly<Record<RoomId, readonly DisplayItem[]>>, me: IdentityId | null): SearchIndex {
  const index = new SearchIndex();
  for (const [roomId, items] of Object.entries(byRoom)) {
    for (const item of items) {
      if ((item.kind !== 'text' && item.kind !== 'file') || !visibleTo(item, me)) continue;
      const text = item.kind === 'text' ? item.text : item.file.name;
      index.add({ roomId, id: item.id, text, sender: item.sender, senderName: item.senderName, sentAt: item.sentAt });
    }
  }
  return index;
}

/** Characters of context kept before the first match in a long message. */
const SNIPPET_LEAD_CHARS = 40;
/** Longest snippet shown for one result, characters. */
const SNIPPET_MAX_CHARS = 240;

export interface SnippetPart {
  text: string;
  match: boolean;
}

/**
 * The text of a result cut to a readable window around its first match, split into plain
 * and matched parts (rendered as text and `<mark>`, never as HTML).
 */
export function snippet(text: string, highlights: readonly HighlightRange[]): SnippetPart[] {
  const first = highlights[0]?.[0] ?? 0;
  const start = first > SNIPPET_LEAD_CHARS ? first - SNIPPET_LEAD_CHARS : 0;
  const end = Math.min(text.length, start + SNIPPET_MAX_CHARS);
  const parts: SnippetPart[] = [];
  let at = start;
  for (const [from, to] of highlights) {
    if (to <= start || from >= end) continue;
    const a = Math.max(from, start);
    const b = Math.min(to, end);
    if (a > at) parts.push({ text: text.slice(at, a), match: false });
    parts.push({ text: text.slice(a, b), match: true });
    at = b;
  }
  if (at < end) parts.push({ text: text.slice(at, end), match: false });
  if (start > 0) parts.unshift({ text: '…', match: false });
  if (end < text.length) parts.push({ text: '…', match: false });
  return parts;
}
