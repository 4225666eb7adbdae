// The quick reactions offered on every message, and the check of a typed one (the client
// checks it again: exactly one emoji, PROTOCOL C.11).

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'] as const;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The one emoji typed into "Other…", trimmed; null for anything else. */
export function typedReaction(input: string): string | null {
  const value = input.trim();
  if (value.length === 0 || !/\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u.test(value)) return null;
  return [...graphemes.segment(value)].length === 1 ? value : null;
}

/** "Alice, Bob and you" for a reaction's tooltip. */
export function reactorNames(ids: readonly string[], nameOf: (id: string) => string): string {
  const names = ids.map(nameOf);
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
