// Files: offer one to a room, accept (saving it as it arrives) or decline an offer.
import { SealroomClientError, type FileMessage, type RoomId } from '@sealroom/client';
import { describeError } from '../../lib/errors.js';
import { FILE_FAILURE_TEXT } from '../../lib/file-failures.js';
import { diskSinkIfLarge, memorySink, triggerDownload } from '../../lib/save.js';
import { dispatch } from '../store.js';
import { currentClient, requireRoom } from './client-handle.js';
import { attempt, toast, type Outcome } from './feedback.js';

export async function sendFile(roomId: RoomId, file: File): Promise<Outcome> {
  const outcome = await attempt(async () => {
    const item = await requireRoom(roomId).sendFile({ blob: file, name: file.name, mimeType: file.type });
    dispatch({ type: 'files/sending', roomId, fileId: item.file.fileId, name: item.file.name, size: item.file.size });
    dispatch({ type: 'message', roomId, item });
  });
  if (!outcome.ok) toast(outcome.error.message, 'error');
  return outcome;
}

/** Call from the Accept button's click handler (the save picker needs the gesture). */
export async function acceptFile(item: FileMessage): Promise<void> {
  const { roomId } = item;
  const { fileId, name, size, mimeType } = item.file;
  const room = currentClient()?.room(roomId);
  if (!room) return;
  let sink;
  try {
    sink = (await diskSinkIfLarge(name, size)) ?? memorySink(mimeType);
  } catch {
    // The user closed the save dialog: nothing accepted yet.
    return;
  }
  dispatch({ type: 'files/accepted', roomId, fileId, size });
  try {
    await room.acceptFile(fileId, sink.stream);
    const url = sink.finish();
    dispatch({ type: 'files/saved', fileId, url, savedTo: sink.savedTo });
    if (url) triggerDownload(url, name);
  } catch (error) {
    // The client reports the failure as an event too; make sure it shows either way.
    const reason = error instanceof SealroomClientError && error.reason !== undefined ? error.reason : 'TRANSFER_FAILED';
    dispatch({ type: 'file-failed', roomId, fileId, direction: 'receive', code: reason });
    toast(error instanceof SealroomClientError && error.reason !== undefined ? FILE_FAILURE_TEXT[reason] : describeError(error).message, 'error');
  }
}

export async function declineFile(item: FileMessage): Promise<void> {
  const room = currentClient()?.room(item.roomId);
  dispatch({ type: 'files/declined', roomId: item.roomId, fileId: item.file.fileId });
  await room?.declineFile(item.file.fileId).catch(() => undefined);
}
