/**
 * The documented failure codes of the protocol's decoders (src/errors.ts), as lists the fuzz
 * targets check refusals against. Each is a record over its union, so the compiler keeps it
 * complete.
 */
import type {
  AtRestErrorCode,
  CommitErrorCode,
  IdentityErrorCode,
  InviteErrorCode,
  LogErrorCode,
  SafetyErrorCode,
  SealedErrorCode,
  WelcomeErrorCode,
  WrapErrorCode,
} from '../../src/index.js';
import { codesOf } from './support.js';

export const SEALED_CODES = codesOf<SealedErrorCode>({
  BAD_LENGTH: true,
  BAD_VERSION: true,
  BAD_TYPE: true,
  BAD_TAG: true,
  BAD_ENCODING: true,
  WRONG_TYPE: true,
  WRONG_EPOCH: true,
  WRONG_RECIPIENT: true,
  WRONG_FILE: true,
  UNKNOWN_SENDER: true,
  BAD_SIGNATURE: true,
  BAD_KEY: true,
  BAD_IDENTITY: true,
  UNKNOWN_SENDER_KEY: true,
  DUPLICATE: true,
  TOO_OLD: true,
  BEFORE_KEY: true,
  TOO_FAR_AHEAD: true,
  KEY_ALREADY_KNOWN: true,
});

/** What peekSealed and a mutated outer layer can give: nothing past the AES-GCM tag. */
export const OUTER_CODES: readonly SealedErrorCode[] = ['BAD_LENGTH', 'BAD_VERSION', 'BAD_TYPE', 'BAD_TAG'];

export const LOG_CODES = codesOf<LogErrorCode>({
  BAD_VERSION: true,
  BAD_LENGTH: true,
  BAD_ACTION: true,
  WRONG_ROOM: true,
  STALE_COMMIT: true,
  FUTURE_COMMIT: true,
  NOT_MEMBER: true,
  NOT_ALLOWED: true,
  BAD_MEMBERSHIP: true,
  BAD_SIGNATURE: true,
});

export const COMMIT_CODES: readonly CommitErrorCode[] = [...new Set<CommitErrorCode>([...SEALED_CODES, ...LOG_CODES, 'BAD_SECRETS'])];
export const WELCOME_CODES: readonly WelcomeErrorCode[] = [...COMMIT_CODES, 'NOT_IN_ROSTER'];

export const IDENTITY_CODES = codesOf<IdentityErrorCode>({
  BAD_ENCODING: true,
  BAD_KEY_ALGORITHM: true,
  WEAK_KEY: true,
  KEY_TOO_LARGE: true,
  BAD_EXPONENT: true,
  SAME_KEY: true,
  BAD_DISPLAY_NAME: true,
});

export const WRAP_CODES = codesOf<WrapErrorCode>({ WRONG_PASSWORD: true, BAD_FORMAT: true, BAD_VERSION: true, BAD_KDF: true, CORRUPT: true });

export const AT_REST_CODES = codesOf<AtRestErrorCode>({ BAD_VERSION: true, BAD_LENGTH: true, BAD_TAG: true });

export const SAFETY_CODES = codesOf<SafetyErrorCode>({ BAD_FORMAT: true, BAD_VERSION: true, MISMATCH: true });

export const INVITE_CODES = codesOf<InviteErrorCode>({
  NOT_A_URL: true,
  NO_FRAGMENT: true,
  UNKNOWN_FIELD: true,
  DUPLICATE_FIELD: true,
  BAD_VERSION: true,
  OLD_VERSION: true,
  BAD_ROOM_ID: true,
  BAD_SECRET: true,
  BAD_RELAY_URL: true,
  BAD_ROOM_NAME: true,
});
