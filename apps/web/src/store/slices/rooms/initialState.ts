import type { IdentityId, PendingKnock, RoomId, RoomSummary } from '@sealroom/client';

export interface RoomsState {
  summaries: Record<RoomId, RoomSummary>;
  activeRoomId: RoomId | null;
  /** Messages from others that arrived while the room was not in front of the user. */
  unread: Record<RoomId, number>;
  /** Rooms an admin removed me from, and by whom. */
  removedMe: Record<RoomId, IdentityId>;
  /** Knocks waiting for an admin's answer, per room (empty unless I am an admin there). */
  knocks: Record<RoomId, PendingKnock[]>;
  /** Whether the page is visible; a hidden tab counts new messages as unread. */
  visible: boolean;
}

export const initialRoomsState: RoomsState = {
  summaries: {},
  activeRoomId: null,
  unread: {},
  removedMe: {},
  knocks: {},
  visible: true,
};
