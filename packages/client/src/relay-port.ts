/**
 * What a room needs from the relay connection, in the shape of the wire-v2 transport
 * contract (/PROTOCOL.md Part A v2): pinned publishes for commits, a retention age fixed
 * when a relay room is registered, contiguous cursors.
 *
 * ADAPTER(wire-v2): the transport on this branch still speaks Part A v1. Until the wire-v2
 * transport lands, this module maps the contract onto it: a pinned publish is a plain one
 * (the relay may trim a commit), the retention age is asked for after admission with the v1
 * `retention` message, and cursors may have holes (so settling a commit waits for the
 * room's queue to drain instead of counting cursors, relay-rooms.ts). Each place is marked.
 */
import type { ConnectionState } from './api.js';
import type { RoomBinding } from './room-binding.js';
import type { RelayConnection } from './transport.js';
import type { EnvelopeBytes } from './wire.js';

/**
 * Whether the transport delivers contiguous cursors (1, 2, 3… per relay room incarnation,
 * holes filled before delivery). ADAPTER(wire-v2): true once the v2 transport is in.
 */
export const CONTIGUOUS_CURSORS = false;

export interface PublishOptions {
  /** Kept by the relay outside retention trimming (membership commits, PROTOCOL B.14.3). */
  pinned?: boolean;
}

/** The relay connection as the rooms of one endpoint use it. */
export interface RelayPort {
  readonly state: ConnectionState;
  readonly maxEnvelopeBytes: number;
  addRoom(binding: RoomBinding): void;
  removeRoom(relayRoom: string): void;
  hasRooms(): boolean;
  isReady(relayRoom: string): boolean;
  publish(relayRoom: string, envelope: EnvelopeBytes, options?: PublishOptions): Promise<number>;
  waitForBufferBelow(bytes: number): Promise<void>;
  /**
   * A relay room just became ready; `maxAgeMs` is the retention age it was registered with.
   * ADAPTER(wire-v2): asks for it with the v1 `retention` message; a v2 relay takes the age
   * in the registration itself and this does nothing.
   */
  retentionAfterReady(relayRoom: string, maxAgeMs: number | undefined): void;
  close(): void;
}

export function relayPort(connection: RelayConnection): RelayPort {
  return {
    get state() {
      return connection.state;
    },
    get maxEnvelopeBytes() {
      return connection.maxEnvelopeBytes;
    },
    addRoom: (binding) => connection.addRoom(binding),
    removeRoom: (relayRoom) => connection.removeRoom(relayRoom),
    hasRooms: () => connection.hasRooms(),
    isReady: (relayRoom) => connection.isReady(relayRoom),
    // ADAPTER(wire-v2): `pinned` is dropped here; the v2 transport takes it as is.
    publish: (relayRoom, envelope) => connection.publish(relayRoom, envelope),
    waitForBufferBelow: (bytes) => connection.waitForBufferBelow(bytes),
    retentionAfterReady: (relayRoom, maxAgeMs) => {
      if (maxAgeMs !== undefined) connection.requestRetention(relayRoom, maxAgeMs);
    },
    close: () => connection.close(),
  };
}
