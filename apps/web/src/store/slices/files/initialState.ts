import type { FileFailureCode, RoomId } from '@sealroom/client';
import type { RateSample } from '../../../lib/transfer-rate.js';

export type TransferStatus = 'waiting' | 'transferring' | 'complete' | 'failed' | 'declined';

export interface Transfer {
  fileId: string;
  roomId: RoomId;
  direction: 'send' | 'receive';
  /** Bytes moved so far and in total. */
  bytes: number;
  total: number;
  status: TransferStatus;
  /** Why it failed, e.g. `HASH_MISMATCH`. */
  code: FileFailureCode | null;
  /** A Blob URL to save the received file again, once complete. */
  url: string | null;
  savedTo: 'download' | 'disk' | null;
  /** Recent progress with the time the page saw it, for the speed (lib/transfer-rate.ts). */
  rateSamples: RateSample[];
}

export interface FilesState {
  transfers: Record<string, Transfer>;
}

export const initialFilesState: FilesState = { transfers: {} };
