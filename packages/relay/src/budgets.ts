/**
 * Budgets for what an unauthenticated client can make the relay do (DESIGN.md §4,
 * docs/PROTOCOL.md A.7): catch-up output per connection and per address, and room
 * registrations per address. Each is a token bucket refilled lazily from the clock: no
 * timer per connection, a few numbers of state, and per-address buckets only for addresses
 * that spent something recently.
 */
import { MINUTE_S, SECOND_MS } from '@sealroom/units';
import type { RelayLimits } from './options.js';

/** A bucket's refill rate (tokens per second) and its size. */
export interface BucketRate {
  readonly perSecond: number;
  readonly burst: number;
}

/** One token bucket. Its level may go below zero: a spend larger than what was left is a debt. */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(rate: BucketRate, nowMs: number) {
    this.tokens = rate.burst;
    this.lastMs = nowMs;
  }

  /** Tokens now, after refilling. */
  level(rate: BucketRate, nowMs: number): number {
    const elapsed = nowMs - this.lastMs;
    if (elapsed > 0) {
      this.tokens = Math.min(rate.burst, this.tokens + (elapsed * rate.perSecond) / SECOND_MS);
      this.lastMs = nowMs;
    }
    return this.tokens;
  }

  spend(tokens: number): void {
    this.tokens -= tokens;
  }

  /** Milliseconds until the level reaches `target` (0 when it has). */
  msUntil(rate: BucketRate, target: number, nowMs: number): number {
    const missing = Math.min(target, rate.burst) - this.level(rate, nowMs);
    return missing <= 0 ? 0 : Math.ceil((missing * SECOND_MS) / rate.perSecond);
  }
}

/**
 * A bucket per address (IPv6: per /64, client-address.ts). A bucket that has refilled to
 * its burst is the same as none, so `prune` lets it go: memory follows the addresses that
 * spent something lately, and closing every connection does not reset a budget.
 */
export class AddressBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(readonly rate: BucketRate) {}

  get(address: string, nowMs: number): TokenBucket {
    let bucket = this.buckets.get(address);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.rate, nowMs);
      this.buckets.set(address, bucket);
    }
    return bucket;
  }

  prune(nowMs: number): void {
    for (const [address, bucket] of this.buckets) if (bucket.level(this.rate, nowMs) >= this.rate.burst) this.buckets.delete(address);
  }

  get size(): number {
    return this.buckets.size;
  }
}

/**
 * A catch-up request is answered when each budget holds this much of its rate (or its
 * whole burst, if smaller), so every answer is a useful one rather than a drip of one
 * envelope per refill; a refused request is told how long until then.
 */
const MIN_GRANT_MS = 250;

/** What a connection owes the catch-up budget: its own bucket (made on first use). */
export interface HistorySpender {
  readonly address: string;
  historyBucket: TokenBucket | undefined;
}

/** A catch-up answer may send this many bytes; or it must wait `retryAfterMs`. */
export type HistoryGrant = { readonly ok: true; readonly bytes: number } | { readonly ok: false; readonly retryAfterMs: number };

function minGrant(rate: BucketRate): number {
  return Math.min(rate.burst, (rate.perSecond * MIN_GRANT_MS) / SECOND_MS);
}

/** Catch-up output: bytes per second per connection and per address. */
export class HistoryBudget {
  private readonly connectionRate: BucketRate;
  private readonly addresses: AddressBuckets;

  constructor(limits: Pick<RelayLimits, 'historyBytesPerSecond' | 'historyByteBurst' | 'historyBytesPerSecondPerAddress' | 'historyByteBurstPerAddress'>) {
    this.connectionRate = { perSecond: limits.historyBytesPerSecond, burst: limits.historyByteBurst };
    this.addresses = new AddressBuckets({ perSecond: limits.historyBytesPerSecondPerAddress, burst: limits.historyByteBurstPerAddress });
  }

  /**
   * What an answer may send now: the smaller of the two budgets, or how long to wait when
   * either is spent. Checked and spent in the same turn as the answer is sent, so answers
   * under way at once cannot all spend the same bytes.
   */
  check(conn: HistorySpender, nowMs: number): HistoryGrant {
    const own = (conn.historyBucket ??= new TokenBucket(this.connectionRate, nowMs));
    const shared = this.addresses.get(conn.address, nowMs);
    const ownLevel = own.level(this.connectionRate, nowMs);
    const sharedLevel = shared.level(this.addresses.rate, nowMs);
    const ownMin = minGrant(this.connectionRate);
    const sharedMin = minGrant(this.addresses.rate);
    if (ownLevel >= ownMin && sharedLevel >= sharedMin) return { ok: true, bytes: Math.min(ownLevel, sharedLevel) };
    const retryAfterMs = Math.max(1, own.msUntil(this.connectionRate, ownMin, nowMs), shared.msUntil(this.addresses.rate, sharedMin, nowMs));
    return { ok: false, retryAfterMs };
  }

  /** An answer sent `bytes` (more than `check` allowed when its one envelope was larger: a debt). */
  spend(conn: HistorySpender, bytes: number, nowMs: number): void {
    if (bytes === 0) return;
    conn.historyBucket?.spend(bytes);
    this.addresses.get(conn.address, nowMs).spend(bytes);
  }

  prune(nowMs: number): void {
    this.addresses.prune(nowMs);
  }
}

/** Room registrations per address. */
export class RegistrationBudget {
  private readonly addresses: AddressBuckets;

  constructor(limits: Pick<RelayLimits, 'registrationsPerMinute' | 'registrationBurst'>) {
    this.addresses = new AddressBuckets({ perSecond: limits.registrationsPerMinute / MINUTE_S, burst: limits.registrationBurst });
  }

  /** Takes one registration; or says how long until one is allowed. */
  take(address: string, nowMs: number): { ok: true } | { ok: false; retryAfterMs: number } {
    const bucket = this.addresses.get(address, nowMs);
    if (bucket.level(this.addresses.rate, nowMs) < 1) return { ok: false, retryAfterMs: Math.max(1, bucket.msUntil(this.addresses.rate, 1, nowMs)) };
    bucket.spend(1);
    return { ok: true };
  }

  prune(nowMs: number): void {
    this.addresses.prune(nowMs);
  }
}
