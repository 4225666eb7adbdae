import type { MemberInfo } from '@sealroom/client';
import { describe, expect, it } from 'vitest';
import { memberLabel } from './member-label.js';

const member = (id: string, displayName: string, fingerprint: string, nameClash: boolean): MemberInfo => ({
  id,
  displayName,
  fingerprint,
  isMe: false,
  isCreator: false,
  role: 'member',
  nameClash,
  mixedScript: false,
  verified: false,
  online: true,
  joinedAt: 0,
});

describe('memberLabel', () => {
  const members = [
    member('a', 'Alice', '0a0a 1b1b 2c2c 3d3d', false),
    member('b1', 'Bob', 'aaaa bbbb cccc dddd', true),
    member('b2', 'Bob', '1234 5678 9abc def0', true),
  ];

  it('leaves a name alone when nobody else reads alike', () => {
    expect(memberLabel('a', 'Alice', members)).toBe('Alice');
  });

  it('tells two Bobs apart by their fingerprints', () => {
    expect(memberLabel('b1', 'Bob', members)).toBe('Bob (aaaa bbbb)');
    expect(memberLabel('b2', 'Bob', members)).toBe('Bob (1234 5678)');
  });

  it('keeps the name a former member had (no fingerprint to show)', () => {
    expect(memberLabel('gone', 'Bob', members)).toBe('Bob');
  });
});
