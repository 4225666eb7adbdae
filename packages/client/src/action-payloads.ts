/**
 * The payloads that act on an earlier message (PROTOCOL C.11): an edit or a delete for
 * everyone by its author, a reaction by anyone, and the reference a reply carries. Each names
 * its target by author and application message id (`ref`); who may act on it is decided by
 * the receiver against the authenticated sender (message-actions.ts), never by this field
 * alone. Decoding validates every field and returns undefined for anything unexpected.
 */
import { utf8 } from '@sealroom/protocol';
import { APP_ID_BYTES, IDENTITY_ID_BYTES, MAX_TEXT_BYTES, boundedText, decodeMentions, isId } from './payload-fields.js';

/**
 * Longest reaction, in UTF-8 bytes. One emoji grapheme is at most a few dozen bytes (the
 * longest ZWJ sequences with skin tones are about 35); anything longer is not one emoji.
 */
export const MAX_REACTION_BYTES = 64;

/** A message by author identity id and its application (or file) id; its timeline id is `by/id`. */
export interface MessageRef {
  by: string;
  id: string;
}

export type ActionPayload =
  /** The author replaces the text of its message `ref` (no history is kept). */
  | { t: 'edit'; id: string; ts: number; ref: MessageRef; body: string; mentions: string[] }
  /** The author deletes its message `ref` for everyone. */
  | { t: 'delete'; id: string; ts: number; ref: MessageRef }
  /** The sender adds (`on`) or takes back its reaction `emoji` to `ref`. */
  | { t: 'react'; id: string; ts: number; ref: MessageRef; emoji: string; on: boolean };

export function decodeMessageRef(value: unknown): MessageRef | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const ref = value as Record<string, unknown>;
  return isId(ref.by, IDENTITY_ID_BYTES) && isId(ref.id, APP_ID_BYTES) ? { by: ref.by, id: ref.id } : undefined;
}

// Whole code points that may make up an emoji: pictographs, their modifiers and components
// (skin tones, ZWJ, variation selector, keycap, tags, regional indicators, digits, #, *).
const EMOJI_PARTS = /^[\p{Extended_Pictographic}\p{Emoji_Component}]+$/u;
// At least one of them must be an emoji in its own right, so "1" or "#" alone is refused.
const EMOJI_CORE = /[\p{Extended_Pictographic}\p{Regional_Indicator}\u20E3]/u;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** One emoji: a single grapheme made of emoji code points only, within {@link MAX_REACTION_BYTES}. */
export function isReactionEmoji(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || utf8(value).length > MAX_REACTION_BYTES) return false;
  if (!EMOJI_PARTS.test(value) || !EMOJI_CORE.test(value)) return false;
  let count = 0;
  for (const _ of graphemes.segment(value)) if (++count > 1) return false;
  return true;
}

/** Decodes an action payload whose version, type and time the caller has checked. */
export function decodeActionPayload(m: Record<string, unknown>, t: 'edit' | 'delete' | 'react', ts: number): ActionPayload | undefined {
  if (!isId(m.id, APP_ID_BYTES)) return undefined;
  const ref = decodeMessageRef(m.ref);
  if (ref === undefined) return undefined;
  switch (t) {
    case 'edit': {
      if (!boundedText(m.body, MAX_TEXT_BYTES)) return undefined;
      const mentions = decodeMentions(m.mentions);
      return mentions === undefined ? undefined : { t, id: m.id, ts, ref, body: m.body, mentions };
    }
    case 'delete':
      return { t, id: m.id, ts, ref };
    case 'react':
      return isReactionEmoji(m.emoji) && typeof m.on === 'boolean' ? { t, id: m.id, ts, ref, emoji: m.emoji, on: m.on } : undefined;
  }
}
