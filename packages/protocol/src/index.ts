/**
 * @sealroom/protocol — Sealroom's cryptography and wire format. Pure: WebCrypto, typed arrays
 * and JSON only; the same code runs in browsers and in Node ≥ 20. docs/PROTOCOL.md Part B
 * describes every format, derivation and check.
 *
 * Conventions: functions that read untrusted input return `{ ok: true, … }` or
 * `{ ok: false, code }` and never throw on that input; functions given invalid arguments by
 * their (trusted) caller throw `RangeError`. Time is always passed in (`now`, ms).
 */
export * from './constants.js';
export type { AtRestErrorCode, EnvelopeErrorCode, Failure, IdentityErrorCode, InviteErrorCode, Result, SafetyErrorCode, WrapErrorCode } from './errors.js';
// Byte helpers: strict base64url and UTF-8 (undefined on non-canonical or malformed input),
// hex, constant-time-style equality and random bytes from crypto.getRandomValues.
export { equalBytes, fromBase64Url, fromUtf8, randomBytes, toBase64Url, toHex, utf8 } from './bytes.js';

// Identities
export {
  checkDisplayName,
  encodePublicIdentity,
  formatFingerprint,
  generateIdentity,
  importPublicIdentity,
  importPublicIdentityJson,
  publicIdentityToJson,
  sameIdentity,
  shortFingerprint,
} from './identity.js';
export type { GenerateIdentityOptions, GeneratedIdentity, IdentityProgress, LocalIdentity, PublicIdentity, PublicIdentityJson } from './identity.js';

// Password wrapping, backups, at-rest encryption
export { BACKUP_FILE_EXTENSION, changePassword, exportBackup, importBackup, readWrappedIdentity, unwrapIdentity, wrapIdentity } from './password.js';
export type { BackupFile, KdfOptions, KdfParams, SealedSecret, UnlockedIdentity, WrappedIdentity } from './password.js';
export { openAtRest, sealAtRest } from './at-rest.js';

// Safety numbers
export { compareSafetyNumber, computeSafetyNumber } from './safety-number.js';
export type { SafetyNumber } from './safety-number.js';

// Invites and room keys
export { formatInvite, parseInvite } from './invite.js';
export type { FormatInviteOptions, Invite } from './invite.js';
export { admissionProof, createRoomSecret, deriveRoomKeys, memberIdOf, roomMember } from './room-keys.js';
export type { RoomKeys, RoomMember } from './room-keys.js';

// Envelopes
export { CONTENT_KIND, ENVELOPE_TYPE, HEADER_BYTES } from './codec.js';
export type { ContentKind, EnvelopeType } from './codec.js';
export { peekEnvelope } from './envelope.js';
export type { EnvelopePeek } from './envelope.js';
export { openJoinAnnouncement, sealJoinAnnouncement } from './join.js';
export {
  createSenderKey,
  emptySenderKeyRing,
  forgetSender,
  hasSenderKey,
  openGroupMessage,
  openSenderKeyDistribution,
  sealGroupMessage,
  sealSenderKeyDistribution,
  senderKeyNeedsRotation,
} from './sender-keys.js';
export type { InboundSenderKey, OutboundSenderKey, SenderKeyRing } from './sender-keys.js';
export { openDirectMessage, sealDirectMessage } from './direct.js';
export {
  FileDigest,
  LABEL_FILE_DIGEST,
  chunkLength,
  createFileManifest,
  decodeFileManifest,
  encodeFileManifest,
  importFileKey,
  openFileChunk,
  sealFileChunk,
  sealFileChunkParts,
} from './files.js';
export type { FileManifest, SealFileChunkOptions } from './files.js';
export { CONTROL_KIND, MAX_DISAPPEARING_SECONDS, openControl, sealControl } from './control.js';
export type { ControlAction } from './control.js';
