// Everything that changes the store is an event: the client's own events, passed
// through unchanged, and a few local ones the app raises (loading, selection, UI).
// Every slice reducer sees every event and ignores what is not its business.
import type { ComposeTarget } from './slices/compose/initialState.js';
import type {
  ClientErrorCode,
  ClientEvent,
  IdentityInfo,
  IdentityState,
  KeyGenerationStep,
  IdentityId,
  MemberInfo,
  RoomId,
  RoomSummary,
  TimelineItem,
  Warning,
} from '@sealroom/client';

/** Error codes the app shows a text for: the client's, and the app's own. */
export type AppErrorCode = ClientErrorCode | 'UNSUPPORTED';

export interface AppError {
  /** Stable code, from the client (`WRONG_PASSWORD`…) or the app (`UNSUPPORTED`); `UNKNOWN` for anything else. */
  code: AppErrorCode | 'UNKNOWN';
  message: string;
}

export type Busy = 'creating' | 'unlocking' | 'importing' | 'locking' | null;

export type View = 'list' | 'room' | 'members';

export type LocalEvent =
  | { type: 'session/booted'; state: IdentityState; identity: IdentityInfo | null }
  | { type: 'session/busy'; busy: Busy }
  | { type: 'session/progress'; step: KeyGenerationStep; fraction: number }
  | { type: 'session/error'; error: AppError | null }
  | { type: 'rooms/loaded'; summaries: RoomSummary[] }
  | { type: 'rooms/select'; roomId: RoomId | null }
  | { type: 'timeline/loaded'; roomId: RoomId; items: TimelineItem[] }
  | { type: 'timeline/prune'; now: number }
  | { type: 'members/loaded'; roomId: RoomId; members: MemberInfo[] }
  | { type: 'warnings/received'; id: string; at: number; warning: Warning }
  | { type: 'warnings/acknowledge'; id: string }
  /** `size`: the offered size in bytes, so the receiver's progress has a percentage at once. */
  | { type: 'files/accepted'; roomId: RoomId; fileId: string; size: number }
  | { type: 'files/declined'; roomId: RoomId; fileId: string }
  | { type: 'files/saved'; fileId: string; url: string | null; savedTo: 'download' | 'disk' }
  | { type: 'files/sending'; roomId: RoomId; fileId: string; name: string; size: number }
  /** A client's file progress, stamped with when the page saw it (for the transfer's speed). */
  | (Extract<ClientEvent, { type: 'file-progress' }> & { atMs: number })
  | { type: 'ui/view'; view: View }
  | { type: 'ui/panel'; panel: Panel | null }
  | { type: 'ui/members-open'; open: boolean }
  | { type: 'ui/direct-target'; roomId: RoomId; member: IdentityId | null }
  | { type: 'ui/toast'; id: string; text: string; tone: 'info' | 'error' }
  | { type: 'ui/toast-dismiss'; id: string }
  | { type: 'ui/pending-invite'; invite: string | null }
  | { type: 'ui/document-visible'; visible: boolean }
  | { type: 'compose/target'; roomId: RoomId; target: ComposeTarget | null }
  | { type: 'compose/jump'; roomId: RoomId; itemId: string }
  /** Scroll a room's timeline to one item and mark it (a search result was chosen). */
  | { type: 'ui/focus-item'; roomId: RoomId; itemId: string }
  | { type: 'ui/read-receipts'; enabled: boolean };

/** Dialogs and side panels; one at a time. */
export type Panel =
  /** `afterCreate`: the room was just made; closing hands focus to its composer. */
  | { kind: 'invite'; roomId: RoomId; afterCreate?: boolean }
  | { kind: 'safety'; roomId: RoomId; member: IdentityId }
  | { kind: 'room-settings'; roomId: RoomId }
  | { kind: 'new-room' }
  | { kind: 'join-room' }
  | { kind: 'account' }
  /** Search; `roomId` set: this room only to start with. */
  | { kind: 'search'; roomId: RoomId | null };

export type AppEvent = ClientEvent | LocalEvent;
