/**
 * The durable store's cached state: a room's row as the store holds it, and the running
 * totals its stats and the overall bound read. Shared by the store (store.ts) and its
 * retention (retention.ts), so neither imports the other for a type.
 */
import type { RoomRow } from './statements.js';

/** A room's cached row, and whether it is still in the table. */
export interface Room extends RoomRow {
  live: boolean;
}

export interface Totals {
  rooms: number;
  envelopes: number;
  bytes: number;
  pinned: number;
  pinnedBytes: number;
  forgotten: number;
  incarnations: number;
}
