// The short, one-line excerpt of a message shown in a reply's quote and the composer's
// "Replying to" bar. Untrusted text: bidi controls neutralised, rendered as text only.
import type { FileMessage, TextMessage } from '@sealroom/client';
import { neutraliseBidi } from './text.js';

/** Characters of a quoted message shown; the rest is cut with an ellipsis. */
export const EXCERPT_CHARS = 80;

export function excerpt(item: TextMessage | FileMessage): string {
  if (item.kind === 'file') return `📎 ${neutraliseBidi(item.file.name)}`;
  if (item.deleted === true) return 'Message deleted';
  const line = neutraliseBidi(item.text).replace(/\s+/gu, ' ').trim();
  // By code points, so a cut never splits a surrogate pair.
  const chars = [...line];
  return chars.length > EXCERPT_CHARS ? `${chars.slice(0, EXCERPT_CHARS).join('')}…` : line;
}
