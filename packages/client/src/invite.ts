/**
 * The invite link a member shares for a room (PROTOCOL B.5): the room id and link secret in
 * the fragment, the relay named only when it is not the app's own. Apart from client.ts
 * because it is the one place a room's secret becomes a URL.
 */
import { formatInvite, fromBase64Url } from '@sealroom/protocol';
import { toWebSocketUrl } from './relay-url.js';
import type { RoomSession } from './room-session.js';

export function inviteFor(session: RoomSession): string {
  const record = session.record;
  const linkSecret = session.parts.log.linkSecret;
  if (record.status !== 'member' || linkSecret === null) return '';
  const state = session.parts.log.memberState;
  const sameRelay = toWebSocketUrl(record.appUrl) === record.relayUrl;
  return formatInvite({
    baseUrl: record.appUrl,
    roomId: fromBase64Url(record.id)!,
    linkSecret,
    ...(sameRelay ? {} : { relayUrl: record.relayUrl }),
    roomName: state.name,
    approval: state.link.approval,
  });
}
