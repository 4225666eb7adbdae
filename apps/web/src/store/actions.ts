// Everything the UI asks for goes through here: each action calls the client and turns
// the outcome into store events. The UI never touches the client directly.
import {
  createIndexedDbStorage,
  createSealroomClient,
  type ClientEvent,
  type FileMessage,
  type IdentityId,
  type RoomId,
  type SafetyNumber,
  type SealroomClient,
  SealroomClientError,
  type WebSocketConstructor,
} from '@sealroom/client';
import { describeError } from '../lib/errors.js';
import { FILE_FAILURE_TEXT } from '../lib/file-failures.js';
import { RELAY_ERROR_TEXT } from '../lib/warnings.js';
import { takeInviteFromAddress } from '../lib/invite.js';
import { diskSinkIfLarge, memorySink, triggerDownload } from '../lib/save.js';
import type { AppError } from './events.js';
import { dispatch, useAppStore } from './store.js';

/** How often the UI drops messages whose disappearing timer has run out, in ms. */
const EXPIRY_SWEEP_INTERVAL_MS = 1000;
/** How long an informational toast stays, in ms. */
const TOAST_MS = 5000;

/**
 * The layout's phone breakpoint (app.css `@media (max-width: 760px)`), in CSS px: on a
 * phone the room list is the first screen, so no room is opened automatically.
 */
const PHONE_MAX_WIDTH_PX = 760;

