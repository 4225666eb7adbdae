import { describe, expect, it } from 'vitest';
import { charactersNeededText, KEY_GENERATION_STEP_TEXT } from './identity-texts.js';

describe('identity screen texts', () => {
  it('counts the missing characters with a noun that agrees', () => {
    expect(charactersNeededText(1)).toBe('1 more character needed.');
    expect(charactersNeededText(2)).toBe('2 more characters needed.');
    expect(charactersNeededText(11)).toBe('11 more characters needed.');
  });

  it('never shows an internal step name while keys are made', () => {
    for (const [step, text] of Object.entries(KEY_GENERATION_STEP_TEXT)) {
      expect(text).not.toContain(step);
      expect(text).toMatch(/^[A-Z][a-z ]+…$/);
    }
  });
});
