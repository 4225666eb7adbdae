/**
 * A room's exactly-once memory (PROTOCOL C.7 step 6): the de-duplication keys of what it
 * already showed or applied. The keys live in the room record, so the memory survives
 * reconnects, relay restarts and reloads.
 */
import type { RoomRecord } from './records.js';

/**
 * De-duplication keys remembered per room for exactly-once display: several catch-up pages'
 * worth, while keeping the room record (rewritten as envelopes arrive) small. Leave proposals
 * and direct messages get the same number again, of their own (see `remember`).
 */
export const MAX_SEEN_IDS = 5_000;
/** De-duplication key prefix of leave proposals (by envelope message id). */
const LEAVE_SEEN_PREFIX = 'leave/';

/** The key of a leave proposal, by its envelope message id (b64). */
export const leaveSeenKey = (messageId: string): string => `${LEAVE_SEEN_PREFIX}${messageId}`;
/** The key of a text or a file offer: the sender's identity id and the application or file id. */
export const itemSeenKey = (senderIdentityId: string, id: string): string => `${senderIdentityId}/${id}`;

/** The part of the room record the memory is kept in. */
export type SeenState = Pick<RoomRecord, 'seen' | 'seenControl'>;

export class SeenIds {
  private readonly keys: Set<string>;

  constructor(private readonly state: SeenState) {
    this.keys = new Set([...state.seen, ...state.seenControl]);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /**
   * `windowless`: the envelope type has no replay window in the protocol (leave proposals,
   * direct messages), so this key is all that stops a replay. Those keys are kept in a list
   * of their own, which a long run of group texts cannot push out: replayed after that, an
   * old direct message (expired from the timeline) would show again. (Membership itself needs
   * no such memory: the log orders commits, and an old one is `STALE_COMMIT`.)
   */
  remember(key: string, windowless = false): void {
    const list = windowless ? this.state.seenControl : this.state.seen;
    this.keys.add(key);
    list.push(key);
    if (list.length > MAX_SEEN_IDS) {
      const dropped = list.splice(0, list.length - MAX_SEEN_IDS);
      for (const old of dropped) this.keys.delete(old);
    }
  }
}
