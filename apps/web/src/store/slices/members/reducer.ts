import type { MemberInfo, RoomId } from '@sealroom/client';
import type { AppEvent } from '../../events.js';
import { initialMembersState, type MembersState } from './initialState.js';

function withRoom(state: MembersState, roomId: RoomId, members: MemberInfo[]): MembersState {
  return { byRoom: { ...state.byRoom, [roomId]: members } };
}

function upsert(members: readonly MemberInfo[], member: MemberInfo): MemberInfo[] {
  const index = members.findIndex((m) => m.id === member.id);
  if (index === -1) return [...members, member];
  const next = members.slice();
  next[index] = member;
  return next;
}

export function membersReducer(state: MembersState, event: AppEvent): MembersState {
  switch (event.type) {
    case 'members/loaded':
      return withRoom(state, event.roomId, event.members);
    case 'member-joined':
    case 'member-updated':
      return withRoom(state, event.roomId, upsert(state.byRoom[event.roomId] ?? [], event.member));
    case 'member-left':
    case 'member-removed':
      return withRoom(
        state,
        event.roomId,
        (state.byRoom[event.roomId] ?? []).filter((m) => m.id !== event.member.id),
      );
    case 'presence': {
      const online = new Set(event.online);
      const members = state.byRoom[event.roomId];
      if (!members) return state;
      // I am always online to myself while the page is open.
      return withRoom(
        state,
        event.roomId,
        members.map((m) => ({ ...m, online: m.isMe || online.has(m.id) })),
      );
    }
    case 'identity':
      return event.state === 'unlocked' ? state : initialMembersState;
    default:
      return state;
  }
}
