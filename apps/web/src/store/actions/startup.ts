// Start-up: the client is created, its events flow into the store, and once an identity is
// unlocked its rooms are loaded and a pending invite is joined.
import { createIndexedDbStorage, createSealroomClient, type ClientEvent, type SealroomClient, type WebSocketConstructor } from '@sealroom/client';
import { describeError } from '../../lib/errors.js';
import { takeInviteFromAddress } from '../../lib/invite.js';
import { RELAY_ERROR_TEXT } from '../../lib/warnings.js';
import { dispatch, useAppStore } from '../store.js';
import { currentClient, requireClient, setClient } from './client-handle.js';
import { nextId, toast } from './feedback.js';
import { startReadReporting, storedReadReceipts } from './receipts.js';
import { joinRoom, loadRoom } from './rooms.js';

/** How often the UI drops messages whose disappearing timer has run out, in ms. */
const EXPIRY_SWEEP_INTERVAL_MS = 1000;

/**
 * The layout's phone breakpoint (app.css `@media (max-width: 760px)`), in CSS px: on a
 * phone the room list is the first screen, so no room is opened automatically.
 */
const PHONE_MAX_WIDTH_PX = 760;

function notifyMention(event: Extract<ClientEvent, { type: 'message' }>): void {
  const { item } = event;
  if (item.kind !== 'text' || !item.mentionsMe || item.state !== 'received') return;
  if (document.visibilityState === 'visible') return;
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const room = useAppStore.getState().rooms.summaries[event.roomId];
  // The message text stays out of the notification: it would show on a lock screen.
  new Notification(`${item.senderName} mentioned you`, {
    body: room ? `in ${room.name}` : undefined,
    tag: `${event.roomId}:${item.id}`,
  });
}

function onClientEvent(event: ClientEvent): void {
  if (event.type === 'warning') {
    dispatch({ type: 'warnings/received', id: nextId('warning'), at: Date.now(), warning: event });
    if (!event.roomId && event.kind === 'relay-error') toast(RELAY_ERROR_TEXT[event.code], 'error');
    return;
  }
  // File progress carries the time it was seen: the card shows the transfer's speed.
  dispatch(event.type === 'file-progress' ? { ...event, atMs: performance.now() } : event);
  switch (event.type) {
    case 'message':
      notifyMention(event);
      break;
    case 'room':
      if (!useAppStore.getState().timeline.loaded[event.roomId]) void loadRoom(event.roomId);
      break;
    case 'removed-me': {
      const room = useAppStore.getState().rooms.summaries[event.roomId];
      toast(`You were removed from ${room?.name ?? 'a room'}.`, 'error');
      break;
    }
    case 'joined-room':
      // Let in: the members, names and timeline are the room's now, not the knock's.
      void loadRoom(event.roomId);
      break;
    case 'membership': {
      // Every leave, removal and link change resets the invite link: copies of the old one
      // admit nobody, so members must share the new one.
      const { change } = event;
      const reset = change.kind === 'left' || change.kind === 'removed' || change.kind === 'link' || (change.kind === 'joined' && change.linkReset);
      const room = useAppStore.getState().rooms.summaries[event.roomId];
      if (reset && room?.active) toast(`The invite link of ${room.name} was reset; the old one no longer works.`, 'info');
      break;
    }
    case 'identity':
      if (event.state === 'unlocked') void afterUnlock();
      break;
    default:
      break;
  }
}

export async function boot(): Promise<void> {
  if (currentClient()) return;
  const invite = takeInviteFromAddress(window.location, window.history);
  if (invite) dispatch({ type: 'ui/pending-invite', invite });
  if (!globalThis.crypto?.subtle || typeof indexedDB === 'undefined') {
    dispatch({ type: 'session/error', error: describeError({ code: 'UNSUPPORTED' }) });
    dispatch({ type: 'session/booted', state: 'none', identity: null });
    return;
  }
  let client: SealroomClient;
  try {
    client = createSealroomClient({
      relayUrl: window.location.origin,
      appUrl: `${window.location.origin}/`,
      storage: createIndexedDbStorage(),
      WebSocket: globalThis.WebSocket as unknown as WebSocketConstructor,
      readReceipts: storedReadReceipts(),
    });
  } catch (error) {
    dispatch({ type: 'session/error', error: describeError(error) });
    dispatch({ type: 'session/booted', state: 'none', identity: null });
    return;
  }
  setClient(client);
  client.onEvent(onClientEvent);
  dispatch({ type: 'ui/read-receipts', enabled: storedReadReceipts() });
  startReadReporting();
  // An invite pasted into the address bar of an open Sealroom tab changes only the hash.
  window.addEventListener('hashchange', () => {
    const link = takeInviteFromAddress(window.location, window.history);
    if (!link) return;
    const { phase, busy } = useAppStore.getState().session;
    // While locking, the identity is on its way out: keep the invite for the next unlock.
    if (phase === 'unlocked' && busy !== 'locking') void joinRoom(link);
    else dispatch({ type: 'ui/pending-invite', invite: link });
  });
  document.addEventListener('visibilitychange', () => dispatch({ type: 'ui/document-visible', visible: document.visibilityState === 'visible' }));
  setInterval(() => dispatch({ type: 'timeline/prune', now: Date.now() }), EXPIRY_SWEEP_INTERVAL_MS);
  const state = await client.identityState();
  dispatch({ type: 'session/booted', state, identity: client.identity() });
  if (state === 'unlocked') await afterUnlock();
}

let unlocking: Promise<void> | null = null;

/** Loads rooms once the identity is unlocked, then joins a pending invite if any. */
export function afterUnlock(): Promise<void> {
  unlocking ??= (async () => {
    const c = requireClient();
    const summaries = c.rooms();
    dispatch({ type: 'rooms/loaded', summaries });
    await Promise.all(summaries.map((s) => loadRoom(s.id)));
    const invite = useAppStore.getState().ui.pendingInvite;
    if (invite) {
      dispatch({ type: 'ui/pending-invite', invite: null });
      await joinRoom(invite);
    } else if (!useAppStore.getState().rooms.activeRoomId && summaries.length > 0 && window.innerWidth > PHONE_MAX_WIDTH_PX) {
      const first = [...summaries].sort((a, b) => b.lastActivityAt - a.lastActivityAt)[0];
      if (first) dispatch({ type: 'rooms/select', roomId: first.id });
    }
  })().finally(() => {
    unlocking = null;
  });
  return unlocking;
}