let client: SealroomClient | null = null;
let sequence = 0;
const nextId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(sequence += 1)}`;

function requireClient(): SealroomClient {
  if (!client) throw new SealroomClientError('CLOSED');
  return client;
}

function requireRoom(roomId: RoomId) {
  const room = requireClient().room(roomId);
  if (!room) throw new SealroomClientError('UNKNOWN_ROOM');
  return room;
}

export function toast(text: string, tone: 'info' | 'error' = 'info'): void {
  const id = nextId('toast');
  dispatch({ type: 'ui/toast', id, text, tone });
  setTimeout(() => dispatch({ type: 'ui/toast-dismiss', id }), tone === 'error' ? TOAST_MS * 2 : TOAST_MS);
}

/** Result of an action the UI waits on: ok, or an error to show beside the form. */
export type Outcome<T = void> = { ok: true; value: T } | { ok: false; error: AppError };

async function attempt<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

// ---------------------------------------------------------------------------------
// Start-up and client events
// ---------------------------------------------------------------------------------

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
  dispatch(event);
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
    case 'identity':
      if (event.state === 'unlocked') void afterUnlock();
      break;
    default:
      break;
  }
}

export async function boot(): Promise<void> {
  if (client) return;
  const invite = takeInviteFromAddress(window.location, window.history);
  if (invite) dispatch({ type: 'ui/pending-invite', invite });
  if (!globalThis.crypto?.subtle || typeof indexedDB === 'undefined') {
    dispatch({ type: 'session/error', error: describeError({ code: 'UNSUPPORTED' }) });
    dispatch({ type: 'session/booted', state: 'none', identity: null });
    return;
  }
  try {
    client = createSealroomClient({
      relayUrl: window.location.origin,
      appUrl: `${window.location.origin}/`,
      storage: createIndexedDbStorage(),
      WebSocket: globalThis.WebSocket as unknown as WebSocketConstructor,
    });
  } catch (error) {
    dispatch({ type: 'session/error', error: describeError(error) });
    dispatch({ type: 'session/booted', state: 'none', identity: null });
    return;
  }
  client.onEvent(onClientEvent);
  // An invite pasted into the address bar of an open Sealroom tab changes only the hash.
  window.addEventListener('hashchange', () => {
    const link = takeInviteFromAddress(window.location, window.history);
    if (!link) return;
    const { phase, busy } = useAppStore.getState().session;
    // While locking, the identity is on its way out: keep the invite for the next unlock.
    if (phase === 'unlocked' && busy !== 'locking') void joinRoom(link);
    else dispatch({ type: 'ui/pending-invite', invite: link });
  });
  document.addEventListener('visibilitychange', () =>
    dispatch({ type: 'ui/document-visible', visible: document.visibilityState === 'visible' }),
  );
  setInterval(() => dispatch({ type: 'timeline/prune', now: Date.now() }), EXPIRY_SWEEP_INTERVAL_MS);
  const state = await client.identityState();
  dispatch({ type: 'session/booted', state, identity: client.identity() });
  if (state === 'unlocked') await afterUnlock();
}

async function loadRoom(roomId: RoomId): Promise<void> {
  const room = client?.room(roomId);
  if (!room) return;
  dispatch({ type: 'room', roomId, summary: room.summary() });
  dispatch({ type: 'members/loaded', roomId, members: room.members() });
  try {
    dispatch({ type: 'timeline/loaded', roomId, items: await room.history() });
  } catch (error) {
    toast(describeError(error).message, 'error');
  }
}

let unlocking: Promise<void> | null = null;

/** Loads rooms once the identity is unlocked, then joins a pending invite if any. */
function afterUnlock(): Promise<void> {
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

// ---------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------

async function identityAction(busy: 'creating' | 'unlocking' | 'importing', work: () => Promise<unknown>): Promise<boolean> {
  dispatch({ type: 'session/busy', busy });
  try {
    await work();
    const c = requireClient();
    dispatch({ type: 'identity', state: 'unlocked', identity: c.identity() });
    await afterUnlock();
    return true;
  } catch (error) {
    dispatch({ type: 'session/error', error: describeError(error) });
    return false;
  } finally {
    dispatch({ type: 'session/busy', busy: null });
  }
}

export function createIdentity(displayName: string, password: string): Promise<boolean> {
  return identityAction('creating', () =>
    requireClient().createIdentity({
      displayName,
      password,
      onProgress: ({ step, fraction }) => dispatch({ type: 'session/progress', step, fraction }),
    }),
  );
}

/**
 * User Timing mark set when an unlock succeeds (DevTools' performance panel shows it; the
 * catch-up benchmark in packages/bench measures from it to the newest message rendered).
 */
export const UNLOCKED_MARK = 'sealroom:identity-unlocked';

export function unlock(password: string): Promise<boolean> {
  return identityAction('unlocking', async () => {
    await requireClient().unlock(password);
    performance.mark(UNLOCKED_MARK);
  });
}

export function importBackup(file: Blob, password: string): Promise<boolean> {
  return identityAction('importing', async () =>
    requireClient().importBackup(new Uint8Array(await file.arrayBuffer()), password),
  );
}

export async function lock(): Promise<void> {
  dispatch({ type: 'session/busy', busy: 'locking' });
  // Received files kept for "Save again" are plaintext in memory: let them go.
  for (const transfer of Object.values(useAppStore.getState().files.transfers)) {
    if (transfer.url) URL.revokeObjectURL(transfer.url);
  }
  try {
    await requireClient().lock();
    dispatch({ type: 'identity', state: 'locked', identity: null });
  } finally {
    dispatch({ type: 'session/busy', busy: null });
  }
}

export function changePassword(oldPassword: string, newPassword: string): Promise<Outcome> {
  return attempt(() => requireClient().changePassword(oldPassword, newPassword));
}

/** Backup files are named by the identity's display name and the date, never by secrets. */
export function exportBackup(password: string): Promise<Outcome> {
  return attempt(async () => {
    const c = requireClient();
    const bytes = await c.exportBackup(password);
    const name = (c.identity()?.displayName ?? 'identity').replace(/[^\p{L}\p{N}_-]+/gu, '-').slice(0, 40);
    const url = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: 'application/json' }));
    triggerDownload(url, `sealroom-${name}-${new Date().toISOString().slice(0, 10)}.sealroom-backup.json`);
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  });
}

// ---------------------------------------------------------------------------------
// Rooms
// ---------------------------------------------------------------------------------

export function selectRoom(roomId: RoomId | null): void {
  dispatch({ type: 'rooms/select', roomId });
  if (roomId && !useAppStore.getState().timeline.loaded[roomId]) void loadRoom(roomId);
}

export async function createRoom(name: string): Promise<Outcome<RoomId>> {
  const outcome = await attempt(async () => (await requireClient().createRoom({ name })).id);
  if (outcome.ok) {
    await loadRoom(outcome.value);
    selectRoom(outcome.value);
    dispatch({ type: 'ui/panel', panel: { kind: 'invite', roomId: outcome.value } });
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
  return client?.room(roomId)?.inviteLink() ?? null;
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

// ---------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------

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
  return outcome;
}

export function setDirectTarget(roomId: RoomId, member: IdentityId | null): void {
  dispatch({ type: 'ui/direct-target', roomId, member });
}

export async function requestNotifications(): Promise<NotificationPermission | 'unsupported'> {
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.requestPermission();
}

// ---------------------------------------------------------------------------------
// Trust
// ---------------------------------------------------------------------------------

export async function safetyNumber(roomId: RoomId, member: IdentityId): Promise<Outcome<SafetyNumber>> {
  return attempt(() => requireRoom(roomId).safetyNumber(member));
}

export async function markVerified(roomId: RoomId, member: IdentityId, verified: boolean): Promise<Outcome> {
  const outcome = await attempt(async () => requireRoom(roomId).markVerified(member, verified));
  if (outcome.ok) {
    const room = client?.room(roomId);
    if (room) dispatch({ type: 'members/loaded', roomId, members: room.members() });
  } else {
    toast(outcome.error.message, 'error');
  }
  return outcome;
}

export function acknowledgeAlert(id: string): void {
  dispatch({ type: 'warnings/acknowledge', id });
}

// ---------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------

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
  const room = client?.room(roomId);
  if (!room) return;
  let sink;
  try {
    sink = (await diskSinkIfLarge(name, size)) ?? memorySink(mimeType);
  } catch {
    // The user closed the save dialog: nothing accepted yet.
    return;
  }
  dispatch({ type: 'files/accepted', roomId, fileId });
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
  const room = client?.room(item.roomId);
  dispatch({ type: 'files/declined', roomId: item.roomId, fileId: item.file.fileId });
  await room?.declineFile(item.file.fileId).catch(() => undefined);
}
