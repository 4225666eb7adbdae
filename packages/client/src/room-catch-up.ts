/**
 * Admission and catch-up of one room on the relay connection (PROTOCOL A.3–A.5): join,
 * challenge/prove, `joined` checked against the binding's relay epoch (incarnation), history
 * paging until caught up, and fetching the holes live delivery leaves (cursor-order.ts).
 *
 * It exists apart from transport.ts because this is the part that decides what a room's
 * binding sees and when it becomes ready; it reaches the connection only through
 * {@link RoomLink}. Retries after refusals live in room-retry.ts.
 */
import { toBase64Url } from '@sealroom/protocol';
import { CursorOrder } from './cursor-order.js';
import type { RelayResetReason } from './room-binding.js';
import { queue, readyAfterQueue, recovered, type RoomLink, type RoomState } from './relay-room-state.js';
import { HISTORY_PAGE_LIMIT, type ServerMessage } from './wire.js';

type Msg<T extends ServerMessage['t']> = Extract<ServerMessage, { t: T }>;

export function join(state: RoomState, link: RoomLink): void {
  state.phase = 'joining';
  state.order = undefined;
  state.early = [];
  link.sendJson({ t: 'join', room: state.binding.roomId });
}

/** A DELIVER or history frame for the room: held until the cursor is checked, then ordered. */
export function acceptFrame(state: RoomState, kind: 'deliver' | 'history', cursor: number, envelope: Uint8Array, link: RoomLink): void {
  if (state.phase === 'idle' || state.phase === 'joining') return;
  if (kind === 'history') state.lastFetched = Math.max(state.lastFetched, cursor);
  if (state.order === undefined) {
    // Live envelopes can follow `joined` before the room's cursor has been checked
    // against the relay's epoch; they wait for it.
    if (kind === 'deliver') state.early.push({ cursor, envelope });
    return;
  }
  state.order.accept(cursor, envelope, kind === 'deliver');
  fillHoles(state, link);
}

export function onChallenge(state: RoomState, message: Msg<'challenge'>, link: RoomLink): void {
  if (state.phase !== 'joining') return;
  state.unregistered = !message.registered;
  const socket = link.socketToken();
  state.binding
    .prove(message.nonce, message.registered)
    .then(({ mac, key, maxAgeMs }) => {
      if (link.socketToken() !== socket) return;
      // The key (and the retention it registers with) only for an unregistered room:
      // a registered room's key is never sent again.
      const registration = key !== undefined && !message.registered ? { key: toBase64Url(key), ...(maxAgeMs === undefined ? {} : { maxAgeMs }) } : {};
      link.sendJson({ t: 'prove', room: message.room, mac: toBase64Url(mac), ...registration });
    })
    .catch(() => state.binding.onError('PROOF_FAILED', 'could not compute the admission proof'));
}

export function onJoined(state: RoomState, message: Msg<'joined'>, link: RoomLink): void {
  if (state.phase === 'idle') return;
  if (state.phase !== 'joining') readmitted(state);
  state.phase = 'catching-up';
  const socket = link.socketToken();
  // In the binding's queue: envelopes of the previous connection may still be in it,
  // and the cursor to check (and to catch up from) is the one after them.
  queue(state, () => {
    if (link.socketToken() !== socket || state.phase !== 'catching-up') return;
    checkIncarnation(state, message.head, message.epoch);
    state.order = new CursorOrder(state.binding.cursor(), {
      envelope: (cursor, envelope, live) => queue(state, () => state.binding.onEnvelope(cursor, envelope, live)),
      gap: (after, upTo) => queue(state, () => state.binding.onGap(after, upTo)),
    });
    fetch(state, link);
    const early = state.early;
    state.early = [];
    for (const frame of early) state.order.accept(frame.cursor, frame.envelope, true);
  });
}

export function onHistoryEnd(state: RoomState, message: Msg<'history-end'>, link: RoomLink): void {
  if (state.order === undefined || !state.fetching) return;
  if (message.more) {
    sendHistory(state, Math.max(state.lastFetched, state.order.frontier), link);
    return;
  }
  state.fetching = false;
  state.order.historyEnd(message.head);
  if (state.phase === 'catching-up') caughtUp(state, link);
  else if (state.unavailable && !link.hasRefused(state.binding.roomId)) recovered(state, link);
  fillHoles(state, link);
}

/**
 * `joined` again while admitted (PROTOCOL A.3): the room's incarnation changed under this
 * admission (the relay's store lost its history and registered it again). What was held or
 * being fetched belongs to the old incarnation; the room starts over as after a fresh
 * admission, the epoch rule tells the binding, and it is not ready until caught up.
 */
function readmitted(state: RoomState): void {
  const wasReady = state.phase === 'ready' && !state.unavailable;
  state.order = undefined;
  state.early = [];
  state.fetching = false;
  state.fillAfterSeq = undefined;
  state.unregistered = false;
  if (wasReady) state.binding.onDisconnected();
}

/**
 * The relay's room is another incarnation than the one the binding's cursor belongs to:
 * what the binding had not fetched from the old one is gone, and it must say so.
 */
function checkIncarnation(state: RoomState, head: number, epoch: string): void {
  const { binding } = state;
  const cursor = binding.cursor();
  let reason: RelayResetReason | undefined;
  if (cursor > 0) {
    if (state.unregistered) reason = 'unregistered';
    else if (binding.relayEpoch() !== epoch) reason = 'epoch-changed';
    else if (head < cursor) reason = 'head-behind';
  }
  if (reason !== undefined) binding.onRelayReset({ reason, lastCursor: cursor, previousEpoch: binding.relayEpoch() });
  binding.onRelayEpoch(epoch);
}

/** The first catch-up of this admission is fetched: ready once the binding has processed it. */
function caughtUp(state: RoomState, link: RoomLink): void {
  state.phase = 'ready';
  state.retryAttempt = 0;
  const wasUnavailable = state.unavailable;
  state.unavailable = false;
  state.retryInMs = null;
  if (wasUnavailable) link.refreshState();
  // Ready only once everything fetched so far is processed, so a session learns of
  // removals and rotations before its outbox goes out.
  readyAfterQueue(state, link);
}

export function fetch(state: RoomState, link: RoomLink): void {
  state.fetching = true;
  state.lastFetched = state.order!.frontier;
  sendHistory(state, state.order!.frontier, link);
}

function sendHistory(state: RoomState, after: number, link: RoomLink): void {
  link.sendJson({ t: 'history', room: state.binding.roomId, after, limit: HISTORY_PAGE_LIMIT });
}

/**
 * Fetches the missing range when a cursor is held past a hole — unless publishes of mine
 * sent before the hole appeared are still unacknowledged: over several relay processes
 * another member's envelope can overtake the ACK of mine, and the ACK fills the hole.
 */
export function fillHoles(state: RoomState, link: RoomLink): void {
  const { order } = state;
  if (order === undefined || state.fetching || state.phase !== 'ready' || state.unavailable || !order.hasHole()) {
    if (order !== undefined && !order.hasHole()) state.fillAfterSeq = undefined;
    return;
  }
  state.fillAfterSeq ??= link.publishSeq();
  if (link.awaitsAck(state.binding.roomId, state.fillAfterSeq)) return;
  state.fillAfterSeq = undefined;
  fetch(state, link);
}
