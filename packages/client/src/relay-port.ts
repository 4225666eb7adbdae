/**
 * What a room needs from its relay connection (transport.ts, PROTOCOL Part A v2): bind and
 * unbind relay rooms, publish (pinned for membership commits, A.4), pace large sends. The
 * connection satisfies it as is; rooms see no more of it than this.
 */
import type { ConnectionState } from './api.js';
import type { RoomBinding } from './room-binding.js';
import type { EnvelopeBytes } from './wire.js';

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
  close(): void;
}
