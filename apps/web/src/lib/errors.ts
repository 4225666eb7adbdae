import type { AppError, AppErrorCode } from '../store/events.js';

/** What each stable client (or app) error code means to a person, in plain words. */
const ERROR_TEXT: Record<AppErrorCode, string> = {
  WRONG_PASSWORD: 'That password is not right. Nothing was changed; try again.',
  NO_IDENTITY: 'There is no identity in this browser yet.',
  BAD_DISPLAY_NAME: 'That name cannot be used: keep it short, without control characters or spaces at either end.',
  IDENTITY_EXISTS: 'This browser already has an identity.',
  LOCKED: 'Sealroom is locked. Unlock it with your password first.',
  BAD_BACKUP: 'That file is not a Sealroom backup, or it is damaged.',
  BAD_INVITE: 'That invite link is not valid. Ask for a fresh one.',
  BAD_ROOM_NAME: 'That room name cannot be used: keep it short, without control characters.',
  ADMISSION_DENIED: 'The relay refused this invite. It may have been mistyped or the room is gone.',
  NOT_MEMBER: 'You are no longer a member of this room.',
  NOT_ADMIN: 'Only an admin of this room can do that.',
  KNOCKING: 'You are still waiting for a member to let you in.',
  OLD_INVITE: 'This invite was made by an older version of Sealroom. Ask for a new one.',
  REMOVED_FROM_ROOM: 'You were removed from this room, and this link cannot let you back in.',
  ROOM_OUTDATED: 'This room was made with an older version of Sealroom. Ask for a new invite.',
  UNKNOWN_KNOCK: 'That request to join was already answered.',
  CHANGE_REFUSED: 'The room refused that change.',
  UNKNOWN_MEMBER: 'That member is no longer in the room.',
  UNKNOWN_ROOM: 'That room is not in this browser.',
  UNKNOWN_FILE: 'That file offer is no longer available.',
  UNKNOWN_MESSAGE: 'That message is no longer here.',
  NOT_AUTHOR: 'Only the person who wrote a message can edit or delete it.',
  BAD_REACTION: 'A reaction is a single emoji.',
  ROOM_INACTIVE: 'You left this room or were removed, so you can no longer send here.',
  MESSAGE_TOO_LARGE: 'That message is too long to send. Split it, or send it as a file.',
  HASH_MISMATCH: 'The received file did not match what was offered, so it was discarded. It may have been tampered with.',
  TRANSFER_FAILED: 'The file transfer failed. Ask the sender to offer it again.',
  STORAGE_CORRUPT: 'Stored data in this browser could not be read.',
  CLOSED: 'Sealroom has stopped. Reload the page.',
  UNSUPPORTED: 'This browser lacks something Sealroom needs (WebCrypto in a secure page, IndexedDB).',
};

const isKnownCode = (code: unknown): code is AppErrorCode => typeof code === 'string' && Object.hasOwn(ERROR_TEXT, code);

/** Turns anything thrown by the client into a stable code and a readable message. */
export function describeError(error: unknown): AppError {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  // A refused backup says what is wrong with the file (the client's message names the part or field).
  if (code === 'BAD_BACKUP' && error instanceof Error && error.message && error.message !== code) {
    return { code, message: `${ERROR_TEXT.BAD_BACKUP.replace(/\.$/, '')}: ${error.message}.` };
  }
  if (isKnownCode(code)) return { code, message: ERROR_TEXT[code] };
  return { code: 'UNKNOWN', message: error instanceof Error && error.message ? error.message : 'Something went wrong.' };
}
