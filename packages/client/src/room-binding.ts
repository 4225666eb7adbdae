/** What the relay connection needs from each room it carries (the room session provides it). */
import type { TransportErrorCode } from './codes.js';

export interface RoomBinding {
  /** Base64url room id. */
  readonly roomId: string;
  /** Answers an admission challenge: HMAC over the nonce; the admission key when the room is unregistered. */
  prove(nonce: Uint8Array, registered: boolean): Promise<{ mac: Uint8Array; key?: Uint8Array }>;
  /** Last cursor fully processed (0 = none); catch-up asks for everything after it. */
  cursor(): number;
  /**
   * One envelope, in cursor order; awaited before the next is handed over. `live` is true
   * for a DELIVER (sent just now), false for a HISTORY replay (catch-up).
   */
  onEnvelope(cursor: number, envelope: Uint8Array, live: boolean): Promise<void>;
  /** The relay dropped (after, upTo] before we could fetch it. */
  onGap(after: number, upTo: number): void;
  /** Admission and catch-up finished on this connection: sending may start. */
  onReady(): void;
  /** Admission refused or a room-scoped error. */
  onError(code: TransportErrorCode, message: string): void;
  /**
   * The relay no longer knows this room's past (an in-memory relay restarted: the room is
   * unregistered again, or its head is behind our cursor). The binding must restart its
   * cursor at 0; message-id de-duplication absorbs anything seen twice.
   */
  onRelayReset(): void;
  /** The connection dropped; the room is not ready until the next `onReady`. */
  onDisconnected(): void;
}
