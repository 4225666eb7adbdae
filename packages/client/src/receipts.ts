/**
 * Delivery and read receipts (PROTOCOL C.12). Each member tells the room, in one batched
 * group payload per {@link RECEIPT_BATCH_MS}, which messages of other members reached it
 * and which it has read, by their application ids. A receipt is a sealed group message like
 * any other, so it is authenticated per sender: it can only ever speak for the member who
 * signed it, and the sender of a message counts it only if that member was in the message's
 * audience. Ids of messages the receiver did not send (or never had) are ignored.
 *
 * Why lists of ids and not a high-water mark ("delivered up to cursor c"): a cursor passes
 * over what a member did not get — a retention gap, a message sealed under a key it never
 * received, a message sent again after a commit at a new cursor — and would report those
 * as delivered, the confusion receipts exist to end. Batching keeps the envelope count near
 * one per active member per interval, whatever the message rate.
 */
import type { MessageReceipts, TextMessage } from './api.js';
import type { EventHub } from './events.js';
import { MAX_RECEIPT_IDS, type AppPayload } from './payloads.js';
import type { Clock } from './platform.js';
import { itemSeenKey } from './seen-ids.js';
import type { TimelineWriter } from './timeline.js';

/**
 * How long receipts wait to be batched, ms: long enough that a busy room sends one receipt
 * per member per interval instead of one per message, short enough that ✓✓ feels live.
 */
export const RECEIPT_BATCH_MS = 1_000;
/**
 * Most received-but-unread message ids remembered for a later read receipt. A member away
 * for longer reports the newest ones read; the older were delivered, which is still true.
 */
export const MAX_UNREAD_TRACKED = 1_024;

export type ReceiptPayload = Extract<AppPayload, { t: 'receipt' }>;

/** The client-wide receipt setting, shared by every room (SealroomClient.setReadReceipts). */
export interface ReceiptSettings {
  readReceipts: boolean;
}

/** What receipts need from their room. */
export interface ReceiptsPort {
  readonly myId: string;
  readonly roomId: string;
  readonly clock: Clock;
  readonly events: EventHub;
  readonly settings: ReceiptSettings;
  readonly timeline: Pick<TimelineWriter, 'update'>;
  /** The members a message of mine reaches now: the other members, or the one recipient. */
  audience(directTo: string | null): string[];
  /** Group payloads may go out now. */
  canSend(): boolean;
  /** Seals and publishes one receipt payload (a group message; it takes the room lock itself). */
  send(payload: ReceiptPayload): Promise<unknown>;
}

export class Receipts {
  /** App ids (of other members' messages) to report delivered / read in the next batch. */
  private readonly toDeliver = new Set<string>();
  private readonly toRead = new Set<string>();
  /** Delivered, not yet read: reported read at the next markRead (oldest first). */
  private readonly unread = new Set<string>();
  private timer: unknown;
  private stopped = false;

  constructor(private readonly port: ReceiptsPort) {}

  /** A message of another member was stored (live or from catch-up). */
  received(appId: string): void {
    this.toDeliver.add(appId);
    this.unread.add(appId);
    if (this.unread.size > MAX_UNREAD_TRACKED) this.unread.delete(this.unread.values().next().value!);
    this.schedule();
  }

  /** The user has seen everything received so far. */
  markRead(): void {
    if (this.port.settings.readReceipts) {
      for (const id of this.unread) {
        this.toRead.add(id);
        this.toDeliver.delete(id); // read implies delivered
      }
    }
    this.unread.clear();
    this.schedule();
  }

  /** The relay took a message of mine: record who it was sealed for. Caller holds the lock. */
  async sent(itemId: string): Promise<void> {
    let changed: MessageReceipts | undefined;
    await this.port.timeline.update(itemId, (item) => {
      if (item.kind !== 'text' || item.sender !== this.port.myId) return item;
      const before = item.receipts ?? { audience: [], delivered: [], read: [] };
      // Sent again after a commit: the new epoch's members are added, none forgotten.
      const audience = [...new Set([...before.audience, ...this.port.audience(item.directTo)])];
      // Confirmations that overtook the acknowledgement count only from the audience.
      const counted = (ids: string[]) => ids.filter((id) => audience.includes(id));
      changed = { audience, delivered: counted(before.delivered), read: counted(before.read) };
      return { ...item, receipts: changed };
    });
    if (changed !== undefined) this.port.events.emit('receipt', { roomId: this.port.roomId, id: itemId, receipts: changed });
  }

  /** A receipt from `from` (the authenticated sender of the envelope). Caller holds the lock. */
  async onReceipt(payload: ReceiptPayload, from: string): Promise<void> {
    if (from === this.port.myId) return;
    // Signal's rule: with my read receipts off I do not see others' either.
    const read = this.port.settings.readReceipts ? new Set(payload.r) : new Set<string>();
    for (const appId of new Set([...payload.d, ...payload.r])) {
      const itemId = itemSeenKey(this.port.myId, appId);
      let changed: MessageReceipts | undefined;
      await this.port.timeline.update(itemId, (item) => {
        changed = undefined;
        if (item.kind !== 'text' || item.sender !== this.port.myId) return item;
        changed = confirm(item, from, read.has(appId));
        return changed === undefined ? item : { ...item, receipts: changed };
      });
      if (changed !== undefined) this.port.events.emit('receipt', { roomId: this.port.roomId, id: itemId, receipts: changed });
    }
  }

  /** Sends what is queued now (the batch timer, going offline). */
  async flush(): Promise<void> {
    this.clearTimer();
    if (this.stopped || (this.toDeliver.size === 0 && this.toRead.size === 0)) return;
    if (!this.port.canSend()) return this.schedule();
    const r = take(this.toRead);
    const d = take(this.toDeliver);
    try {
      await this.port.send({ t: 'receipt', ts: this.port.clock.now(), d, r });
    } catch {
      // Not connected or refused: they go with the next batch.
      for (const id of r) this.toRead.add(id);
      for (const id of d) this.toDeliver.add(id);
    }
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private schedule(): void {
    if (this.stopped || this.timer !== undefined || (this.toDeliver.size === 0 && this.toRead.size === 0)) return;
    this.timer = this.port.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, RECEIPT_BATCH_MS);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.port.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The receipts of `item` with `member`'s confirmation, or undefined when nothing changes. */
function confirm(item: TextMessage, member: string, read: boolean): MessageReceipts | undefined {
  // Still pending here (sent again after a reload, while catch-up brings the receipts of the
  // first copy): its audience is not known yet, so the confirmation is kept until sent()
  // learns it and drops any from outside it.
  const pending = item.state === 'pending';
  const receipts = item.receipts ?? (pending ? { audience: [], delivered: [], read: [] } : undefined);
  if (receipts === undefined || (!pending && !receipts.audience.includes(member))) return undefined;
  const delivered = receipts.delivered.includes(member) ? receipts.delivered : [...receipts.delivered, member];
  const readBy = !read || receipts.read.includes(member) ? receipts.read : [...receipts.read, member];
  if (delivered === receipts.delivered && readBy === receipts.read) return undefined;
  return { ...receipts, delivered, read: readBy };
}

/** Removes and returns up to {@link MAX_RECEIPT_IDS} ids, oldest first. */
function take(set: Set<string>): string[] {
  const out: string[] = [];
  for (const id of set) {
    if (out.length === MAX_RECEIPT_IDS) break;
    out.push(id);
  }
  for (const id of out) set.delete(id);
  return out;
}
