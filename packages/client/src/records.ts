/**
 * Shapes of what the client persists (each sealed at rest by the vault), the storage key
 * names they live under, and the records a room starts with. Plain JSON data only.
 *
 * A room is two records: the room record (`room:<id>`: cursors, sender keys, trust marks,
 * de-duplication memory — written often) and the log record (`log:<id>`: the membership
 * log, its state and the epoch and link secrets — written on membership changes only). The
 * log record is written first, so a crash between the two leaves a room record one epoch
 * behind, which loading reconciles (room-store.ts).
 */
import type { DeclineReason, LogState, OutboundSenderKey, PublicIdentityJson, SenderKeyRing } from '@sealroom/protocol';
import type { AppPayload } from './payloads.js';
import type { TimelineItem } from './api.js';

/** Storage key names. The identity blob is the only record stored unsealed. */
export const KEY_IDENTITY = 'identity';
export const KEY_ROOM_INDEX = 'rooms';
export const roomKey = (roomId: string) => `room:${roomId}`;
export const logKey = (roomId: string) => `log:${roomId}`;
export const timelinePrefix = (roomId: string) => `tl:${roomId}:`;
export const outboxPrefix = (roomId: string) => `ob:${roomId}:`;
export const sentPrefix = (roomId: string) => `sent:${roomId}:`;
/** Zero-padded so lexical order of keys is numeric order (12 digits: 10^12 items). */
const SEQ_DIGITS = 12;
export const seqKey = (prefix: string, seq: number) => `${prefix}${String(seq).padStart(SEQ_DIGITS, '0')}`;

/** Version of the room record format: 2 for rooms of protocol v2. */
export const ROOM_RECORD_VERSION = 2;

/** How far this device processed one relay room (PROTOCOL C.2). */
export interface RelayCursor {
  /** Relay room id, base64url. */
  room: string;
  /** Last relay cursor fully processed (0 = none). */
  cursor: number;
  /**
   * The relay room's incarnation (`joined.epoch`, PROTOCOL A.3) `cursor` belongs to; absent
   * until the first admission.
   */
  relayEpoch?: string;
}

/** The relay room of one epoch, and how far it was processed. */
export interface EpochCursor extends RelayCursor {
  epoch: number;
  /**
   * Cursor of my own first envelope in this epoch room (0 until the relay acknowledged one):
   * group messages I cannot open below it were sealed before the sender knew me (C.5).
   */
  joinCursor: number;
}

/** The previous epoch's relay room, watched until the next commit (B.14.5). */
export interface PreviousEpochCursor extends EpochCursor {
  /** Cursor of the commit that ended this epoch: anything after it is stale. */
  commitCursor: number;
}

/** A knock of mine waiting for an answer. */
export interface MyKnock {
  /** Knock ids I used, newest last (an answer to an earlier one is still mine). */
  knockIds: string[];
  lobby: RelayCursor;
  declined: DeclineReason | null;
}

/** A knock seen by an admin of an approval room, waiting for an answer. */
export interface PendingKnockRecord {
  knockId: string;
  /** The lobby it came from (relay room id): the welcome or decline goes there. */
  lobby: string;
  identityId: string;
  identity: PublicIdentityJson;
  at: number;
}

/** A membership or settings change I asked for, committed one at a time (commits.ts). */
export type CommitIntent =
  | { kind: 'add'; knockId: string; lobby: string; identityId: string; identity: PublicIdentityJson; via: 'member' | 'link' | 'knock' }
  | { kind: 'remove'; member: string }
  | { kind: 'leave'; member: string; proposal: string }
  | { kind: 'role'; member: string; role: 'member' | 'admin' }
  | { kind: 'timer'; seconds: number }
  | { kind: 'link'; approval: boolean; singleUse: boolean; expiresAt: number; baseLinkEpoch: number };

