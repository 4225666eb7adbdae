import type { IdentityId, MemberInfo } from '@sealroom/client';

/** Fingerprint groups shown after a clashing name: 8 hex digits, enough to tell two apart. */
const DISTINGUISHING_GROUPS = 2;

/**
 * A member's name as the timeline shows it. When two current members' names read alike
 * ("Bob" and "Bob", or "Bоb" with a Cyrillic о), each gets the first groups of its key
 * fingerprint, as the member list shows it, so the timeline says which Bob spoke or joined.
 * `name` is the name the item carries (already made safe for display by the caller).
 */
export function memberLabel(id: IdentityId, name: string, members: readonly MemberInfo[]): string {
  const member = members.find((m) => m.id === id);
  if (member === undefined || !member.nameClash) return name;
  return `${name} (${member.fingerprint.split(' ').slice(0, DISTINGUISHING_GROUPS).join(' ')})`;
}
