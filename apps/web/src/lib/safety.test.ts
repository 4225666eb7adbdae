import { describe, expect, it } from 'vitest';
import { compareSafety, groupDigits } from './safety.js';

const digits = '012345678901234567890123456789012345678901234567890123456789';
const mine = { digits, qrPayload: 'sealroom-safety:v1:abc' };

describe('safety numbers', () => {
  it('shows 60 digits as 12 groups of 5', () => {
    const groups = groupDigits(digits);
    expect(groups).toHaveLength(12);
    expect(groups.every((g) => g.length === 5)).toBe(true);
    expect(groups.join('')).toBe(digits);
  });

  it('matches pasted digits in any grouping, or the QR payload', () => {
    expect(compareSafety(mine, groupDigits(digits).join(' '))).toBe('match');
    expect(compareSafety(mine, groupDigits(digits).join('\n'))).toBe('match');
    expect(compareSafety(mine, ' sealroom-safety:v1:abc ')).toBe('match');
  });

  it('reports mismatches and incomplete input', () => {
    expect(compareSafety(mine, '')).toBe('empty');
    expect(compareSafety(mine, '01234 56789')).toBe('incomplete');
    expect(compareSafety(mine, `${digits.slice(0, 59)}0`)).toBe('mismatch');
    expect(compareSafety(mine, 'sealroom-safety:v1:abd')).toBe('mismatch');
  });
});
