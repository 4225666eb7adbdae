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
import { CONTIGUOUS_CURSORS } from './relay-port.js';
import type { RoomBinding } from './room-binding.js';

/** What a relay room is to its Sealroom room. */
export type RelayRoomRole = 'epoch' | 'previous' | 'lobby';

/** The room behind its relay rooms: gets their envelopes and news. */
export interface RelayRoomHost {
  /** One envelope in cursor order; the host advances the relay room's cursor when done. */
  envelope(room: RelayRoom, cursor: number, envelope: Uint8Array, live: boolean): Promise<void>;
  gap(room: RelayRoom, after: number, upTo: number): void;
  ready(room: RelayRoom): void;
  error(room: RelayRoom, code: TransportErrorCode, message: string): void;
  relayReset(room: RelayRoom): void;
  disconnected(room: RelayRoom): void;
}

/** Where a relay room's cursor lives (a field of the room record, which may be replaced). */
export interface CursorSlot {
  get(): number;
  set(cursor: number): void;
}

export class RelayRoom implements RoomBinding {
  readonly roomId: string;
  role: RelayRoomRole;
  /** Envelopes being processed now, and how many were ever started (settling, below). */
  private inFlight = 0;
  private started = 0;
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

  async prove(nonce: Uint8Array): Promise<{ mac: Uint8Array; key: Uint8Array; maxAgeMs?: number }> {
    const mac = await admissionProof(this.keys.admissionKey, this.keys.relayRoomId, nonce);
    return { mac, key: this.keys.admissionKey, ...(this.maxAgeMs === undefined ? {} : { maxAgeMs: this.maxAgeMs }) };
  }

  cursor(): number {
    return this.slot.get();
  }

  async onEnvelope(cursor: number, envelope: Uint8Array, live: boolean): Promise<void> {
    this.inFlight += 1;
    this.started += 1;
    try {
      await this.host.envelope(this, cursor, envelope, live);
    } finally {
      this.inFlight -= 1;
    }
  }

  onGap(after: number, upTo: number): void {
    this.host.gap(this, after, upTo);
  }

  onReady(): void {
    this.host.ready(this);
  }

  onError(code: TransportErrorCode, message: string): void {
    this.host.error(this, code, message);
  }

  onRelayReset(): void {
    this.ownCursors.clear();
    this.slot.set(0);
    this.host.relayReset(this);
  }

  onDisconnected(): void {
    this.host.disconnected(this);
  }

  // ---- cursors ------------------------------------------------------------------------------

  /** Everything up to `cursor` is processed. Caller holds the room lock. */
  advance(cursor: number): void {
    let at = Math.max(this.slot.get(), cursor);
    // My own envelopes come back only in a catch-up: step over those right after.
    if (CONTIGUOUS_CURSORS) while (this.ownCursors.delete(at + 1)) at += 1;
    this.slot.set(at);
  }

  /** The relay acknowledged an envelope of mine at `cursor` (not a commit: that one is applied). */
  ownAck(cursor: number): void {
    this.ownCursors.add(cursor);
    if (CONTIGUOUS_CURSORS && cursor === this.slot.get() + 1) this.advance(cursor);
  }

  /**
   * Resolves once every envelope before `cursor` in this relay room has been processed (or is
   * my own), or something after it has. With contiguous cursors this is counted exactly.
   * ADAPTER(wire-v2): with the v1 transport (cursors with holes) it waits until the room's
   * delivery queue has drained: every envelope the relay sent before its acknowledgement
   * (delivery on a connection is in order) is then processed.
   */
  async settledBefore(cursor: number): Promise<void> {
    for (;;) {
      if (this.slot.get() >= cursor - 1) return;
      if (CONTIGUOUS_CURSORS) {
        let at = this.slot.get() + 1;
        while (at < cursor && this.ownCursors.has(at)) at += 1;
        if (at >= cursor) return;
      } else if (this.inFlight === 0) {
        const before = this.started;
        await this.tick();
        if (this.inFlight === 0 && this.started === before) return;
        continue;
      }
      await this.tick();
    }
  }

  private tick(): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, 0));
  }
}
