/**
 * When a room's record reaches storage. Receive-side changes are written once per burst;
 * anything that must survive a crash (a sender key, the chain advanced before an envelope
 * leaves) is written at once.
 */
import type { TaskLock } from './lock.js';
import type { Clock } from './platform.js';
import { roomKey, type RoomRecord } from './records.js';
import type { Vault } from './vault.js';

/**
 * Receive-side state is persisted at most this often, ms: one write per catch-up burst
 * instead of one per envelope. A crash inside the window rewinds the cursor a little; the
 * envelopes are processed again and de-duplicated against the stored timeline.
 */
const PERSIST_DEBOUNCE_MS = 200;

/** What the parts of a room need to store its record. */
export interface Persistence {
  /** Writes the record now, after every timeline write issued so far. Caller holds the lock. */
  persist(): Promise<void>;
  /** Writes the record within {@link PERSIST_DEBOUNCE_MS}, under the lock. */
  persistSoon(): void;
}

export class RoomPersistence implements Persistence {
  private timer: unknown;

  constructor(
    private readonly deps: { vault: Vault; clock: Clock; lock: TaskLock; record: RoomRecord; isDead(): boolean },
  ) {}

  async persist(): Promise<void> {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    // The cursor in the record must never run ahead of the timeline items it covers.
    await this.deps.vault.flush();
    await this.deps.vault.set(roomKey(this.deps.record.id), this.deps.record);
  }

  persistSoon(): void {
    if (this.timer !== undefined || this.deps.isDead()) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      void this.deps.lock.run(() => this.persist());
    }, PERSIST_DEBOUNCE_MS);
  }
}
