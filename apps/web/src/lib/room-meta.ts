import type { ConnectionState } from '@sealroom/client';
import { SECOND_MS } from '@sealroom/units';
import { formatDuration } from './format.js';

export interface RoomMetaInput {
  members: number;
  online: number;
  /** The room's relay connection; `undefined` before the first connection event. */
  connection: ConnectionState | undefined;
  disappearingMs: number | null;
}

/**
 * The line under a room's name: members, who is online, the timer. While the room's relay
 * is unreachable nobody can be known to be online, so it says the connection is down
 * instead of repeating the last count it had.
 */
export function roomMetaText({ members, online, connection, disappearingMs }: RoomMetaInput): string {
  const parts: string[] = [];
  if (members > 0) parts.push(`${members} ${members === 1 ? 'member' : 'members'}`);
  if (connection === 'offline' || connection === 'reconnecting') parts.push('Offline — reconnecting…');
  else if (online > 0 && connection === 'open') parts.push(`${online} online`);
  if (disappearingMs) parts.push(`messages disappear after ${formatDuration(Math.round(disappearingMs / SECOND_MS))}`);
  return parts.join(' · ');
}
