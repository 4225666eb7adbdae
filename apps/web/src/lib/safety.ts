// Safety-number display and comparison. A safety number is public (derived from two
// public identities), so comparing it with === is fine: no timing side channel exists
// for data an attacker already has.

/** 60 digits shown as 12 groups of 5, as Signal does. */
export const SAFETY_DIGITS = 60;
export const SAFETY_GROUP_DIGITS = 5;

export function groupDigits(digits: string): string[] {
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += SAFETY_GROUP_DIGITS) groups.push(digits.slice(i, i + SAFETY_GROUP_DIGITS));
  return groups;
}

export type Comparison = 'empty' | 'match' | 'mismatch' | 'incomplete';

/**
 * Compares what the other side shows (pasted digits in any grouping, or the scanned QR
 * payload) with mine.
 */
export function compareSafety(mine: { digits: string; qrPayload: string }, theirs: string): Comparison {
  const text = theirs.trim();
  if (text.length === 0) return 'empty';
  if (text === mine.qrPayload) return 'match';
  // Typed or pasted digits may be grouped with spaces, dashes or line breaks; anything
  // with letters in it is a (different) QR payload.
  if (!/^[\d\s\-.]+$/u.test(text)) return 'mismatch';
  const digits = text.replace(/\D/gu, '');
  if (digits.length < SAFETY_DIGITS) return 'incomplete';
  return digits === mine.digits ? 'match' : 'mismatch';
}
