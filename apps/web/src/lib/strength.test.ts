import { describe, expect, it } from 'vitest';
import { loadStrengthChecker, meetsPolicy } from './strength.js';

describe('password policy', () => {
  it('rates with zxcvbn: common passwords are weak, unrelated words strong', async () => {
    const check = await loadStrengthChecker();
    expect(check('password123', []).score).toBeLessThan(2);
    expect(check('orbit kettle saffron 19 marsh', []).score).toBeGreaterThanOrEqual(3);
  });

  it('requires length, a rating of this very password, and a fair score', async () => {
    const check = await loadStrengthChecker();
    const strong = 'orbit kettle saffron 19 marsh';
    const rated = { password: strong, strength: check(strong, []) };
    expect(meetsPolicy(strong, rated)).toBe(true);
    expect(meetsPolicy(`${strong}x`, rated)).toBe(false);
    expect(meetsPolicy(strong, null)).toBe(false);
    const short = 'Zq8!vR2#';
    expect(meetsPolicy(short, { password: short, strength: check(short, []) })).toBe(false);
  });

  it('penalises passwords built from the display name', async () => {
    const check = await loadStrengthChecker();
    expect(check('alicealice1', ['alicealice']).score).toBeLessThan(2);
  });
});
