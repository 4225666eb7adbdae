import type { RoomId } from '@sealroom/client';
import type { AppState } from '../../state.js';
import type { TrustAlert } from './initialState.js';

const NO_ALERTS: TrustAlert[] = [];

export const selectAlerts = (s: AppState) => s.warnings.alerts;

/** Alerts for a room, plus those that concern no particular room. */
export function alertsForRoom(alerts: readonly TrustAlert[], roomId: RoomId | null): TrustAlert[] {
  const mine = alerts.filter((a) => a.roomId === null || a.roomId === roomId);
  return mine.length === 0 ? NO_ALERTS : mine;
}
