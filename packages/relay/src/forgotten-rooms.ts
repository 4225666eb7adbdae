/**
 * Forgotten rooms (docs/PROTOCOL.md A.3): when a store forgets a registered room (idle, or
 * evicted for space), it remembers the room id with a hash of its admission key for
 * `forgottenRoomMemoryMs`. Until then only a holder of the original key can register the
 * id again, so whoever learned a room id (a removed member, an observer of the relay)
 * cannot take the room over while its members are away; and the returning members get a
 * new incarnation (a new epoch), so they are told that its history is gone.
 *
 * The key itself is not kept: a hash proves "same key" without leaving behind anything
 * that could answer an admission challenge.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RoomKey } from './store.js';

/** Domain separation: this hash is never confused with any other use of the key. */
const KEY_HASH_LABEL = 'sealroom/forgotten-room/v1';

/** SHA-256(label ‖ admission key), as base64url (43 characters). */
export function admissionKeyHash(key: Uint8Array): string {
  return createHash('sha256').update(KEY_HASH_LABEL, 'ascii').update(key).digest('base64url');
}

/** Whether `key` hashes to `hash`, compared in constant time. */
export function matchesKeyHash(key: Uint8Array, hash: string): boolean {
  const expected = Buffer.from(hash, 'base64url');
  const actual = Buffer.from(admissionKeyHash(key), 'base64url');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The bounds of what is remembered. */
export interface ForgottenRoomLimits {
  /** How long a forgotten room id stays reserved for its original key, in ms. */
  readonly forgottenRoomMemoryMs: number;
  /** Most forgotten rooms remembered at once; past it the oldest memory goes first. */
  readonly maxForgottenRooms: number;
}

/** The in-memory list (the durable store keeps the same in a table). */
export class ForgottenRooms {
  /** Room id → key hash and when it was forgotten; a Map keeps them oldest first. */
  private readonly entries = new Map<RoomKey, { readonly hash: string; readonly atMs: number }>();

  constructor(private readonly limits: ForgottenRoomLimits) {}

  get size(): number {
    return this.entries.size;
  }

  remember(room: RoomKey, key: Uint8Array, nowMs: number): void {
    this.entries.delete(room);
    this.entries.set(room, { hash: admissionKeyHash(key), atMs: nowMs });
    while (this.entries.size > this.limits.maxForgottenRooms) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Whether `key` may register `room`: it is not remembered (any more), or `key` is its original key. */
  allows(room: RoomKey, key: Uint8Array, nowMs: number): boolean {
    const entry = this.entries.get(room);
    if (entry === undefined || nowMs - entry.atMs >= this.limits.forgottenRoomMemoryMs) return true;
    return matchesKeyHash(key, entry.hash);
  }

  /** The room is registered again: nothing to remember until it is forgotten again. */
  release(room: RoomKey): void {
    this.entries.delete(room);
  }

  /** Lets go of memories older than `forgottenRoomMemoryMs`. */
  sweep(nowMs: number): void {
    for (const [room, entry] of this.entries) {
      if (nowMs - entry.atMs < this.limits.forgottenRoomMemoryMs) break;
      this.entries.delete(room);
    }
  }
}
