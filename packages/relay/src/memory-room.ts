/**
 * How the in-memory store (memory-store.ts) lays out one room's retained envelopes: parallel
 * arrays over shared slabs, so retention costs the garbage collector next to nothing. Apart
 * from the store because the slab layout (copy or keep, slab sizes, compaction) is its own
 * concern, and the frame writer (frames.ts) shares its copy threshold.
 */
import type { RetainedEnvelope, RoomKey } from './store.js';
import { MIB } from '@sealroom/units';

/**
 * Envelopes shorter than this are copied into their room's slabs; longer ones (file chunks)
 * are kept as they are, in a buffer of their own.
 */
export const COPY_BELOW_BYTES = 16 * 1024;
/**
 * A room's next slab holds half of what the room keeps, within these bounds (and at least the
 * envelope that needs it).
 */
export const MIN_SLAB_BYTES = 1024;
export const MAX_SLAB_BYTES = MIB;
/**
 * Trimming frees a slab only once none of its envelopes is kept, so a room that keeps little
 * can still hold large slabs. Once what a room holds passes this many times what it keeps
 * (plus one minimum slab), its envelopes are copied into one slab of their size.
 */
export const MAX_HELD_PER_KEPT = 3;

/**
 * A room's retained envelopes, oldest first from index `start`, as parallel arrays of
 * numbers and slab references: a retained envelope is no JavaScript object of its own, so a
 * relay holding hundreds of thousands of them costs the garbage collector next to nothing
 * (each envelope as an object made every young-generation collection copy and promote them,
 * which showed as millisecond pauses in delivery latency).
 */
export interface MemoryRoom {
  readonly key: RoomKey;
  admissionKey: Uint8Array | undefined;
  /** Latest cursor assigned; 0 until the first envelope. Cursors are 1, 2, 3, … */
  head: number;
  /** This incarnation of the room (docs/PROTOCOL.md A.3 `joined.epoch`). */
  readonly epoch: string;
  trimmedUpTo: number;
  cursors: number[];
  atMs: number[];
  offsets: number[];
  lengths: number[];
  /** The buffer each envelope's bytes are in: a slab, or the envelope's own buffer. */
  buffers: Uint8Array[];
  start: number;
  bytes: number;
  /** The slab being filled, and how much of it is. */
  slab: Uint8Array;
  slabUsed: number;
  /** Kept envelopes in each slab still referenced; a slab leaves the map with its last one. */
  slabRefs: Map<Uint8Array, number>;
  /** Memory this room holds: its slabs' capacity and its large envelopes, in bytes. */
  held: number;
  maxAgeMs: number;
  /** Pinned envelopes (own copies), in cursor order; never trimmed. */
  pinned: RetainedEnvelope[];
  lastActivityMs: number;
  subscribers: number;
  /** False once forgotten: the global queue's references to it are then stale. */
  live: boolean;
}

export const EMPTY = new Uint8Array(0);

/**
 * Copies a room's kept small envelopes into one slab of their size, so slabs mostly made
 * of trimmed envelopes are freed. Pages handed out before keep their views: slabs are
 * never written over, only dropped. Returns the change in what the room holds, in bytes, for
 * the store's totals.
 */
export function compactSlabs(state: MemoryRoom): number {
  let small = 0;
  let count = 0;
  for (let i = state.start; i < state.cursors.length; i += 1) {
    if (state.lengths[i]! < COPY_BELOW_BYTES) {
      small += state.lengths[i]!;
      count += 1;
    }
  }
  const slab = new Uint8Array(Math.max(small, MIN_SLAB_BYTES));
  let used = 0;
  for (let i = state.start; i < state.cursors.length; i += 1) {
    const length = state.lengths[i]!;
    if (length >= COPY_BELOW_BYTES) continue;
    const offset = state.offsets[i]!;
    slab.set(state.buffers[i]!.subarray(offset, offset + length), used);
    state.buffers[i] = slab;
    state.offsets[i] = used;
    used += length;
  }
  const heldChange = state.bytes - small + slab.length - state.held;
  state.slabRefs = new Map(count > 0 ? [[slab, count]] : []);
  state.slab = slab;
  state.slabUsed = used;
  return heldChange;
}
