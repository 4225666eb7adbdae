/**
 * The state of one file I am sending (file-sender.ts): its manifest and key, the readers for
 * the first pass and for resends, the running digest, and the receivers with their progress.
 * Apart from the sender so its several loops (stream, resends, waiting for receivers) read
 * against one documented shape.
 */
import type { FileDigest, FileManifest } from '@sealroom/protocol';
import type { ReceiverProgress } from './file-flow-control.js';
import type { JobWindow } from './job-window.js';

export interface Outgoing {
  manifest: FileManifest;
  fileKey: CryptoKey;
  readChunk: (index: number) => Promise<Uint8Array>;
  /** A second reader for resends, so they do not disturb the running pass's stream. */
  readResend: (index: number) => Promise<Uint8Array>;
  /** Chunk indices receivers asked for again, and how many each receiver asked for so far. */
  resend: Set<number>;
  resendsServed: Map<string, number>;
  resending: boolean;
  /** The file digest, fed as chunks are read for the first time; the trailer carries it. */
  digest: FileDigest;
  hashed: Set<number>;
  hashing: JobWindow;
  /** Hex digest once the trailer went out. */
  sha256?: string;
  itemId: string;
  streaming: boolean;
  again: boolean;
  stopped: boolean;
  /** Accepters and their reported progress: chunks written, when they last said so, how often. */
  receivers: Map<string, ReceiverProgress>;
  /** Wakes the sender waiting for receivers (progress, a receiver gone, the transfer stopped). */
  wake?: () => void;
}
