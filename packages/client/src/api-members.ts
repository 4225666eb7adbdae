/**
 * The public types of rooms and their members: the ids, roles, the invite link's policy, a
 * room's summary and membership status, members, knocks, membership changes and safety
 * numbers. Types only, split out of api.ts (which re-exports them) so each file holds one
 * part of the public surface.
 */
// ---------------------------------------------------------------------------------
// Rooms and members
// ---------------------------------------------------------------------------------

/**
 * A room id: the base64url form (43 characters) of the room's 32-byte id, the hash of its
 * genesis entry (PROTOCOL B.6). Stable for the room's life; never sent to a relay.
 */
export type RoomId = string;
/**
 * An identity id: the base64url form (43 characters) of the identity hash of the public keys
 * (PROTOCOL B.1), the same in every room. It names members in this API and inside sealed
 * payloads; envelope headers carry room-scoped member ids (B.6) instead, so the relay cannot
 * link one person across rooms. "Member id" means only that room-scoped id.
 */
export type IdentityId = string;
/** A message id: 16 random bytes in base64url, chosen by the sender. */
export type MessageId = string;

/** A member's role in the membership log. Admins remove members, change roles and the link, approve knocks. */
export type Role = 'member' | 'admin';

/**
 * How the invite link admits people (PROTOCOL B.14.7). `approval`: knocks wait for an admin.
 * `singleUse`: the link is reset by the first add through it. `expiresAt`: epoch ms after
 * which knocks are declined, or null for never. Every change of policy makes a new link.
 */
export interface LinkPolicy {
  approval: boolean;
  singleUse: boolean;
  expiresAt: number | null;
}

/**
 * Where this device stands in a room:
 * - `knocking`: I opened an invite and wait for a member to let me in (nothing to read yet);
 * - `current`: a member, as far as this device knows up to date;
 * - `catching-up`: a member that is processing membership changes it missed, or asking to be
 *   let in again because the relay lost the room's history ("catching up on membership…");
 * - `left`, `removed`: no longer a member; the history stays readable here;
 * - `outdated`: a room stored by an older version of Sealroom; read-only, ask for a new invite.
 */
export type MembershipStatus = 'knocking' | 'current' | 'catching-up' | 'left' | 'removed' | 'outdated';

/** Why a knock was turned down: a member declined, or the link had expired or was already used. */
export type KnockDeclineReason = 'declined' | 'link-expired' | 'link-used';

export interface RoomSummary {
  id: RoomId;
  /** The room's name from its log; while knocking, the untrusted hint from the invite link. */
  name: string;
  /** Identity id of the creator (bound to the room by its genesis); empty while knocking. */
  createdBy: IdentityId;
  /** Disappearing-message timer in ms, or null when messages are kept. */
  disappearingMs: number | null;
  memberCount: number;
  /** True while I am a member (`status` is `current` or `catching-up`). */
  active: boolean;
  status: MembershipStatus;
  /** My role, or null when I am not a member. */
  myRole: Role | null;
  /** Identity ids of the admins (the creator first). */
  admins: IdentityId[];
  /** The invite link's policy, or null when I am not a member. */
  linkPolicy: LinkPolicy | null;
  /** The current epoch (number of membership changes so far), or null while knocking. */
  epoch: number | null;
  /** While knocking: a member declined, or the link was expired or used. An unauthenticated hint. */
  knockDeclined: KnockDeclineReason | null;
  /** Knocks waiting for an admin's answer (0 unless I am an admin of an approval room). */
  pendingKnocks: number;
  /** Epoch ms of my joining. */
  joinedAt: number;
  /** Epoch ms of the newest timeline item, for sorting a room list. */
  lastActivityAt: number;
}

export interface MemberInfo {
  id: IdentityId;
  displayName: string;
  fingerprint: string;
  /** True for the local identity's own entry. */
  isMe: boolean;
  isCreator: boolean;
  role: Role;
  /** The name is confusable with another current member's (UTS #39 skeleton): one of them is not who it seems. */
  nameClash: boolean;
  /** The name mixes scripts ("Bоb" with a Cyrillic о). */
  mixedScript: boolean;
  /** Marked verified by me after comparing the safety number. Persisted. */
  verified: boolean;
  /** A presence beat arrived recently. */
  online: boolean;
  joinedAt: number;
}

/** A knock waiting for an admin (approval links), as {@link RoomHandle.pendingKnocks} lists it. */
export interface PendingKnock {
  knockId: string;
  identityId: IdentityId;
  displayName: string;
  fingerprint: string;
  /** Epoch ms when this device saw the knock. */
  at: number;
  /** The identity is in the room's removal record: approving re-adds someone an admin removed. */
  removedBefore: boolean;
  /** The name is confusable with a current member's. */
  nameClash: boolean;
  mixedScript: boolean;
}

/** What a membership change did, as the `membership` event and the timeline tell it. */
export type MembershipChange =
  | { kind: 'joined'; member: IdentityId; name: string; by: IdentityId; via: 'member' | 'link' | 'knock'; linkReset: boolean }
  | { kind: 'left'; member: IdentityId; name: string; by: IdentityId; linkReset: true }
  | { kind: 'removed'; member: IdentityId; name: string; by: IdentityId; linkReset: true }
  | { kind: 'role'; member: IdentityId; name: string; role: Role; by: IdentityId }
  | { kind: 'timer'; disappearingMs: number | null; by: IdentityId }
  | { kind: 'link'; policy: LinkPolicy; by: IdentityId; linkReset: true };

export interface SafetyNumber {
  /** 60 digits, identical on both members' screens. */
  digits: string;
  /** The digits in 12 groups of 5, separated by spaces. */
  display: string;
  /** Text to encode as a QR code for scanning instead of reading digits. */
  qrPayload: string;
}
