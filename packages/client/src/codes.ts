/**
 * The stable codes the client reports, as typed unions: warning codes by kind, transport
 * errors (the relay's and the client's own) and file-transfer failures. Callers branch on
 * them and a UI keys its texts by them (`Record<Code, string>`), so a code added here
 * without a text fails that UI's typecheck. Types only.
 */
import type { SealedErrorCode, WelcomeErrorCode } from '@sealroom/protocol';

/**
 * The relay's refusal codes (docs/PROTOCOL.md A.7). Written out here rather than imported:
 * the client never depends on the relay, only on the wire contract.
 */
export type RelayErrorCode =
  | 'BAD_JSON'
  | 'BAD_MESSAGE'
  | 'UNSUPPORTED_VERSION'
  | 'UNKNOWN_TYPE'
  | 'BAD_FRAME'
  | 'BAD_ROOM'
  | 'NOT_JOINED'
  | 'NO_CHALLENGE'
  | 'ADMISSION_DENIED'
  | 'ROOM_LIMIT'
  | 'RATE_LIMITED'
  | 'MESSAGE_TOO_LARGE'
  | 'UNAVAILABLE'
  | 'PIN_LIMIT'
  | 'HISTORY_LIMITED'
  | 'REGISTRATION_LIMITED'
  | 'STORE_FULL';

/** Codes the client's transport raises itself. */
export type ClientTransportErrorCode =
  /** The room is not admitted and caught up on an open connection: nothing was sent. */
  | 'NOT_CONNECTED'
  /** The connection dropped before the relay acknowledged the envelope. */
  | 'DISCONNECTED'
  /** The envelope is larger than the relay's `maxEnvelopeBytes` (its hello). */
  | 'ENVELOPE_TOO_LARGE'
  /** A queued direct message whose recipient is no longer a member. */
  | 'UNKNOWN_RECIPIENT'
  /** The admission proof could not be computed. */
  | 'PROOF_FAILED'
  /** A room id that is not canonical base64url. */
  | 'BAD_ROOM_ID'
  /** The relay sent an error without a code, or with one this client does not know. */
  | 'UNKNOWN_RELAY_ERROR';

/** Why a publish or a room on a relay connection failed (`TransportError.code`). */
export type TransportErrorCode = RelayErrorCode | ClientTransportErrorCode;

/**
 * Failures that mean "genuine once, seen again" (PROTOCOL C.7): a replayed message or
 * distribution, or a replayed commit of an epoch already past (`STALE_COMMIT`).
 */
export type ReplayCode = Extract<SealedErrorCode, 'DUPLICATE' | 'TOO_OLD' | 'KEY_ALREADY_KNOWN'> | 'STALE_COMMIT';

/** The codes each kind of warning carries. */
export interface WarningCodes {
  /**
   * A new member's name is confusable with the name of a member I verified who is no longer
   * in the room (left or removed): perhaps that person with a new key, perhaps someone
   * else. Within one room a member can never present another key (identities are fixed by
   * the membership log), so this is the only key change there is.
   */
  'key-changed': 'KEY_CHANGED';
  /**
   * A member's name is confusable (UTS #39 skeleton) with another current member's, verified
   * or not: two different identities, one of them not who it seems.
   */
  'name-clash': 'NAME_CLASH';
  /** A member's name mixes scripts (other than Common and Inherited): "Bоb" with a Cyrillic о. */
  'mixed-script': 'MIXED_SCRIPT';
  /**
   * An envelope (or a file chunk) failed to verify — signature, tag, context — or could not
   * be parsed; a commit or a welcome was refused (the log's codes: `NOT_ALLOWED`,
   * `BAD_MEMBERSHIP`, `WRONG_ROOM`…); its content does not parse (`BAD_PAYLOAD`); a file
   * offer reuses another member's file id (`FILE_ID_TAKEN`); a welcome's log does not extend
   * the log this device already holds (`LOG_FORK`); an edit or delete of a message by
   * someone other than its author (`NOT_AUTHOR`); an action on a message it cannot apply to
   * (`BAD_TARGET`: an edit of a file, a group action on a private message).
   */
  'bad-message': WelcomeErrorCode | 'BAD_PAYLOAD' | 'FILE_ID_TAKEN' | 'LOG_FORK' | 'NOT_AUTHOR' | 'BAD_TARGET';
  /** An envelope replayed an already-seen sequence number or message id, or an old commit. */
  replay: ReplayCode;
  /**
   * An envelope from a sender who is not (or no longer) a member; an identity in the room's
   * removal record knocked (`REMOVED_MEMBER`).
   */
  'unknown-sender': 'UNKNOWN_SENDER' | 'REMOVED_MEMBER';
  /**
   * A member sent in the previous epoch's relay room after the commit that ended it: it had
   * not seen the commit yet (its messages appear once it catches up and sends them again).
   */
  'stale-epoch': 'STALE_EPOCH';
  /** The relay refused something (Part A.7), or a queued message could not be sent (`SEND_FAILED`). */
  'relay-error': TransportErrorCode | 'SEND_FAILED';
  /** This device's storage refused a write (quota, closed database). */
  'storage-error': 'STORAGE_WRITE_FAILED';
}

export type WarningKind = keyof WarningCodes;
export type WarningCode = WarningCodes[WarningKind];

/**
 * Why a file transfer failed: the `file-failed` event's `code`, and the `reason` of the
 * `SealroomClientError` an `acceptFile` rejects with.
 */
export type FileFailureCode =
  /** The transfer could not go on: the offer or accept could not be sent, the source could not be read again, hashing failed. */
  | 'TRANSFER_FAILED'
  /** Every chunk arrived but the file does not match the digest its sender signed. */
  | 'HASH_MISMATCH'
  /** The sink refused a write. */
  | 'SINK_FAILED'
  /** A chunk was asked for again too often (C.6 chunk recovery). */
  | 'RESEND_EXHAUSTED'
  /** Too long without progress while connected (C.6 chunk recovery). */
  | 'STALLED'
  /** The other end cancelled the transfer. */
  | 'CANCELLED'
  /** The file's sender left or was removed. */
  | 'SENDER_GONE'
  /** I left the room or was removed. */
  | 'ROOM_INACTIVE'
  /** The client was locked or closed. */
  | 'CLOSED';

/** Every file failure code: a receiver's `file-cancel` carries one of them. */
const FILE_FAILURE_CODES: Record<FileFailureCode, true> = {
  TRANSFER_FAILED: true,
  HASH_MISMATCH: true,
  SINK_FAILED: true,
  RESEND_EXHAUSTED: true,
  STALLED: true,
  CANCELLED: true,
  SENDER_GONE: true,
  ROOM_INACTIVE: true,
  CLOSED: true,
};
export const isFileFailureCode = (code: string): code is FileFailureCode => Object.hasOwn(FILE_FAILURE_CODES, code);
