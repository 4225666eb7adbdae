import type { MemberId, RoomId, WarningKind } from '@sealroom/client';

/** A trust alert (key change, name clash): stays until the user deliberately acknowledges it. */
export interface TrustAlert {
  id: string;
  kind: WarningKind;
  roomId: RoomId | null;
  member: MemberId | null;
  code: string;
  detail: string;
  at: number;
}

export interface WarningsState {
  alerts: TrustAlert[];
}

export const initialWarningsState: WarningsState = { alerts: [] };
