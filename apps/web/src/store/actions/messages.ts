// Messages: send to the room or privately to one member, and mention notifications.
import type { IdentityId, RoomId } from '@sealroom/client';
import { dispatch, useAppStore } from '../store.js';
import { requireRoom } from './client-handle.js';
import { attempt, toast, type Outcome } from './feedback.js';

export async function sendText(roomId: RoomId, text: string): Promise<Outcome> {
  const to = useAppStore.getState().ui.directTarget[roomId];
  const outcome = await attempt(async () => {
    const room = requireRoom(roomId);
    // The client emits a `message` event for the pending item; dispatching the returned
    // item too is harmless (the timeline de-duplicates by id) and shows it even if the
    // event raced ahead of the room's history load.
    const item = to ? await room.sendDirect(to, text) : await room.sendText(text);
    dispatch({ type: 'message', roomId, item });
  });
  if (!outcome.ok) toast(outcome.error.message, 'error');
  // A private message is one message, as in Element and Slack: the next one goes to the
  // room again unless the sender picks someone anew.
  else if (to && useAppStore.getState().ui.directTarget[roomId] === to) setDirectTarget(roomId, null);
  return outcome;
}

export function setDirectTarget(roomId: RoomId, member: IdentityId | null): void {
  dispatch({ type: 'ui/direct-target', roomId, member });
}

export async function requestNotifications(): Promise<NotificationPermission | 'unsupported'> {
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.requestPermission();
}
