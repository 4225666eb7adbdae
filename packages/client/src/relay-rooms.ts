/**
 * The relay rooms one Sealroom room is bound to (PROTOCOL C.8): the current epoch's, the
 * previous epoch's (watched until the next commit), and lobbies (the current link's, where
 * newcomers knock, or the one I knock in). Each is a {@link RoomBinding} for the transport:
 * its own admission key, its own cursor, its envelopes handed to the room in cursor order.
 *
 * A relay room also answers "has everything before cursor c been processed?", which a
 * committer must know before it takes its commit as confirmed (B.14.3).
 */
import { admissionProof, type EpochKeys, type LobbyKeys } from '@sealroom/protocol';
import type { TransportErrorCode } from './codes.js';
import type { Clock } from './platform.js';
import type { AdmissionProof, RelayReset, RoomBinding } from './room-binding.js';

/** What a relay room is to its Sealroom room. */
export type RelayRoomRole = 'epoch' | 'previous' | 'lobby';

/** The room behind its relay rooms: gets their envelopes and news. */
export interface RelayRoomHost {
  /** One envelope in cursor order; the host advances the relay room's cursor when done. */
  envelope(room: RelayRoom, cursor: number, envelope: Uint8Array, live: boolean): Promise<void>;
  gap(room: RelayRoom, after: number, upTo: number): void;
  ready(room: RelayRoom): void;
  error(room: RelayRoom, code: TransportErrorCode, message: string): void;
  /** The relay lost the relay room's history after `reset.lastCursor` (the cursor is 0 again). */
  relayReset(room: RelayRoom, reset: RelayReset): void;
  /** Something of the relay room's position changed that should be stored (its relay epoch). */
  positionChanged(): void;
  disconnected(room: RelayRoom): void;
}

/** Where a relay room's cursor and relay epoch live (fields of the room record, which may be replaced). */
export interface CursorSlot {
  get(): number;
  set(cursor: number): void;
  epoch(): string | undefined;
  setEpoch(epoch: string | undefined): void;
}

export class RelayRoom implements RoomBinding {
  readonly roomId: string;
  role: RelayRoomRole;
  /** Cursors of my own envelopes in this relay room the relay acknowledged (never delivered back live). */
  private readonly ownCursors = new Set<number>();

  constructor(
    readonly keys: EpochKeys | LobbyKeys,
    role: RelayRoomRole,
    private readonly slot: CursorSlot,
    private readonly host: RelayRoomHost,
    private readonly clock: Clock,
    /** Retention age to register the relay room with (the disappearing timer), ms. */
    readonly maxAgeMs: number | undefined,
  ) {
    this.roomId = keys.relayRoomIdB64;
    this.role = role;
  }

  // ---- RoomBinding ------------------------------------------------------------------------

  async prove(nonce: Uint8Array): Promise<AdmissionProof> {
    const mac = await admissionProof(this.keys.admissionKey, this.keys.relayRoomId, nonce);
    return { mac, key: this.keys.admissionKey, ...(this.maxAgeMs === undefined ? {} : { maxAgeMs: this.maxAgeMs }) };
  }

  cursor(): number {
    return this.slot.get();
  }

  relayEpoch(): string | undefined {
    return this.slot.epoch();
  }

  onRelayEpoch(epoch: string): void {
    if (this.slot.epoch() === epoch) return;
    this.slot.setEpoch(epoch);
    this.host.positionChanged();
  }

  async onEnvelope(cursor: number, envelope: Uint8Array, live: boolean): Promise<void> {
    await this.host.envelope(this, cursor, envelope, live);
  }

  onGap(after: number, upTo: number): void {
    // In a lobby the range is gone for good: the cursor moves past it. In an epoch room it
    // stays: an honest relay serves a pinned commit even inside a gap (A.4), so a range it
    // did not serve may hide a withheld commit, and the next admission asks for it again.
    // Anything delivered after the range moves the cursor on anyway.
    if (this.role === 'lobby') {
      this.advance(upTo);
      this.host.positionChanged();
    }
    this.host.gap(this, after, upTo);
  }

  onReady(): void {
    this.host.ready(this);
  }

  onError(code: TransportErrorCode, message: string): void {
    this.host.error(this, code, message);
  }

  onRelayReset(reset: RelayReset): void {
    this.ownCursors.clear();
    this.slot.set(0);
    this.slot.setEpoch(undefined);
    this.host.relayReset(this, reset);
  }

  onDisconnected(): void {
    this.host.disconnected(this);
  }

  // ---- cursors ------------------------------------------------------------------------------

  /** Everything up to `cursor` is processed. */
  advance(cursor: number): void {
    let at = Math.max(this.slot.get(), cursor);
    // My own envelopes never come back on my connection (Part A v2): step over those right after.
    while (this.ownCursors.delete(at + 1)) at += 1;
    for (const own of this.ownCursors) if (own <= at) this.ownCursors.delete(own);
    this.slot.set(at);
  }

  /**
   * The relay acknowledged an envelope of mine at `cursor` (any kind: the transport never
   * hands it back on this connection, so the cursor must step over it here).
   */
  ownAck(cursor: number): void {
    const at = this.slot.get();
    if (cursor <= at) return;
    if (cursor === at + 1) this.advance(cursor);
    else this.ownCursors.add(cursor);
  }

  /**
   * Resolves once every envelope before `cursor` in this relay room has been processed (or is
   * my own), or something after it has. Cursors are contiguous (Part A v2), so this is counted.
   */
  async settledBefore(cursor: number): Promise<void> {
    for (;;) {
      if (this.slot.get() >= cursor - 1) return;
      let at = this.slot.get() + 1;
      while (at < cursor && this.ownCursors.has(at)) at += 1;
      if (at >= cursor) return;
      await this.tick();
    }
  }

  private tick(): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, 0));
  }
}
