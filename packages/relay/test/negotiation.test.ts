import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseEncoding, matchesIfNoneMatch } from '../src/negotiation.js';

const BOTH = ['br', 'gzip'] as const;

describe('chooseEncoding (Accept-Encoding)', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['   ', undefined],
    ['gzip, deflate, br', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['br', 'br'],
    ['gzip', 'gzip'],
    ['BR', 'br'],
    // The obsolete alias is not negotiated: the file goes out as it is, which every client reads.
    ['x-gzip', undefined],
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.5', 'br'],
    ['br ; q=0.9 , gzip ; q=1.0', 'gzip'],
    ['br;q=0, gzip;q=0', undefined],
    ['gzip;q=0.1', 'gzip'],
    ['identity', undefined],
    ['identity, gzip;q=0.5', undefined],
    ['identity;q=0.5, gzip', 'gzip'],
    ['identity;q=0, gzip;q=0.2', 'gzip'],
    ['*', 'br'],
    ['*;q=0', undefined],
    ['*;q=0.5, br;q=0', 'gzip'],
    ['deflate, compress', undefined],
    // Not a coding of ours: sirv takes any header mentioning "br" (or "brotli") for brotli.
    ['brotli', undefined],
    ['xbr', undefined],
    // A malformed weight makes its element unreadable; the others still count.
    ['br;q=abc, gzip', 'gzip'],
    // negotiator reads weights leniently: an out-of-range one still counts as given.
    ['br;q=1.5', 'br'],
    ['br;q=-1', undefined],
    ['br;q=0.0001', 'br'],
    [',,;;=,', undefined],
  ] as const)('%j → %j', (header, expected) => {
    expect(chooseEncoding(header, BOTH)).toBe(expected);
  });

  it('chooses only among the copies present', () => {
    expect(chooseEncoding('br, gzip', ['gzip'])).toBe('gzip');
    expect(chooseEncoding('br', ['gzip'])).toBeUndefined();
    expect(chooseEncoding('br, gzip', [])).toBeUndefined();
  });

  it('never throws and always answers a present coding or identity, whatever the header', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.subarray([...BOTH]), (header, available) => {
        const chosen = chooseEncoding(header, available);
        expect(chosen === undefined || available.includes(chosen)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('matchesIfNoneMatch', () => {
  const etag = '"q3Jx0-9_AbCdEfGhIjKlMn"';
  it.each([
    [undefined, false],
    ['', false],
    ['*', true],
    [' * ', true],
    [etag, true],
    [`W/${etag}`, true],
    [`"a", ${etag}`, true],
    [`"a,b", ${etag}`, true],
    [`"a",${etag},"b"`, true],
    ['"a"', false],
    [etag.slice(1, -1), false],
    [`"${etag.slice(1, -1)}x"`, false],
    [`"x${etag.slice(1)}`, false],
    [etag.slice(0, -1), false],
    ['W/"q3Jx0-9_AbCdEfGhIjKlMn', false],
  ] as const)('%j → %j', (header, expected) => {
    expect(matchesIfNoneMatch(header, etag)).toBe(expected);
  });

  it('never throws, and matches an arbitrary header only when it holds the tag', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (header) => {
        const matched = matchesIfNoneMatch(header, etag);
        if (matched) expect(header.trim() === '*' || header.includes(etag)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});
