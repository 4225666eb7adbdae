import type { MemberInfo, RoomId } from '@sealroom/client';

export interface MembersState {
  byRoom: Record<RoomId, MemberInfo[]>;
}

export const initialMembersState: MembersState = { byRoom: {} };
