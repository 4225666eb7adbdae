// Splits untrusted message text into segments the UI renders as React text nodes or
// anchors: never as HTML (DESIGN.md §3.10). Only http(s) URLs become links; anything
// else, `javascript:` included, stays plain text.

export type Segment =
  { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string } | { kind: 'mention'; text: string; name: string; me: boolean };

// An http(s) URL up to the next whitespace; trailing punctuation is trimmed below.
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/giu;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}'"]+$/u;

// Unicode bidirectional controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI). A
// right-to-left override can make "exe.txt" read as "txt.exe"; we show them as visible
// markers instead of letting them reorder the text around them.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/gu;

/** Replaces bidi control characters with a visible placeholder. */
export function neutraliseBidi(text: string): string {
  return text.replace(BIDI_CONTROLS, '\uFFFD');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}

/**
 * Splits a message body into text, link and mention segments.
 *
 * @param names display names of the room's members; `@name` matches the longest one.
 * @param myName the reader's own name, so mentions of them can be highlighted.
 */
export function segmentText(body: string, names: readonly string[], myName: string | null): Segment[] {
  const text = neutraliseBidi(body);
  const segments: Segment[] = [];
  const sorted = [...new Set(names)].filter((n) => n.length > 0).sort((a, b) => b.length - a.length);
  const mentionPattern = sorted.length > 0 ? new RegExp(`@(${sorted.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}_])`, 'gu') : null;

  const pushText = (chunk: string) => {
    if (chunk.length === 0) return;
    if (!mentionPattern) {
      segments.push({ kind: 'text', text: chunk });
      return;
    }
    let last = 0;
    for (const match of chunk.matchAll(mentionPattern)) {
      const start = match.index ?? 0;
      if (start > last) segments.push({ kind: 'text', text: chunk.slice(last, start) });
      const name = match[1] ?? '';
      segments.push({ kind: 'mention', text: match[0], name, me: myName !== null && name === myName });
      last = start + match[0].length;
    }
    if (last < chunk.length) segments.push({ kind: 'text', text: chunk.slice(last) });
  };

  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index ?? 0;
    const raw = match[0];
    const trimmed = raw.replace(TRAILING_PUNCTUATION, '');
    pushText(text.slice(last, start));
    segments.push({ kind: 'link', text: trimmed, href: safeHref(trimmed) ?? '' });
    last = start + trimmed.length;
  }
  pushText(text.slice(last));
  // A link whose URL failed to parse is shown as text.
  return segments.map((s) => (s.kind === 'link' && s.href === '' ? { kind: 'text', text: s.text } : s));
}

/** Returns the URL if it parses as http or https, otherwise null. */
export function safeHref(candidate: string): string | null {
  try {
    const url = new URL(candidate);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** Whether the body mentions `name` as a whole word after `@`. */
export function mentions(body: string, name: string): boolean {
  return segmentText(body, [name], name).some((s) => s.kind === 'mention' && s.me);
}

/**
 * The partial mention being typed at the caret, for autocomplete: `@al|` gives
 * `{ start, query: 'al' }`, or null when the caret is not inside one.
 */
export function mentionQueryAt(value: string, caret: number): { start: number; query: string } | null {
  const before = value.slice(0, caret);
  const match = /(^|\s)@([^\s@]{0,32})$/u.exec(before);
  if (!match) return null;
  const query = match[2] ?? '';
  return { start: caret - query.length - 1, query };
}
