/**
 * A room's outbox (PROTOCOL C.5): what I asked to send, stored sealed at rest so it
 * survives reloads, sent in order one entry at a time while the room is ready, retried
 * after refusals that pass, and dropped (with a warning) when retrying cannot help.
 */
import { rewriteIntent, type TextRewrite } from './intent-rewrite.js';
import type { TaskLock } from './lock.js';
import type { Clock } from './platform.js';
import { outboxPrefix, seqKey, type OutboxEntry, type OutboxIntent, type RoomRecord } from './records.js';
import type { Persistence } from './room-persistence.js';
import { TransportError } from './transport-errors.js';
import type { Vault } from './vault.js';
import type { Warn } from './warnings.js';

/** Relay refusals (Part A.7) after which the same envelope can succeed later. */
const RETRYABLE_REFUSALS: ReadonlySet<string> = new Set(['RATE_LIMITED', 'UNAVAILABLE', 'NOT_JOINED']);
/** Wait before retrying a publish the relay refused for rate, ms. */
const RATE_LIMIT_RETRY_MS = 1_000;

/** The part of the room record that numbers outbox entries. */
export type OutboxState = Pick<RoomRecord, 'id' | 'nextOutboxSeq'>;

/** What the outbox needs from its room. */
export interface OutboxPort {
  readonly persistence: Persistence;
  /**
   * Entries may go out: I am a member, the current epoch's relay room is ready, and no
   * membership change holds group sends back (a commit of mine or a leave in flight).
   */
  canSend(): boolean;
  /**
   * Seals what an intent says under the current epoch and publishes it; `ack` resolves with
   * the cursor once the relay acknowledged it. Caller holds the lock. Throws a
   * TransportError when it can never be sent.
   */
  send(intent: OutboxIntent): Promise<{ ack: Promise<number>; epoch: number }>;
  /** The relay acknowledged an intent at `cursor` of the given epoch's room. Caller holds the lock. */
  delivered(intent: OutboxIntent, cursor: number, epoch: number): Promise<void>;
  warn: Warn;
}

export interface OutboxDeps {
  vault: Vault;
  clock: Clock;
  lock: TaskLock;
  port: OutboxPort;
}

export class Outbox {
  private flushing = false;

  private constructor(
    private readonly deps: OutboxDeps,
    private readonly state: OutboxState,
    private entries: OutboxEntry[],
  ) {}

  /** The stored outbox of a room, oldest first. */
  static async load(deps: OutboxDeps, state: OutboxState): Promise<Outbox> {
    const stored = await Promise.all((await deps.vault.keys(outboxPrefix(state.id))).map((key) => deps.vault.get<OutboxEntry>(key)));
    const entries = stored.filter((entry): entry is OutboxEntry => entry !== undefined).sort((a, b) => a.seq - b.seq);
    return new Outbox(deps, state, entries);
  }

  /** Persists an intent in the outbox, then tries to send. */
  async queue(intent: OutboxIntent): Promise<void> {
    await this.deps.lock.run(() => this.queueLocked(intent));
    void this.flush();
  }

  /** {@link queue} for a caller that holds the lock. */
  async queueLocked(intent: OutboxIntent): Promise<void> {
    const seq = this.state.nextOutboxSeq++;
    const entry: OutboxEntry = { seq, intent };
    await this.deps.port.persistence.persist();
    await this.deps.vault.set(this.key(seq), entry);
    this.entries.push(entry);
    if (!this.flushing) void Promise.resolve().then(() => this.flush());
  }

  /** Whether anything waits to be sent. */
  get pending(): number {
    return this.entries.length;
  }

  /**
   * My message `itemId` was edited or deleted before it left: it leaves with the new words,
   * or not at all (intent-rewrite.ts). Caller holds the lock.
   */
  async rewriteText(itemId: string, rewrite: TextRewrite): Promise<void> {
    const kept: OutboxEntry[] = [];
    for (const entry of this.entries) {
      const next = rewriteIntent(entry.intent, itemId, rewrite);
      if (next === entry.intent) {
        kept.push(entry);
      } else if (next === null) {
        await this.deps.vault.delete(this.key(entry.seq));
      } else {
        entry.intent = next;
        kept.push(entry);
        await this.deps.vault.set(this.key(entry.seq), entry);
      }
    }
    this.entries = kept;
  }

  /** Forgets every queued entry (I left or was removed). Caller holds the lock. */
  async clear(): Promise<void> {
    const entries = this.entries;
    this.entries = [];
    await Promise.all(entries.map((entry) => this.deps.vault.delete(this.key(entry.seq))));
  }

  /** Sends the outbox in order, one entry at a time, while the room is ready. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    const { port, clock } = this.deps;
    try {
      for (;;) {
        if (!port.canSend()) return;
        const entry = this.entries[0];
        if (entry === undefined) return;
        try {
          await this.send(entry);
        } catch (error) {
          // Refusals that pass: the rate bucket refills, a store outage ends, a room the
          // relay forgot is joined again on reconnect.
          if (error instanceof TransportError && RETRYABLE_REFUSALS.has(error.code)) {
            await new Promise<void>((resolve) => clock.setTimeout(resolve, RATE_LIMIT_RETRY_MS));
            continue;
          }
          if (error instanceof TransportError && (error.code === 'NOT_CONNECTED' || error.code === 'DISCONNECTED')) return;
          // Anything else cannot succeed by retrying (too large, refused): drop it, say so.
          port.warn('relay-error', null, error instanceof TransportError ? error.code : 'SEND_FAILED', 'a queued message could not be sent');
          await this.drop(entry.seq);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async send(entry: OutboxEntry): Promise<void> {
    const { lock, port } = this.deps;
    // The ack promise is boxed so the lock is released while the relay answers.
    const sent = await lock.run(() => port.send(entry.intent));
    const cursor = await sent.ack;
    await lock.run(async () => {
      await this.drop(entry.seq);
      await port.delivered(entry.intent, cursor, sent.epoch);
    });
  }

  private async drop(seq: number): Promise<void> {
    this.entries = this.entries.filter((entry) => entry.seq !== seq);
    await this.deps.vault.delete(this.key(seq));
  }

  private key(seq: number): string {
    return seqKey(outboxPrefix(this.state.id), seq);
  }
}
