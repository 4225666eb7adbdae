/**
 * What file transfer needs from its room (a port; `room-parts.ts` provides it), and the
 * pieces both ends of a transfer share: how an offer is shown and how many chunk hashes
 * run at once.
 */
import { toBase64Url, type ContentKind, type FileManifest } from '@sealroom/protocol';
import type { FileOffer } from './api.js';
import type { EventHub } from './events.js';
import type { AppPayload } from './payloads.js';
import type { Clock } from './platform.js';
import type { TimelineWriter } from './timeline.js';
import type { Warn } from './warnings.js';
import type { EnvelopeBytes } from './wire.js';

/** Chunk hashes pending at once, on either side (a 256 KiB copy each, held by WebCrypto). */
export const HASH_AHEAD = 4;

/** The file-transfer payloads a member sends about a file (PROTOCOL C.6). */
export type FileControl = Extract<AppPayload, { t: 'file-accept' | 'file-decline' | 'file-progress' | 'file-cancel' | 'file-resend' }>;

export interface FileRoom {
  readonly roomId: string;
  /** My identity id and display name, for my own offers' timeline items. */
  readonly myIdentityId: string;
  readonly myName: string;
  readonly clock: Clock;
  readonly events: EventHub;
  /** The room's timeline (items of offers and their transfer state); written under the lock. */
  readonly timeline: TimelineWriter;
  readonly warn: Warn;
  /** Runs a task under the room lock. */
  locked<T>(task: () => Promise<T>): Promise<T>;
  /** Seals and publishes a group payload (a file control, or a manifest as the offer); resolves on the ack. */
  sendGroup(payload: AppPayload | Uint8Array, content?: ContentKind): Promise<number>;
  /** Publishes a sealed chunk envelope; resolves on the ack. */
  publish(envelope: EnvelopeBytes): Promise<number>;
  /** The largest envelope the relay accepts (its hello says). */
  maxEnvelopeBytes(): number;
  /** Resolves once the socket buffers fewer than `bytes` unsent bytes. */
  waitForBufferBelow(bytes: number): Promise<void>;
  /** The room is connected and caught up. */
  isReady(): boolean;
  /** Resolves at the next ready (after a reconnect) or when the room or client goes away. */
  nextReady(): Promise<void>;
}

/** A manifest as the public API shows it. */
export function offerOf(manifest: FileManifest): FileOffer {
  // The digest comes in the trailer after the last chunk (PROTOCOL B.13).
  return { fileId: toBase64Url(manifest.fileId), name: manifest.name, size: manifest.size, mimeType: manifest.type, sha256: null };
}
