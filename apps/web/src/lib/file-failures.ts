import type { FileFailureCode } from '@sealroom/client';

/** Why a file transfer failed, in plain words, by the client's failure code. */
export const FILE_FAILURE_TEXT: Record<FileFailureCode, string> = {
  TRANSFER_FAILED: 'The file transfer failed. Ask the sender to offer it again.',
  HASH_MISMATCH: 'The received file did not match what was offered, so it was discarded. It may have been tampered with.',
  SINK_FAILED: 'The file could not be written on this device, so the transfer stopped.',
  RESEND_EXHAUSTED: 'Part of the file kept arriving damaged or not at all, so the transfer was given up.',
  STALLED: 'The transfer stopped making progress, so it was given up.',
  CANCELLED: 'The other side cancelled the transfer.',
  SENDER_GONE: 'The sender left the room before the file arrived.',
  ROOM_INACTIVE: 'You left this room or were removed, so you can no longer send here.',
  CLOSED: 'Sealroom has stopped. Reload the page.',
};
