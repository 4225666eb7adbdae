/**
 * The types of the log state (PROTOCOL.md B.6, B.8): plain JSON data a client persists as
 * is. log-state.ts computes them; the openers read them.
 */
import type { AddVia, Role } from './constants-v2.js';
import type { PublicIdentityJson } from './identity.js';
import type { LinkPolicy } from './log-actions.js';

/** One member in the log state. */
export interface RosterMember {
  /** Identity id, base64url. */
  id: string;
  identity: PublicIdentityJson;
  role: Role;
  /** Epoch whose entry made this membership begin (0 for the creator). */
  joinedAt: number;
}

/** What the entry that started an epoch fixed: its hash and the membership hash it carries. */
export interface EpochRecord {
  head: string;
  membershipHash: string;
}

/** A room's state after entries 0..epoch. Plain JSON data. */
export interface LogState {
  v: 2;
  /** Room id (SHA-256 of the genesis), base64url. */
  roomId: string;
  epoch: number;
  /** Identity id of the creator (the genesis author), base64url. */
  creator: string;
  /** Room name from the genesis (untrusted text: never render as HTML). */
  name: string;
  /** Disappearing-message timer in seconds; 0 = off. */
  timerSeconds: number;
  link: LinkPolicy;
  /** Epoch whose entry made the current link secret (0: the creator's). */
  linkEpoch: number;
  /** Members sorted by identity id bytewise. */
  members: RosterMember[];
  /** Identity ids removed by an admin (not departures), in log order, each once. */
  removed: string[];
  /** `epochs[n]` for n = 0..epoch. */
  epochs: EpochRecord[];
}

/** What an entry did, for the timeline ("Alice removed Mallory; the invite link was reset"). */
export type LogChange =
  | { kind: 'genesis'; by: string }
  | { kind: 'add'; by: string; member: string; via: AddVia }
  | { kind: 'remove'; by: string; member: string; left: boolean }
  | { kind: 'role'; by: string; member: string; role: Role }
  | { kind: 'settings'; by: string; timerSeconds: number }
  | { kind: 'link'; by: string; policy: LinkPolicy };
