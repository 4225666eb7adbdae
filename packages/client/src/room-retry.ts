/**
 * A room's answer to the relay's refusals: UNAVAILABLE (the relay's store is down),
 * RATE_LIMITED, HISTORY_LIMITED (catch-up paced) and REGISTRATION_LIMITED (too many new rooms
 * from this address), each retried after the relay's `retryAfterMs` or the backoff.
 *
 * It exists apart from room-catch-up.ts because a refusal is an outage or a pause, not part
 * of admission: it decides whether the room shows as disconnected and when to ask again.
 * It reaches the connection only through {@link RoomLink}.
 */
import { fetch, join } from './room-catch-up.js';
import { recovered, type RoomLink, type RoomState } from './relay-room-state.js';
import type { ServerMessage } from './wire.js';

type RelayErrorMessage = Extract<ServerMessage, { t: 'error' }>;

/** A relay error about the room that is not the answer to one of its publishes. */
export function onRoomError(state: RoomState, message: RelayErrorMessage, link: RoomLink): void {
  if (state.fetching && message.code === 'HISTORY_LIMITED') {
    // The relay is pacing this catch-up (its budget per connection and address): ask
    // again when it says, without showing the room as disconnected.
    state.fetching = false;
    retryAfter(state, message.retryAfterMs, link);
    return;
  }
  if (state.phase === 'joining' && message.code === 'REGISTRATION_LIMITED') {
    // Too many new rooms from this address lately: register again when the relay says.
    state.phase = 'idle';
    retryAfter(state, message.retryAfterMs, link);
    return;
  }
  if (state.fetching && (message.code === 'UNAVAILABLE' || message.code === 'RATE_LIMITED')) {
    // A refused history request: asked again after a pause rather than leaving the room
    // stuck before `ready` (or with a hole).
    state.fetching = false;
    markUnavailable(state, link);
    return;
  }
  if (state.phase === 'joining' && (message.code === 'UNAVAILABLE' || message.code === 'RATE_LIMITED')) {
    // The relay's store is down, or this connection is over its rate: join again later.
    state.phase = 'idle';
    markUnavailable(state, link);
    return;
  }
  if (state.phase === 'joining' || message.code === 'ADMISSION_DENIED') state.phase = 'idle';
  state.binding.onError(message.code, message.message);
}

/** Marks the room as waiting for the relay's store and schedules its next try. */
export function markUnavailable(state: RoomState, link: RoomLink): void {
  const wasReady = state.phase === 'ready' && !state.unavailable;
  state.unavailable = true;
  if (wasReady) state.binding.onDisconnected();
  if (state.retryTimer === undefined) {
    const delay = link.backoffMs(state.retryAttempt);
    state.retryAttempt += 1;
    state.retryInMs = delay;
    state.retryTimer = link.clock.setTimeout(() => retry(state, link), delay);
  }
  link.refreshState();
}

/**
 * Asks again after the relay's `retryAfterMs` (or the backoff when it named none), with
 * the room's state as it is: a budget refusal is a pause, not an outage.
 */
function retryAfter(state: RoomState, retryAfterMs: number | undefined, link: RoomLink): void {
  if (state.retryTimer !== undefined) return;
  const delay = retryAfterMs ?? link.backoffMs(state.retryAttempt);
  state.retryAttempt += 1;
  state.retryTimer = link.clock.setTimeout(() => retry(state, link), delay);
}

/** The room's retry: whatever the store refused is asked again. */
function retry(state: RoomState, link: RoomLink): void {
  state.retryTimer = undefined;
  if (!link.isBound(state) || !link.isLive()) return;
  if (state.phase === 'idle') {
    join(state, link);
    return;
  }
  if (state.order !== undefined && !state.fetching && (state.phase === 'catching-up' || state.order.hasHole())) fetch(state, link);
  const resent = link.resendRefused(state.binding.roomId);
  // Nothing left to ask (the refusal was of a request that has been answered since).
  if (state.phase === 'ready' && !state.fetching && resent === 0) recovered(state, link);
}
