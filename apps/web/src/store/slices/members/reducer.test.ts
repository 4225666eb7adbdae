import type { MemberInfo } from '@sealroom/client';
import { describe, expect, it } from 'vitest';
import { initialMembersState } from './initialState.js';
import { membersReducer } from './reducer.js';
import { clashingNames, mentionCandidates, sortMembers } from './selectors.js';

const member = (id: string, name: string, over: Partial<MemberInfo> = {}): MemberInfo => ({
  id,
  displayName: name,
  fingerprint: 'fp',
  isMe: false,
  isCreator: false,
  role: 'member',
  nameClash: false,
  mixedScript: false,
  verified: false,
  online: false,
  joinedAt: 0,
  ...over,
});

describe('membersReducer', () => {
  it('adds each member once, updates and removes them', () => {
    let s = membersReducer(initialMembersState, { type: 'members/loaded', roomId: 'r', members: [member('a', 'Alice', { isMe: true })] });
    s = membersReducer(s, { type: 'member-joined', roomId: 'r', member: member('b', 'Bob') });
    s = membersReducer(s, { type: 'member-joined', roomId: 'r', member: member('b', 'Bob') });
    expect(s.byRoom.r?.map((m) => m.id)).toEqual(['a', 'b']);
    s = membersReducer(s, { type: 'member-updated', roomId: 'r', member: member('b', 'Bob', { verified: true }) });
    expect(s.byRoom.r?.[1]?.verified).toBe(true);
    s = membersReducer(s, { type: 'member-removed', roomId: 'r', member: member('b', 'Bob'), by: 'a' });
    expect(s.byRoom.r?.map((m) => m.id)).toEqual(['a']);
  });

  it('applies presence, keeping me online', () => {
    let s = membersReducer(initialMembersState, {
      type: 'members/loaded',
      roomId: 'r',
      members: [member('a', 'Alice', { isMe: true }), member('b', 'Bob'), member('c', 'Carol', { online: true })],
    });
    s = membersReducer(s, { type: 'presence', roomId: 'r', online: ['b'] });
    expect(s.byRoom.r?.map((m) => m.online)).toEqual([true, true, false]);
  });
});

describe('member selectors', () => {
  it('sorts me first, then online, then by name', () => {
    const sorted = sortMembers([member('c', 'Carol'), member('b', 'Bob', { online: true }), member('a', 'Zed', { isMe: true })]);
    expect(sorted.map((m) => m.id)).toEqual(['a', 'b', 'c']);
  });

  it('finds names shared by two members, ignoring case and compatibility forms', () => {
    expect(clashingNames([member('a', 'Alice'), member('b', 'alice'), member('c', 'Carol')])).toEqual(new Set(['a', 'b']));
    expect(clashingNames([member('a', 'ＡＬＩＣＥ'), member('b', 'alice')])).toEqual(new Set(['a', 'b']));
  });

  it('offers other members for mention autocomplete', () => {
    const ms = [member('me', 'Bea', { isMe: true }), member('b', 'Bob'), member('c', 'Carol')];
    expect(mentionCandidates(ms, 'b').map((m) => m.id)).toEqual(['b']);
    expect(mentionCandidates(ms, '').map((m) => m.id)).toEqual(['b', 'c']);
  });
});
