/**
 * The members of one epoch as the envelope openers need them: each member's public identity
 * imported once, and its member id in this epoch, `M_n(x) = HMAC(memberIdKey_n, I(x))`, which
 * is what envelopes carry instead of the cross-room identity id.
 */
import { fromBase64Url, toBase64Url, toHex, type Bytes } from './bytes.js';
import type { Role } from './constants-v2.js';
import type { EpochKeys } from './epoch-keys.js';
import { importPublicIdentityJson, type PublicIdentity } from './identity.js';
import type { LogState, RosterMember } from './log-types.js';
import { hmac } from './webcrypto.js';

/** A member of an epoch, ready to verify and encrypt to. */
export interface EpochMember {
  /** 32-byte identity id (cross-room; never put it in anything the relay can read). */
  readonly id: Uint8Array;
  /** `id` as base64url: the key of sender-key rings and of the log state's roster. */
  readonly idB64: string;
  /** This epoch's member id. */
  readonly memberId: Uint8Array;
  readonly identity: PublicIdentity;
  readonly role: Role;
  /** Epoch in which this membership began. */
  readonly joinedAt: number;
}

/** Everyone in one epoch, with lookups by member id and by identity id (both base64url). */
export interface EpochRoster {
  readonly epoch: number;
  readonly members: readonly EpochMember[];
  readonly byMemberId: ReadonlyMap<string, EpochMember>;
  readonly byIdentityId: ReadonlyMap<string, EpochMember>;
}

/** `M_n(x)`: the member id of an identity in the epoch of `keys`. */
export function epochMemberId(keys: Pick<EpochKeys, 'memberIdKey'>, identityId: Uint8Array): Promise<Bytes> {
  return hmac(keys.memberIdKey, identityId);
}

/** @internal Imports a roster member's stored public identity. Throws: the state is trusted data. */
export async function rosterIdentity(member: RosterMember): Promise<PublicIdentity> {
  const imported = await importPublicIdentityJson(member.identity);
  if (!imported.ok || imported.identity.idHex !== toHex(fromBase64Url(member.id) ?? new Uint8Array(0)))
    throw new RangeError(`corrupt log state: member ${member.id}`);
  return imported.identity;
}

/**
 * The roster of the state's current epoch under that epoch's keys. Throws `RangeError` when
 * the keys are of another room or epoch than the state, or the state is corrupt.
 */
export async function loadRoster(state: LogState, keys: EpochKeys): Promise<EpochRoster> {
  if (state.epoch !== keys.epoch || state.roomId !== toBase64Url(keys.roomId))
    throw new RangeError('epoch keys and log state are of different epochs or rooms');
  const members = await Promise.all(
    state.members.map(async (m): Promise<EpochMember> => {
      const identity = await rosterIdentity(m);
      return { id: identity.id, idB64: m.id, memberId: await epochMemberId(keys, identity.id), identity, role: m.role, joinedAt: m.joinedAt };
    }),
  );
  return {
    epoch: state.epoch,
    members,
    byMemberId: new Map(members.map((m) => [toBase64Url(m.memberId), m])),
    byIdentityId: new Map(members.map((m) => [m.idB64, m])),
  };
}
