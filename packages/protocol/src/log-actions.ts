/**
 * Bodies of the membership-log actions (PROTOCOL.md B.8): their byte layouts and the checks
 * that need no log state (ranges, flags, names). Whether an action is allowed and valid
 * against the roster is log-state.ts's business.
 *
 *   genesis  vec16(creator public identity) ‖ nonce(16) ‖ vec16(UTF-8 room name) ‖ u32(timer s) ‖ u8(link flags) ‖ u64(link expiresAt)
 *   add      vec16(public identity) ‖ u8(via)
 *   remove   target(32) ‖ vec32(leave proposal or empty)
 *   role     target(32) ‖ u8(role)
 *   settings u32(timer s)
 *   link     u8(flags) ‖ u64(expiresAt ms, 0 = never)
 */
import { IDENTITY_ID_BYTES, MAX_DISPLAY_NAME_BYTES, MAX_ROOM_NAME_BYTES, MAX_SIGNATURE_BYTES, MAX_SPKI_BYTES, MESSAGE_ID_BYTES } from './constants.js';
import {
  ADD_VIA,
  GENESIS_NONCE_BYTES,
  LINK_FLAGS_KNOWN,
  LINK_FLAG_APPROVAL,
  LINK_FLAG_SINGLE_USE,
  LOG_ACTION,
  MAX_TIMER_SECONDS,
  ROLE,
  type AddVia,
  type LogActionKind,
  type Role,
} from './constants-v2.js';
import { Reader, concat, fromUtf8, readU64, u16, u32, u64, u8, utf8, type Bytes } from './bytes.js';
import { fail, type LogErrorCode, type Result } from './errors.js';
import { hasUnsafeCharacters } from './text.js';

/** Who may use an invite link and until when. Public: it is in the log. */
export interface LinkPolicy {
  /** Knocks wait for an admin's approval. */
  approval: boolean;
  /** The first add through the link resets it. */
  singleUse: boolean;
  /** Milliseconds since 1970 after which knocks are declined; 0 = never. */
  expiresAt: number;
}

/** The open policy: no approval, reusable, never expires. */
export const OPEN_LINK: LinkPolicy = { approval: false, singleUse: false, expiresAt: 0 };

/** Longest public identity encoding (B.1): version, name, two SPKIs with their lengths. */
export const MAX_IDENTITY_ENCODING_BYTES = 1 + 2 + MAX_DISPLAY_NAME_BYTES + 2 * (2 + MAX_SPKI_BYTES);
/** Longest leave proposal: type, sender, message id, epoch, vec16 signature. */
export const MAX_LEAVE_PROPOSAL_BYTES = 1 + IDENTITY_ID_BYTES + MESSAGE_ID_BYTES + 4 + 2 + MAX_SIGNATURE_BYTES;

/** A decoded action body. Values are as on the wire: checked by {@link checkActionValues} and
 * log-state.ts, not here. */
export type LogAction =
  | { kind: 'genesis'; creator: Bytes; nonce: Bytes; name: Bytes; timerSeconds: number; linkFlags: number; linkExpiresAt: number | undefined }
  | { kind: 'add'; identity: Bytes; via: number }
  | { kind: 'remove'; target: Bytes; proposal: Bytes | undefined }
  | { kind: 'role'; target: Bytes; role: number }
  | { kind: 'settings'; timerSeconds: number }
  | { kind: 'link'; flags: number; expiresAt: number | undefined };

const KIND_BY_BYTE = new Map<number, LogActionKind>(Object.entries(LOG_ACTION).map(([kind, byte]) => [byte, kind as LogActionKind]));
const VIA_BY_BYTE = new Map<number, AddVia>(Object.entries(ADD_VIA).map(([via, byte]) => [byte, via as AddVia]));
const ROLE_BY_BYTE = new Map<number, Role>(Object.entries(ROLE).map(([role, byte]) => [byte, role as Role]));

export function viaOf(byte: number): AddVia | undefined {
  return VIA_BY_BYTE.get(byte);
}

export function roleOf(byte: number): Role | undefined {
  return ROLE_BY_BYTE.get(byte);
}

/** The flags byte of a policy. */
export function linkFlags(policy: LinkPolicy): number {
  return (policy.approval ? LINK_FLAG_APPROVAL : 0) | (policy.singleUse ? LINK_FLAG_SINGLE_USE : 0);
}

/** A policy from its wire form, or undefined for unknown flag bits or an unsafe expiry. */
export function linkPolicyOf(flags: number, expiresAt: number | undefined): LinkPolicy | undefined {
  // Decoded expiries are always safe integers; a caller's policy may not be.
  if ((flags & ~LINK_FLAGS_KNOWN) !== 0 || expiresAt === undefined || !Number.isSafeInteger(expiresAt) || expiresAt < 0) return undefined;
  return { approval: (flags & LINK_FLAG_APPROVAL) !== 0, singleUse: (flags & LINK_FLAG_SINGLE_USE) !== 0, expiresAt };
}

