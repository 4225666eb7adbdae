/**
 * Sending again what landed after a commit (PROTOCOL B.14.5). An envelope of mine that the
 * relay acknowledged in epoch n's relay room at a cursor after the commit ending epoch n was
 * sealed before I saw that commit: every other member refuses it (`STALE_EPOCH`). So I keep
 * what I sent in the current epoch — sealed at rest, under its own keys — until the epoch
 * ends, and when the commit arrives at cursor c I queue everything acknowledged after c
 * again, same application ids (receivers de-duplicate). No in-flight allowance is needed.
 */
import { rewriteIntent, type TextRewrite } from './intent-rewrite.js';
import { sentPrefix, seqKey, type OutboxIntent, type RoomRecord, type SentEntry } from './records.js';
import type { Vault } from './vault.js';

/**
 * Most envelopes remembered per epoch. A commit lands at most moments after what I sent
 * while I had not seen it; older sends are long before any commit I could have missed.
 */
export const MAX_SENT_REMEMBERED = 500;

/** The part of the room record that numbers sent entries. */
export type SentLogState = Pick<RoomRecord, 'id' | 'nextSentSeq'>;

export class SentLog {
  private constructor(
    private readonly vault: Vault,
    private readonly state: SentLogState,
    private entries: SentEntry[],
  ) {}

  static async load(vault: Vault, state: SentLogState): Promise<SentLog> {
    const stored = await Promise.all((await vault.keys(sentPrefix(state.id))).map((key) => vault.get<SentEntry>(key)));
    const entries = stored.filter((entry): entry is SentEntry => entry !== undefined).sort((a, b) => a.seq - b.seq);
    return new SentLog(vault, state, entries);
  }

  /** The relay acknowledged `intent` at `cursor` in epoch `epoch`'s room. */
  record(epoch: number, cursor: number, intent: OutboxIntent): void {
    const entry: SentEntry = { seq: this.state.nextSentSeq++, epoch, cursor, intent };
    this.entries.push(entry);
    void this.vault.set(this.key(entry.seq), entry).catch(() => undefined);
    const ofEpoch = this.entries.filter((e) => e.epoch === epoch);
    if (ofEpoch.length > MAX_SENT_REMEMBERED) this.forget(ofEpoch.slice(0, ofEpoch.length - MAX_SENT_REMEMBERED));
  }

  /**
   * Epoch `epoch` ended with a commit at `commitCursor`: returns what I sent after it (to be
   * sent again in the next epoch) and forgets everything of that epoch and before.
   */
  ended(epoch: number, commitCursor: number): OutboxIntent[] {
    const stale = this.entries.filter((e) => e.epoch === epoch && e.cursor > commitCursor);
    this.forget(this.entries.filter((e) => e.epoch <= epoch));
    return stale.sort((a, b) => a.cursor - b.cursor).map((e) => e.intent);
  }

  /** My message `itemId` was edited or deleted: what I would send again says so (intent-rewrite.ts). */
  rewriteText(itemId: string, rewrite: TextRewrite): void {
    const gone: SentEntry[] = [];
    for (const entry of this.entries) {
      const next = rewriteIntent(entry.intent, itemId, rewrite);
      if (next === entry.intent) continue;
      if (next === null) {
        gone.push(entry);
        continue;
      }
      entry.intent = next;
      void this.vault.set(this.key(entry.seq), entry).catch(() => undefined);
    }
    this.forget(gone);
  }

  /** I left or was removed: nothing will be sent again. */
  clear(): void {
    this.forget(this.entries);
  }

  private forget(gone: readonly SentEntry[]): void {
    if (gone.length === 0) return;
    const set = new Set(gone);
    this.entries = this.entries.filter((e) => !set.has(e));
    for (const entry of gone) void this.vault.delete(this.key(entry.seq)).catch(() => undefined);
  }

  private key(seq: number): string {
    return seqKey(sentPrefix(this.state.id), seq);
  }
}
