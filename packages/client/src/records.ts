/**
 * Shapes of what the client persists (each sealed at rest by the vault), the storage key
 * names they live under, and the record a room starts with. Plain JSON data only.
 */
import {
  publicIdentityToJson,
  toBase64Url,
  type ControlAction,
  type OutboundSenderKey,
  type PublicIdentityJson,
  type RoomKeys,
  type SenderKeyRing,
  type UnlockedIdentity,
} from '@sealroom/protocol';
import type { AppPayload } from './payloads.js';
import type { TimelineItem } from './api.js';

/** Storage key names. The identity blob is the only record stored unsealed. */
export const KEY_IDENTITY = 'identity';
export const KEY_ROOM_INDEX = 'rooms';
export const roomKey = (roomId: string) => `room:${roomId}`;
export const timelinePrefix = (roomId: string) => `tl:${roomId}:`;
export const outboxPrefix = (roomId: string) => `ob:${roomId}:`;
/** Zero-padded so lexical order of keys is numeric order (12 digits: 10^12 items). */
const SEQ_DIGITS = 12;
export const seqKey = (prefix: string, seq: number) => `${prefix}${String(seq).padStart(SEQ_DIGITS, '0')}`;

export interface MemberRecord {
  /** Identity id, base64url (the public IdentityId). */
  id: string;
  /** Room-scoped member id (envelope `sender`), base64url. */
  memberId: string;
  identity: PublicIdentityJson;
  joinedAt: number;
  verified: boolean;
}

export interface RoomRecord {
  v: 1;
  id: string;
  /** Room secret, base64url. Sealed at rest with the rest of this record. */
  secret: string;
  /** Creator's identity id, base64url (from the invite). */
  creatorId: string;
  /** Relay WebSocket endpoint. */
  relayUrl: string;
  /** Where invite links point. */
  appUrl: string;
  name: string;
  joinedAt: number;
  disappearingMs: number | null;
  active: boolean;
  removedBy: string | null;
  /** Last relay cursor fully processed. */
  cursor: number;
  /**
   * The relay room incarnation (`joined.epoch`, PROTOCOL A.3) `cursor` belongs to. Absent until
   * the first admission, and in records stored before relay epochs existed.
   */
  relayEpoch?: string;
  /** Cursor of my own first join announcement (0 until acknowledged). */
  joinCursor: number;
  members: MemberRecord[];
  /** Identity ids removed by the creator: their announcements are refused from now on. */
  removed: string[];
  /**
   * Members I had marked verified who left or were removed: a new identity under one of
   * their names is a key change, not a first meeting. Grows only by the user's own marks.
   * Absent in records stored before it existed.
   */
  formerlyVerified?: { id: string; name: string }[];
  outboundKey: OutboundSenderKey | null;
  /** A leave or removal happened: make a new sender key before sending again. */
  mustRotate: boolean;
  /** Identity ids holding my current outbound key. */
  distributedTo: string[];
  ring: SenderKeyRing;
  /** Recent `sender/appId` and `sender/fileId` keys, for exactly-once display across reconnects and restarts. */
  seen: string[];
  /**
   * Recent keys of announcements, controls and direct messages (`join/…`, `control/…`,
   * `sender/appId`), kept apart from `seen`: these have no protocol replay window, and a long
   * run of group texts must not push them out. Absent in records stored before it existed.
   */
  seenControl?: string[];
  nextItemSeq: number;
  nextOutboxSeq: number;
  lastActivityAt: number;
}

/** A control I send: leave, remove a member (identity id, b64), or the room's settings. */
export type ControlIntent = { kind: 'leave' } | { kind: 'remove'; target: string } | { kind: 'settings'; disappearingAfterSeconds: number };

export type OutboxIntent =
  | { k: 'announce' }
  | { k: 'control'; action: ControlIntent }
  | { k: 'group'; payload: AppPayload; itemId?: string }
  | { k: 'direct'; to: string; payload: AppPayload; itemId?: string };

export interface OutboxEntry {
  seq: number;
  intent: OutboxIntent;
}

export interface StoredItem {
  seq: number;
  item: TimelineItem;
}

export function toControlAction(action: ControlIntent, decode: (b64: string) => Uint8Array): ControlAction {
  return action.kind === 'remove' ? { kind: 'remove', target: decode(action.target) } : action;
}

/** A fresh record for a room I create or join: I am its only member so far, verified. */
export function newRoomRecord(options: {
  keys: RoomKeys;
  secret: Uint8Array;
  creatorId: string;
  relayUrl: string;
  appUrl: string;
  name: string;
  now: number;
  me: UnlockedIdentity;
  /** My room-scoped member id, b64. */
  myMemberId: string;
}): RoomRecord {
  const self: MemberRecord = {
    id: toBase64Url(options.me.public.id),
    memberId: options.myMemberId,
    identity: publicIdentityToJson(options.me.public),
    joinedAt: options.now,
    verified: true,
  };
  return {
    v: 1,
    id: options.keys.roomIdB64,
    secret: toBase64Url(options.secret),
    creatorId: options.creatorId,
    relayUrl: options.relayUrl,
    appUrl: options.appUrl,
    name: options.name,
    joinedAt: options.now,
    disappearingMs: null,
    active: true,
    removedBy: null,
    cursor: 0,
    joinCursor: 0,
    members: [self],
    removed: [],
    outboundKey: null,
    mustRotate: false,
    distributedTo: [],
    ring: { v: 1, keys: [] },
    seen: [],
    seenControl: [],
    nextItemSeq: 1,
    nextOutboxSeq: 1,
    lastActivityAt: options.now,
  };
}
