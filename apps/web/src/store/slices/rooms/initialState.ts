import type { IdentityId, RoomId, RoomSummary } from '@sealroom/client';

export interface RoomsState {
  summaries: Record<RoomId, RoomSummary>;
  activeRoomId: RoomId | null;
  /** Messages from others that arrived while the room was not in front of the user. */
  unread: Record<RoomId, number>;
  /** Rooms the creator removed me from, and by whom. */
  removedMe: Record<RoomId, IdentityId>;
  /** Whether the page is visible; a hidden tab counts new messages as unread. */
  visible: boolean;
}

export const initialRoomsState: RoomsState = {
  summaries: {},
  activeRoomId: null,
  unread: {},
  removedMe: {},
  visible: true,
};
