import type { IdentityId, RoomId } from '@sealroom/client';
import type { Panel, View } from '../../events.js';

export interface Toast {
  id: string;
  text: string;
  tone: 'info' | 'error';
}

export interface UiState {
  /** Phone width shows one of these at a time. */
  view: View;
  panel: Panel | null;
  /** The member panel beside the conversation (desktop) or instead of it (phone). */
  membersOpen: boolean;
  /** Per room: the member the composer is writing a private message to. */
  directTarget: Record<RoomId, IdentityId>;
  toasts: Toast[];
  /**
   * An invite link read from the address bar at start, held in memory only until the
   * identity is ready and the room is joined.
   */
  pendingInvite: string | null;
  /** The timeline item to scroll to and mark (a chosen search result); `seq` tells two picks of one item apart. */
  focusItem: { roomId: RoomId; itemId: string; seq: number } | null;
  /** Whether I send read receipts and see others' (a setting kept in this browser). */
  readReceipts: boolean;
}

export const initialUiState: UiState = {
  view: 'list',
  panel: null,
  membersOpen: false,
  directTarget: {},
  toasts: [],
  pendingInvite: null,
  focusItem: null,
  readReceipts: true,
};
