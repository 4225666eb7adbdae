// Rooms: load into the store, select, create, join, leave, remove a member, set the timer,
// answer knocks and change the invite link.
import type { IdentityId, LinkPolicy, RoomId } from '@sealroom/client';
import { describeError } from '../../lib/errors.js';
import { dispatch, useAppStore } from '../store.js';
import { currentClient, requireClient, requireRoom } from './client-handle.js';
import { attempt, toast, type Outcome } from './feedback.js';

/** Puts a room's summary, members and stored timeline into the store. */
export async function loadRoom(roomId: RoomId): Promise<void> {
  const room = currentClient()?.room(roomId);
  if (!room) return;
  dispatch({ type: 'room', roomId, summary: room.summary() });
  dispatch({ type: 'members/loaded', roomId, members: room.members() });
  dispatch({ type: 'knock', roomId, knocks: room.pendingKnocks() });
  try {
    dispatch({ type: 'timeline/loaded', roomId, items: await room.history() });
  } catch (error) {
    toast(describeError(error).message, 'error');
  }
}

export function selectRoom(roomId: RoomId | null): void {
  dispatch({ type: 'rooms/select', roomId });
  if (roomId && !useAppStore.getState().timeline.loaded[roomId]) void loadRoom(roomId);
}

export async function createRoom(name: string): Promise<Outcome<RoomId>> {
  const outcome = await attempt(async () => (await requireClient().createRoom({ name })).id);
  if (outcome.ok) {
    await loadRoom(outcome.value);
    selectRoom(outcome.value);
    dispatch({ type: 'ui/panel', panel: { kind: 'invite', roomId: outcome.value, afterCreate: true } });
  }
  return outcome;
}

/** @param showError whether to raise a toast on failure (the join dialog shows its own). */
export async function joinRoom(link: string, showError = true): Promise<Outcome<RoomId>> {
  const outcome = await attempt(async () => (await requireClient().joinRoom(link.trim())).id);
  if (outcome.ok) {
    await loadRoom(outcome.value);
    selectRoom(outcome.value);
    dispatch({ type: 'ui/panel', panel: null });
  } else if (showError) {
    toast(outcome.error.message, 'error');
  }
  return outcome;
}

export function inviteLink(roomId: RoomId): string | null {
  return currentClient()?.room(roomId)?.inviteLink() ?? null;
}

export async function leaveRoom(roomId: RoomId): Promise<Outcome> {
  const outcome = await attempt(async () => requireRoom(roomId).leave());
  if (outcome.ok) {
    await loadRoom(roomId);
    dispatch({ type: 'ui/panel', panel: null });
  }
  return outcome;
}

export async function removeMember(roomId: RoomId, member: IdentityId): Promise<Outcome> {
  const outcome = await attempt(async () => requireRoom(roomId).removeMember(member));
  if (!outcome.ok) toast(outcome.error.message, 'error');
  return outcome;
}

export async function setDisappearingTimer(roomId: RoomId, ms: number | null): Promise<Outcome> {
  const outcome = await attempt(async () => requireRoom(roomId).setDisappearingTimer(ms));
  if (!outcome.ok) toast(outcome.error.message, 'error');
  return outcome;
}

/** Admins: lets a knocker in (a commit adds them; they get the room's log and keys). */
export async function approveKnock(roomId: RoomId, knockId: string): Promise<Outcome> {
  const outcome = await attempt(async () => requireRoom(roomId).approveKnock(knockId));
  if (!outcome.ok) toast(outcome.error.message, 'error');
  return outcome;
}

/** Admins: turns a knock down; the knocker is told. */
export async function declineKnock(roomId: RoomId, knockId: string): Promise<Outcome> {
  const outcome = await attempt(async () => requireRoom(roomId).declineKnock(knockId));
  if (!outcome.ok) toast(outcome.error.message, 'error');
  return outcome;
}

/** Admins: a new invite link with this policy; the old link stops working. */
export async function setLinkPolicy(roomId: RoomId, policy: LinkPolicy): Promise<Outcome> {
  const outcome = await attempt(async () => requireRoom(roomId).setLinkPolicy(policy));
  if (!outcome.ok) toast(outcome.error.message, 'error');
  return outcome;
}

/** Admins: makes a member an admin, or a member again. */
export async function setRole(roomId: RoomId, member: IdentityId, role: 'admin' | 'member'): Promise<Outcome> {
  const outcome = await attempt(async () => requireRoom(roomId).setRole(member, role));
  if (!outcome.ok) toast(outcome.error.message, 'error');
  return outcome;
}
