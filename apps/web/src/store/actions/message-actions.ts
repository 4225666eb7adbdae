// Reply, react, edit and delete for everyone (PROTOCOL C.11): what the message menu and the
// composer ask of the client, and the composer's reply/edit mode.
import type { FileMessage, RoomId, TextMessage } from '@sealroom/client';
import { dispatch, useAppStore } from '../store.js';
import { requireRoom } from './client-handle.js';
import { attempt, toast, type Outcome } from './feedback.js';
import { sendText } from './messages.js';

/** Answers `item` with the next message; a private message is answered privately. */
export function startReply(roomId: RoomId, item: TextMessage | FileMessage): void {
  const me = useAppStore.getState().session.identity?.identityId;
  if (item.kind === 'text' && item.directTo !== null) {
    const other = item.sender === me ? item.directTo : item.sender;
    dispatch({ type: 'ui/direct-target', roomId, member: other });
  }
  dispatch({ type: 'compose/target', roomId, target: { mode: 'reply', itemId: item.id } });
}

export function startEdit(roomId: RoomId, item: TextMessage): void {
  dispatch({ type: 'compose/target', roomId, target: { mode: 'edit', itemId: item.id } });
}

export function cancelCompose(roomId: RoomId): void {
  dispatch({ type: 'compose/target', roomId, target: null });
}

/** Sends the composer's text: an edit, a reply or a new message, by the composer's mode. */
export async function submitCompose(roomId: RoomId, text: string): Promise<Outcome> {
  const target = useAppStore.getState().compose.byRoom[roomId];
  cancelCompose(roomId);
  if (target?.mode === 'edit') return report(attempt(async () => void (await requireRoom(roomId).editMessage(target.itemId, text))));
  return sendText(roomId, text, target?.itemId);
}

/** Adds my reaction, or takes it back when it is there already. */
export function react(roomId: RoomId, itemId: string, emoji: string): Promise<Outcome> {
  return report(attempt(async () => void (await requireRoom(roomId).react(itemId, emoji))));
}

export function deleteForEveryone(roomId: RoomId, itemId: string): Promise<Outcome> {
  return report(attempt(async () => void (await requireRoom(roomId).deleteMessage(itemId))));
}

/** Scrolls the conversation to a message and highlights it (a quote was clicked). */
export function jumpTo(roomId: RoomId, itemId: string): void {
  dispatch({ type: 'compose/jump', roomId, itemId });
}

async function report(pending: Promise<Outcome>): Promise<Outcome> {
  const outcome = await pending;
  if (!outcome.ok) toast(outcome.error.message, 'error');
  return outcome;
}