export interface RoomRecord {
  v: typeof ROOM_RECORD_VERSION;
  /** Room id (the hash of the genesis), base64url. */
  id: string;
  /** Relay WebSocket endpoint. */
  relayUrl: string;
  /** Where invite links point. */
  appUrl: string;
  /** The room name: the log's once I am a member, the link's hint until then. */
  name: string;
  status: 'knocking' | 'member' | 'left' | 'removed';
  removedBy: string | null;
  joinedAt: number;
  lastActivityAt: number;
  disappearingMs: number | null;
  /** The current epoch's relay room; null unless I am a member. */
  epochRoom: EpochCursor | null;
  previousRoom: PreviousEpochCursor | null;
  /** Lobbies I watch as a member (the current link's, and older ones with knocks to answer). */
  lobbies: RelayCursor[];
  knock: MyKnock | null;
  /** Knock ids answered (welcome or decline seen) or refused: never acted on again. */
  handledKnocks: string[];
  pendingKnocks: PendingKnockRecord[];
  /** Leave proposals of members waiting for a removal that carries them (B.14.4). */
  pendingLeaves: { member: string; proposal: string }[];
  commitIntents: CommitIntent[];
  outboundKey: OutboundSenderKey | null;
  /** A leave or removal happened: make a new sender key before sending again. */
  mustRotate: boolean;
  /** Identity ids holding my current outbound key. */
  distributedTo: string[];
  ring: SenderKeyRing;
  /** Identity ids I marked verified after comparing safety numbers. */
  verified: string[];
  /** Members I had verified who left or were removed: their name on a new key is a key change. */
  formerlyVerified: { id: string; name: string }[];
  /** Recent `sender/appId` and `sender/fileId` keys, for exactly-once display. */
  seen: string[];
  /** Recent keys of leaves and direct messages, kept apart from `seen` (seen-ids.ts). */
  seenControl: string[];
  /** `epoch/identity` pairs already given a stale-epoch note (one per member per epoch). */
  staleNoted: string[];
  /** SHA-256 (hex) of link secrets I held: an old link of a room I was removed from is recognised. */
  formerLinks: string[];
  /** When this device first saw each member, epoch ms (display only). */
  memberSince: Record<string, number>;
  nextItemSeq: number;
  nextOutboxSeq: number;
  nextSentSeq: number;
}

/** The membership log and every secret of a room (B.6–B.9), sealed apart from the room record. */
export interface LogRecord {
  v: typeof ROOM_RECORD_VERSION;
  /** Entries 0..epoch, base64url. Empty while knocking. */
  entries: string[];
  state: LogState | null;
  /** The previous epoch's state (its roster opens the previous epoch room), or null. */
  previousState: LogState | null;
  /** Secrets part of the latest commit (a welcome carries it), base64url. */
  secrets: string | null;
  epochSecret: string | null;
  previousEpochSecret: string | null;
  /** The current link secret (a member's), or the one I knock with. */
  linkSecret: string | null;
  /** Link secrets of older lobbies still watched (knocks there to answer), by lobby relay room id. */
  oldLinks: { lobby: string; linkSecret: string }[];
}

/** An outbox entry: what I asked to send, and where the relay took it. */
export type OutboxIntent =
  | { k: 'leave' }
  | { k: 'group'; payload: AppPayload; itemId?: string }
  | { k: 'direct'; to: string; payload: AppPayload; itemId?: string }
  /** A file manifest or digest trailer (binary content kinds), base64url. */
  | { k: 'group-bytes'; content: 'file-manifest' | 'file-digest'; bytes: string };

export interface OutboxEntry {
  seq: number;
  intent: OutboxIntent;
}

/** One of my envelopes the relay acknowledged in an epoch room (resend-after-commit.ts). */
export interface SentEntry {
  seq: number;
  epoch: number;
  cursor: number;
  intent: OutboxIntent;
}

export interface StoredItem {
  seq: number;
  item: TimelineItem;
}

/** A fresh record: knocking (joining by link) or, for the creator, a member already. */
export function newRoomRecord(options: { id: string; relayUrl: string; appUrl: string; name: string; now: number }): RoomRecord {
  return {
    v: ROOM_RECORD_VERSION,
    id: options.id,
    relayUrl: options.relayUrl,
    appUrl: options.appUrl,
    name: options.name,
    status: 'knocking',
    removedBy: null,
    joinedAt: options.now,
    lastActivityAt: options.now,
    disappearingMs: null,
    epochRoom: null,
    previousRoom: null,
    lobbies: [],
    knock: null,
    handledKnocks: [],
    pendingKnocks: [],
    pendingLeaves: [],
    commitIntents: [],
    outboundKey: null,
    mustRotate: false,
    distributedTo: [],
    ring: { v: 1, keys: [] },
    verified: [],
    formerlyVerified: [],
    seen: [],
    seenControl: [],
    staleNoted: [],
    formerLinks: [],
    memberSince: {},
    nextItemSeq: 1,
    nextOutboxSeq: 1,
    nextSentSeq: 1,
  };
}

export function newLogRecord(): LogRecord {
  return {
    v: ROOM_RECORD_VERSION,
    entries: [],
    state: null,
    previousState: null,
    secrets: null,
    epochSecret: null,
    previousEpochSecret: null,
    linkSecret: null,
    oldLinks: [],
  };
}
