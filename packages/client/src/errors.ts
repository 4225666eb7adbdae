import type { FileFailureCode } from './codes.js';

/**
 * Stable error codes. Every rejection from the public API is a {@link SealroomClientError}
 * whose `code` callers branch on; messages are for humans and may change.
 */
export type ClientErrorCode =
  | 'NO_IDENTITY'
  | 'BAD_DISPLAY_NAME'
  | 'IDENTITY_EXISTS'
  | 'LOCKED'
  | 'WRONG_PASSWORD'
  | 'BAD_BACKUP'
  | 'BAD_INVITE'
  | 'BAD_ROOM_NAME'
  | 'ADMISSION_DENIED'
  | 'NOT_MEMBER'
  | 'NOT_CREATOR'
  | 'UNKNOWN_MEMBER'
  | 'UNKNOWN_ROOM'
  | 'UNKNOWN_FILE'
  | 'ROOM_INACTIVE'
  | 'MESSAGE_TOO_LARGE'
  | 'HASH_MISMATCH'
  | 'TRANSFER_FAILED'
  | 'STORAGE_CORRUPT'
  | 'CLOSED';

export class SealroomClientError extends Error {
  override readonly name = 'SealroomClientError';
  /** Why a file transfer failed, on the rejection of `acceptFile` (`TRANSFER_FAILED`, `HASH_MISMATCH`). */
  readonly reason: FileFailureCode | undefined;

  constructor(
    readonly code: ClientErrorCode,
    message: string = code,
    options: { reason?: FileFailureCode } = {},
  ) {
    super(message);
    this.reason = options.reason;
  }
}

export function isClientError(value: unknown, code?: ClientErrorCode): value is SealroomClientError {
  return value instanceof SealroomClientError && (code === undefined || value.code === code);
}
