export type { RoomStore } from './store.js';
