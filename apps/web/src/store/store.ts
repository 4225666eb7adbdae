import { create } from 'zustand';
import type { AppEvent } from './events.js';
import { type AppState, initialAppState, rootReducer } from './state.js';

export interface AppStore extends AppState {
  dispatch(event: AppEvent): void;
}

/** The app's single store. Components read it through selectors; actions dispatch events. */
export const useAppStore = create<AppStore>()((set) => ({
  ...initialAppState,
  dispatch: (event) => set((state) => rootReducer(state, event)),
}));

/**
 * Incoming messages arrive by the hundred when a member catches up after being away; one
 * store update (and one timeline render) each made the catch-up slow. They are applied
 * together, at most this long after the first of a batch arrived, in ms: about a frame.
 */
export const MESSAGE_BATCH_MS = 16;

let queued: AppEvent[] = [];
let flushTimer: ReturnType<typeof setTimeout> | undefined;

/** Applies the queued message events now, in arrival order. */
function flushQueuedEvents(): void {
  if (flushTimer !== undefined) clearTimeout(flushTimer);
  flushTimer = undefined;
  if (queued.length === 0) return;
  const batch = queued;
  queued = [];
  useAppStore.setState((state) => batch.reduce<AppState>(rootReducer, state));
}

/**
 * Events applied in batches: messages (a catch-up), file progress (one per chunk, both sides)
 * and receipts (one event per message a receipt confirms, by the hundred in a busy room).
 */
const BATCHED: ReadonlySet<AppEvent['type']> = new Set(['message', 'file-progress', 'receipt']);

/**
 * Sends an event to the store. Batched events are queued for one batched
 * update; any other event first applies the queued ones, so the store sees every event in
 * arrival order.
 */
export const dispatch = (event: AppEvent): void => {
  if (BATCHED.has(event.type)) {
    queued.push(event);
    flushTimer ??= setTimeout(flushQueuedEvents, MESSAGE_BATCH_MS);
    return;
  }
  flushQueuedEvents();
  useAppStore.getState().dispatch(event);
};
