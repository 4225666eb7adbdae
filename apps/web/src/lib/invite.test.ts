import { describe, expect, it } from 'vitest';
import { takeInviteFromAddress } from './invite.js';

describe('takeInviteFromAddress', () => {
  it('returns the link and removes the fragment from the address bar', () => {
    const calls: (string | undefined)[] = [];
    const link = takeInviteFromAddress(
      { href: 'https://r.example/?x=1#v1.secret', hash: '#v1.secret', pathname: '/', search: '?x=1' },
      { replaceState: (_d, _u, url) => calls.push(url) },
    );
    expect(link).toBe('https://r.example/?x=1#v1.secret');
    expect(calls).toEqual(['/?x=1']);
  });

  it('leaves an address without a fragment alone', () => {
    const calls: unknown[] = [];
    expect(takeInviteFromAddress({ href: 'https://r/', hash: '', pathname: '/', search: '' }, { replaceState: () => calls.push(1) })).toBeNull();
    expect(calls).toEqual([]);
  });
});
