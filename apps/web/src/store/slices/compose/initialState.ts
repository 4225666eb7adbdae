import type { RoomId } from '@sealroom/client';

/** What the composer of a room is doing beyond a new message: answering one, or editing mine. */
export interface ComposeTarget {
  mode: 'reply' | 'edit';
  /** Timeline id of the message replied to or edited. */
  itemId: string;
}

export interface ComposeState {
  byRoom: Record<RoomId, ComposeTarget>;
  /** The last "show me that message" request (a quote clicked); `nonce` tells two clicks apart. */
  jump: { roomId: RoomId; itemId: string; nonce: number } | null;
}

export const initialComposeState: ComposeState = { byRoom: {}, jump: null };
