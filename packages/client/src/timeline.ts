/**
 * A room's timeline on this device: the stored items (messages, file offers, system events)
 * in arrival order, their storage, and their deletion when the disappearing timer runs out
 * (PROTOCOL C.10).
 */
import type { FileMessage, HistoryOptions, SystemEvent, SystemItem, TextMessage, TimelineItem } from './api.js';
import type { EventHub } from './events.js';
import type { TaskLock } from './lock.js';
import type { Clock } from './platform.js';
import { seqKey, timelinePrefix, type RoomRecord, type StoredItem } from './records.js';
import type { Vault } from './vault.js';
import type { Warn } from './warnings.js';

/** Characters of my identity id in system item ids: enough to tell identities on one storage apart. */
const SYSTEM_ITEM_OWNER_CHARS = 8;

/** Fields the timeline sets itself when it stores an item. */
type Stamped = 'roomId' | 'receivedAt' | 'expiresAt';
export type NewText = Omit<TextMessage, Stamped>;
export type NewFile = Omit<FileMessage, Stamped>;
export type NewSystem = { kind: 'system'; event: SystemEvent };

/** The part of the room record the timeline numbers and dates its items with. */
export type TimelineState = Pick<RoomRecord, 'id' | 'nextItemSeq' | 'lastActivityAt' | 'disappearingMs'>;

/** What the other parts of a room do with its timeline. */
export interface TimelineWriter {
  add(partial: NewText): Promise<TextMessage>;
  add(partial: NewFile): Promise<FileMessage>;
  add(partial: NewSystem): Promise<SystemItem>;
  update(id: string, change: (item: TimelineItem) => TimelineItem): Promise<TimelineItem | undefined>;
}

export interface TimelineDeps {
  vault: Vault;
  events: EventHub;
  clock: Clock;
  lock: TaskLock;
  /** My identity id (system item ids start with a prefix of it). */
  ownerId: string;
  warn: Warn;
}

export class Timeline implements TimelineWriter {
  private readonly byId = new Map<string, StoredItem>();
  private expiryTimer: unknown;

  private constructor(
    private readonly deps: TimelineDeps,
    private readonly state: TimelineState,
    private items: StoredItem[],
  ) {
    for (const entry of items) this.byId.set(entry.item.id, entry);
  }

  /** The stored timeline of a room, oldest first. */
  static async load(deps: TimelineDeps, state: TimelineState): Promise<Timeline> {
    const keys = (await deps.vault.keys(timelinePrefix(state.id))).sort();
    const stored = await Promise.all(keys.map((key) => deps.vault.get<StoredItem>(key)));
    const items = stored.filter((entry): entry is StoredItem => entry !== undefined).sort((a, b) => a.seq - b.seq);
    return new Timeline(deps, state, items);
  }

  history(options: HistoryOptions = {}): TimelineItem[] {
    let list = this.items.map((entry) => entry.item);
    if (options.before !== undefined) {
      const index = list.findIndex((item) => item.id === options.before);
      if (index >= 0) list = list.slice(0, index);
    }
    if (options.limit !== undefined) list = list.slice(Math.max(0, list.length - options.limit));
    return list;
  }

  /** Stores a timeline item and emits `message`. Callers hold the lock. */
  add(partial: NewText): Promise<TextMessage>;
  add(partial: NewFile): Promise<FileMessage>;
  add(partial: NewSystem): Promise<SystemItem>;
  async add(partial: NewText | NewFile | NewSystem): Promise<TimelineItem> {
    // Idempotent by id: after a crash inside the persist window an envelope is processed
    // again and must not show twice.
    if (partial.kind !== 'system') {
      const existing = this.byId.get(partial.id);
      if (existing !== undefined) return existing.item;
    }
    const { clock, vault, events, ownerId } = this.deps;
    const now = clock.now();
    const seq = this.state.nextItemSeq++;
    const base = { roomId: this.state.id, receivedAt: now, expiresAt: this.state.disappearingMs === null ? null : now + this.state.disappearingMs };
    const item: TimelineItem =
      partial.kind === 'system'
        ? { ...base, kind: 'system', id: `sys/${ownerId.slice(0, SYSTEM_ITEM_OWNER_CHARS)}/${seq}`, sentAt: now, event: partial.event }
        : ({ ...partial, ...base } as TimelineItem);
    const stored: StoredItem = { seq, item };
    this.items.push(stored);
    this.byId.set(item.id, stored);
    this.state.lastActivityAt = now;
    // Not awaited: item writes pipeline (a catch-up of a thousand messages is not a thousand
    // storage round trips in a row). persist() waits for them before it records the cursor,
    // so a stored cursor never runs ahead of the stored timeline.
    this.writeInBackground(vault.set(seqKey(timelinePrefix(this.state.id), seq), stored));
    events.emit('message', { roomId: this.state.id, item });
    if (item.expiresAt !== null) this.scheduleExpiry();
    return item;
  }

  /** The stored item with this id, if any. */
  get(id: string): TimelineItem | undefined {
    return this.byId.get(id)?.item;
  }

  async update(id: string, change: (item: TimelineItem) => TimelineItem): Promise<TimelineItem | undefined> {
    const stored = this.byId.get(id);
    if (stored === undefined) return undefined;
    stored.item = change(stored.item);
    this.writeInBackground(this.deps.vault.set(seqKey(timelinePrefix(this.state.id), stored.seq), stored));
    return stored.item;
  }

  /** Arms the timer for the next item to expire, if any. */
  scheduleExpiry(): void {
    const { clock, lock } = this.deps;
    this.stopExpiry();
    const next = Math.min(...this.items.map((entry) => entry.item.expiresAt ?? Infinity));
    if (!Number.isFinite(next)) return;
    const delay = Math.max(0, next - clock.now());
    this.expiryTimer = clock.setTimeout(() => {
      this.expiryTimer = undefined;
      void lock.run(() => this.expire());
    }, delay);
  }

  stopExpiry(): void {
    if (this.expiryTimer !== undefined) this.deps.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  private async expire(): Promise<void> {
    const { clock, vault, events } = this.deps;
    const now = clock.now();
    const expired = this.items.filter((entry) => entry.item.expiresAt !== null && entry.item.expiresAt <= now);
    if (expired.length > 0) {
      const gone = new Set(expired);
      this.items = this.items.filter((entry) => !gone.has(entry));
      for (const entry of expired) this.byId.delete(entry.item.id);
      await Promise.all(expired.map((entry) => vault.delete(seqKey(timelinePrefix(this.state.id), entry.seq))));
      events.emit('expired', { roomId: this.state.id, ids: expired.map((entry) => entry.item.id) });
    }
    this.scheduleExpiry();
  }

  private writeInBackground(write: Promise<void>): void {
    write.catch(() => this.deps.warn('storage-error', null, 'STORAGE_WRITE_FAILED', 'a timeline item could not be stored'));
  }
}
