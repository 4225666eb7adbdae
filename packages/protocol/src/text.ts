/** Checks on untrusted display text (names, room names). */

/**
 * Bidirectional controls and invisible characters that let one name masquerade as another
 * ("Bob" and "Bo\u200Bb" look the same but are different names, so a newcomer would not
 * be flagged as using a member's name). Zero-width joiner and non-joiner stay allowed:
 * emoji sequences and several scripts need them.
 */
const SPOOFING_CODE_POINTS = new Set([
  // bidirectional marks, embeddings, overrides and isolates
  0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
  // zero-width and invisible characters: soft hyphen, grapheme joiner, Hangul fillers,
  // Khmer inherent vowels, Mongolian vowel separator, zero-width space, word joiner and
  // invisible operators, deprecated format controls, Braille blank, byte-order mark
  0x00ad, 0x034f, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x180e, 0x200b, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0x206a, 0x206b, 0x206c, 0x206d, 0x206e, 0x206f,
  0x2800, 0x3164, 0xfeff, 0xffa0,
]);
/** C0 controls end here (exclusive). */
const C0_END = 0x20;
/** DEL and the C1 control range. */
const C1_START = 0x7f;
const C1_END = 0x9f;

/** Whether `text` contains control characters, bidirectional controls or invisible characters. */
export function hasUnsafeCharacters(text: string): boolean {
  for (const char of text) {
    const cp = char.codePointAt(0) ?? 0;
    if (cp < C0_END || (cp >= C1_START && cp <= C1_END) || SPOOFING_CODE_POINTS.has(cp)) return true;
  }
  return false;
}
