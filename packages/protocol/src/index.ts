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
export type {
  AtRestErrorCode,
  CommitErrorCode,
  Failure,
  IdentityErrorCode,
  InviteErrorCode,
  LogErrorCode,
  Result,
  SafetyErrorCode,
  SealedErrorCode,
  WelcomeErrorCode,
  WrapErrorCode,
} from './errors.js';
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

// Relay admission (Part A.3) and sender-key chains (B.11: the ratchet, the ring, rotation budgets)
export { admissionProof } from './admission.js';
export { createSenderKey, emptySenderKeyRing, forgetSender, hasSenderKey, senderKeyNeedsRotation } from './sender-keys.js';
export type { InboundSenderKey, OutboundSenderKey, SenderKeyRing } from './sender-keys.js';
export { FileDigest, LABEL_FILE_DIGEST, chunkLength } from './file-digest.js';

// ---- protocol v2: epochs, the membership log, sealed envelopes, lobbies (PROTOCOL.md Part B) ----

export * from './constants-v2.js';
// PROTOCOL_VERSION (2) is the version byte of the v2 formats; the formats v2 keeps from
// version 1 (identities, wrapping, at-rest records) carry PROTOCOL_VERSION_V1 (1).
export { PROTOCOL_VERSION } from './constants-v2.js';
export { PROTOCOL_VERSION as PROTOCOL_VERSION_V1 } from './constants.js';

// Key schedule
export { createEpochSecret, createLinkSecret, deriveEpochKeys, deriveLobbyKeys, groupContext, membershipHash } from './epoch-keys.js';
export type { EpochKeys, LobbyKeys, MembershipEntry } from './epoch-keys.js';

// The membership log
export { OPEN_LINK } from './log-actions.js';
export type { LinkPolicy } from './log-actions.js';
export { decodeEntry, entryHash, roomIdOf } from './log-entry.js';
export type { LogEntry } from './log-entry.js';
export { applyEntry, findMember, genesisState, linkExpired, verifyLog } from './log-state.js';
export type { AppliedEntry } from './log-state.js';
export type { EpochRecord, LogChange, LogState, RosterMember } from './log-types.js';
export { createRoom, epochKeysFor } from './room.js';
export type { CreatedRoom } from './room.js';
export { createCommit, openCommit } from './commit.js';
export type { CommitAction, CreatedCommit, OpenedCommit } from './commit.js';
export { epochMemberId, loadRoster } from './roster.js';
export type { EpochMember, EpochRoster } from './roster.js';

// Sealed envelopes in epoch rooms
export { peekSealed } from './sealed.js';
export type { SealedPeek, SealingKeys } from './sealed.js';
export { openSenderKeyDistribution, sealSenderKeyDistribution } from './sender-key-distribution.js';
export { openGroup, sealGroup } from './group.js';
export { openDirect, sealDirect } from './direct-message.js';
export { openLeave, sealLeave } from './leave.js';

// Lobbies
export { openDecline, openKnock, sealDecline, sealKnock } from './lobby.js';
export { openWelcome, sealWelcome } from './welcome.js';
export type { OpenedWelcome } from './welcome.js';

// Files v2
export {
  FILE_CHUNK_OVERHEAD_BYTES,
  createFileManifest,
  decodeFileDigest,
  decodeFileManifest,
  encodeFileDigest,
  encodeFileManifest,
  importFileKey,
  openFileChunk,
  peekFileChunk,
  sealFileChunk,
  sealFileChunkParts,
} from './file-transfer.js';
export type { FileManifest, SealFileChunkOptions } from './file-transfer.js';

// Invites v2
export { formatInvite, parseInvite, relayWebSocketUrl } from './invite-link.js';
export type { FormatInviteOptions, Invite } from './invite-link.js';
