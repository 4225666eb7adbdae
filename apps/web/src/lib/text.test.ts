import { describe, expect, it } from 'vitest';
import { mentionQueryAt, mentions, neutraliseBidi, safeHref, segmentText } from './text.js';

describe('segmentText', () => {
  it('keeps markup as text', () => {
    const body = '<script>alert(1)</script><img src=x onerror=alert(1)>';
    expect(segmentText(body, [], null)).toEqual([{ kind: 'text', text: body }]);
  });

  it('links only http and https URLs, trimming trailing punctuation', () => {
    const segs = segmentText('see https://example.org/a?b=1. and javascript:alert(1)', [], null);
    expect(segs).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
      { kind: 'text', text: '. and javascript:alert(1)' },
    ]);
  });

  it('finds mentions of members, longest name first, marking the reader', () => {
    const segs = segmentText('hi @Bob Smith and @Bo, not @Bobby', ['Bo', 'Bob Smith'], 'Bob Smith');
    expect(segs).toEqual([
      { kind: 'text', text: 'hi ' },
      { kind: 'mention', text: '@Bob Smith', name: 'Bob Smith', me: true },
      { kind: 'text', text: ' and ' },
      { kind: 'mention', text: '@Bo', name: 'Bo', me: false },
      { kind: 'text', text: ', not @Bobby' },
    ]);
  });

  it('escapes names that look like regular expressions', () => {
    expect(segmentText('@a.b', ['a.b', '(x'], null)).toEqual([{ kind: 'mention', text: '@a.b', name: 'a.b', me: false }]);
    expect(segmentText('@axb', ['a.b'], null)).toEqual([{ kind: 'text', text: '@axb' }]);
  });
});

describe('neutraliseBidi', () => {
  it('replaces right-to-left overrides with a visible marker', () => {
    expect(neutraliseBidi('invoice\u202Etxt.exe')).toBe('invoice\uFFFDtxt.exe');
  });
});

describe('safeHref', () => {
  it('accepts http(s) and refuses other schemes', () => {
    expect(safeHref('https://a.example/')).toBe('https://a.example/');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,x')).toBeNull();
    expect(safeHref('not a url')).toBeNull();
  });
});

describe('mentions', () => {
  it('matches whole names only', () => {
    expect(mentions('ping @Alice', 'Alice')).toBe(true);
    expect(mentions('ping @Alicex', 'Alice')).toBe(false);
    expect(mentions('email alice@Alice', 'Alice')).toBe(true);
  });
});

describe('mentionQueryAt', () => {
  it('finds the partial name before the caret', () => {
    expect(mentionQueryAt('hello @al', 9)).toEqual({ start: 6, query: 'al' });
    expect(mentionQueryAt('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionQueryAt('hello al', 8)).toBeNull();
    expect(mentionQueryAt('mail a@b', 8)).toBeNull();
  });
});
