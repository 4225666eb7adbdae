// The one client of this tab, created at boot. Actions reach it only through here.
import { SealroomClientError, type RoomHandle, type RoomId, type SealroomClient } from '@sealroom/client';

let client: SealroomClient | null = null;

export function setClient(created: SealroomClient): void {
  client = created;
}

/** The client, or null before boot (or when the browser lacks what it needs). */
export function currentClient(): SealroomClient | null {
  return client;
}

export function requireClient(): SealroomClient {
  if (!client) throw new SealroomClientError('CLOSED');
  return client;
}

export function requireRoom(roomId: RoomId): RoomHandle {
  const room = requireClient().room(roomId);
  if (!room) throw new SealroomClientError('UNKNOWN_ROOM');
  return room;
}
