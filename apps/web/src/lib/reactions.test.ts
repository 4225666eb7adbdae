import { describe, expect, it } from 'vitest';
import { reactorNames, typedReaction } from './reactions.js';

describe('reactions', () => {
  it('takes one typed emoji and refuses anything else', () => {
    expect(typedReaction(' 🦄 ')).toBe('🦄');
    expect(typedReaction('👍🏽')).toBe('👍🏽');
    expect(typedReaction('👍👍')).toBeNull();
    expect(typedReaction('ok')).toBeNull();
    expect(typedReaction('')).toBeNull();
  });

  it('names who reacted', () => {
    const names: Record<string, string> = { a: 'Alice', b: 'Bob', me: 'you' };
    expect(reactorNames(['a'], (id) => names[id]!)).toBe('Alice');
    expect(reactorNames(['a', 'b', 'me'], (id) => names[id]!)).toBe('Alice, Bob and you');
  });
});
