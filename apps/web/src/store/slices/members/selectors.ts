import type { MemberInfo, RoomId } from '@sealroom/client';
import type { AppState } from '../../state.js';

const NO_MEMBERS: MemberInfo[] = [];

export const selectRoomMembers = (roomId: RoomId | null) => (s: AppState) => (roomId ? s.members.byRoom[roomId] : undefined) ?? NO_MEMBERS;

/** Me first, then online members, then by name. */
export function sortMembers(members: readonly MemberInfo[]): MemberInfo[] {
  return [...members].sort((a, b) => Number(b.isMe) - Number(a.isMe) || Number(b.online) - Number(a.online) || a.displayName.localeCompare(b.displayName));
}

/** Display names used by more than one member of the room: a possible impersonation. */
export function clashingNames(members: readonly MemberInfo[]): Set<string> {
  const seen = new Map<string, number>();
  for (const m of members) {
    const key = m.displayName.normalize('NFKC').toLocaleLowerCase();
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return new Set(members.filter((m) => (seen.get(m.displayName.normalize('NFKC').toLocaleLowerCase()) ?? 0) > 1).map((m) => m.id));
}

/** Members other than me whose names start with the query, for `@` autocomplete. */
export function mentionCandidates(members: readonly MemberInfo[], query: string, limit = 6): MemberInfo[] {
  const q = query.toLocaleLowerCase();
  return members.filter((m) => !m.isMe && m.displayName.toLocaleLowerCase().startsWith(q)).slice(0, limit);
}
