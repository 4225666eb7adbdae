// Trust: safety numbers, verification marks, acknowledging trust alerts.
import type { IdentityId, RoomId, SafetyNumber } from '@sealroom/client';
import { dispatch } from '../store.js';
import { currentClient, requireRoom } from './client-handle.js';
import { attempt, toast, type Outcome } from './feedback.js';

export async function safetyNumber(roomId: RoomId, member: IdentityId): Promise<Outcome<SafetyNumber>> {
  return attempt(() => requireRoom(roomId).safetyNumber(member));
}

export async function markVerified(roomId: RoomId, member: IdentityId, verified: boolean): Promise<Outcome> {
  const outcome = await attempt(async () => requireRoom(roomId).markVerified(member, verified));
  if (outcome.ok) {
    const room = currentClient()?.room(roomId);
    if (room) dispatch({ type: 'members/loaded', roomId, members: room.members() });
  } else {
    toast(outcome.error.message, 'error');
  }
  return outcome;
}

export function acknowledgeAlert(id: string): void {
  dispatch({ type: 'warnings/acknowledge', id });
}
