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

export const dispatch = (event: AppEvent): void => useAppStore.getState().dispatch(event);
