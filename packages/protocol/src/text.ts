/** Checks on untrusted display text (names, room names). */

/** Bidirectional controls and invisible marks that let one name masquerade as another. */
const SPOOFING_CODE_POINTS = new Set([0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0xfeff]);
/** C0 controls end here (exclusive). */
const C0_END = 0x20;
/** DEL and the C1 control range. */
const C1_START = 0x7f;
const C1_END = 0x9f;

/** Whether `text` contains control characters or bidirectional overrides. */
export function hasUnsafeCharacters(text: string): boolean {
  for (const char of text) {
    const cp = char.codePointAt(0) ?? 0;
    if (cp < C0_END || (cp >= C1_START && cp <= C1_END) || SPOOFING_CODE_POINTS.has(cp)) return true;
  }
  return false;
}