/** Whether a disappearing timer is in range (0 = off … one year). */
export function timerOk(seconds: number): boolean {
  return Number.isInteger(seconds) && seconds >= 0 && seconds <= MAX_TIMER_SECONDS;
}

/** A room name as the genesis may carry it: 1 … 128 UTF-8 bytes, no control, bidirectional or invisible characters. */
export function roomNameOk(name: string): boolean {
  return name.length > 0 && utf8(name).length <= MAX_ROOM_NAME_BYTES && !hasUnsafeCharacters(name);
}

/** The room name of a genesis body, or undefined when it breaks {@link roomNameOk} or is not UTF-8. */
export function decodeRoomName(name: Uint8Array): string | undefined {
  const text = fromUtf8(name);
  return text !== undefined && roomNameOk(text) ? text : undefined;
}

/** Encodes an action body. Throws `RangeError` on values out of range (caller error). */
export function encodeActionBody(action: LogAction): Bytes {
  const targetOk = (target: Uint8Array): void => {
    if (target.length !== IDENTITY_ID_BYTES) throw new RangeError('target must be a 32-byte identity id');
  };
  switch (action.kind) {
    case 'genesis':
      if (action.nonce.length !== GENESIS_NONCE_BYTES) throw new RangeError('genesis nonce must be 16 bytes');
      return concat(
        u16(action.creator.length),
        action.creator,
        action.nonce,
        u16(action.name.length),
        action.name,
        u32(action.timerSeconds),
        u8(action.linkFlags),
        u64(action.linkExpiresAt ?? 0),
      );
    case 'add':
      return concat(u16(action.identity.length), action.identity, u8(action.via));
    case 'remove': {
      targetOk(action.target);
      const proposal = action.proposal ?? new Uint8Array(0);
      return concat(action.target, u32(proposal.length), proposal);
    }
    case 'role':
      targetOk(action.target);
      return concat(action.target, u8(action.role));
    case 'settings':
      return u32(action.timerSeconds);
    case 'link':
      return concat(u8(action.flags), u64(action.expiresAt ?? 0));
  }
}

/** Structural decoding of an action body: exact lengths, no trailing bytes. Never throws. */
export function decodeActionBody(actionByte: number, body: Uint8Array): Result<{ action: LogAction }, LogErrorCode> {
  const kind = KIND_BY_BYTE.get(actionByte);
  if (kind === undefined) return fail('BAD_ACTION', 'unknown action');
  const r = new Reader(body);
  const done = (action: LogAction | undefined): Result<{ action: LogAction }, LogErrorCode> =>
    action === undefined || r.remaining !== 0 ? fail('BAD_LENGTH', `${kind} body`) : { ok: true, action };
  const expiry = (): number | undefined | null => {
    const raw = r.take(8);
    return raw === undefined ? null : readU64(raw, 0);
  };
  switch (kind) {
    case 'genesis': {
      const creator = r.vec16(MAX_IDENTITY_ENCODING_BYTES);
      const nonce = r.take(GENESIS_NONCE_BYTES);
      const name = r.vec16(MAX_ROOM_NAME_BYTES);
      const timerSeconds = r.u32();
      const linkFlags = r.u8();
      const linkExpiresAt = expiry();
      if (creator === undefined || nonce === undefined || name === undefined || timerSeconds === undefined || linkFlags === undefined || linkExpiresAt === null)
        return done(undefined);
      return done({ kind, creator, nonce, name, timerSeconds, linkFlags, linkExpiresAt });
    }
    case 'add': {
      const identity = r.vec16(MAX_IDENTITY_ENCODING_BYTES);
      const via = r.u8();
      return done(identity === undefined || via === undefined ? undefined : { kind, identity, via });
    }
    case 'remove': {
      const target = r.take(IDENTITY_ID_BYTES);
      const proposal = r.vec32(MAX_LEAVE_PROPOSAL_BYTES);
      if (target === undefined || proposal === undefined) return done(undefined);
      return done({ kind, target, proposal: proposal.length === 0 ? undefined : proposal });
    }
    case 'role': {
      const target = r.take(IDENTITY_ID_BYTES);
      const role = r.u8();
      return done(target === undefined || role === undefined ? undefined : { kind, target, role });
    }
    case 'settings': {
      const timerSeconds = r.u32();
      return done(timerSeconds === undefined ? undefined : { kind, timerSeconds });
    }
    case 'link': {
      const flags = r.u8();
      const expiresAt = expiry();
      return done(flags === undefined || expiresAt === null ? undefined : { kind, flags, expiresAt });
    }
  }
}
