import type { RoomId, TimelineItem } from '@sealroom/client';
import type { LineWarning } from '../../../lib/warnings.js';

/**
 * Something that failed to verify, shown in the timeline where the message would have
 * been: a warning, never the message itself (DESIGN.md §3.8).
 */
export interface WarningItem {
  kind: 'warning';
  id: string;
  roomId: RoomId;
  receivedAt: number;
  expiresAt: null;
  warning: LineWarning['kind'];
  code: LineWarning['code'];
  detail: string;
}

export type DisplayItem = TimelineItem | WarningItem;

export interface TimelineState {
  byRoom: Record<RoomId, DisplayItem[]>;
  /** Rooms whose stored history has been loaded. */
  loaded: Record<RoomId, boolean>;
}

export const initialTimelineState: TimelineState = { byRoom: {}, loaded: {} };
