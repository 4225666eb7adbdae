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
  /** A change only an admin may make (remove, roles, the link, approving knocks). */
  | 'NOT_ADMIN'
  /** I am still knocking: nothing can be sent until a member lets me in. */
  | 'KNOCKING'
  /** An invite made by an older version of Sealroom (`v=1`): ask for a new one. */
  | 'OLD_INVITE'
  /** The link is one of a room I was removed from: it cannot let me in again. */
  | 'REMOVED_FROM_ROOM'
  /** A room stored by an older version of Sealroom: it can only be read. */
  | 'ROOM_OUTDATED'
  /** No pending knock with that id (already answered, or never seen). */
  | 'UNKNOWN_KNOCK'
  /** The membership log refuses the change (the creator's removal or role, an expiry in the past…). */
  | 'CHANGE_REFUSED'
  | 'UNKNOWN_MEMBER'
  | 'UNKNOWN_ROOM'
  | 'UNKNOWN_FILE'
  /** No message with that timeline id here (never received, expired, or deleted for everyone). */
  | 'UNKNOWN_MESSAGE'
  /** Only a message's author may edit it or delete it for everyone. */
  | 'NOT_AUTHOR'
  /** A reaction must be exactly one emoji. */
  | 'BAD_REACTION'
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
