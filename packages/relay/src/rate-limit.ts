/**
 * Two token buckets (messages and bytes) refilled lazily from the clock on each
 * message: no timer per connection, a few numbers of state.
 */
export interface RateBudget {
  messagesPerSecond: number;
  messageBurst: number;
  bytesPerSecond: number;
  byteBurst: number;
}

const MS_PER_SECOND = 1000;

export class TokenBuckets {
  private messages: number;
  private bytes: number;
  private lastMs: number;

  constructor(budget: RateBudget, nowMs: number) {
    this.messages = budget.messageBurst;
    this.bytes = budget.byteBurst;
    this.lastMs = nowMs;
  }

  /** Takes one message of `size` bytes; false (and nothing taken) when over budget. */
  take(budget: RateBudget, size: number, nowMs: number): boolean {
    const elapsed = nowMs - this.lastMs;
    if (elapsed > 0) {
      this.messages = Math.min(budget.messageBurst, this.messages + (elapsed * budget.messagesPerSecond) / MS_PER_SECOND);
      this.bytes = Math.min(budget.byteBurst, this.bytes + (elapsed * budget.bytesPerSecond) / MS_PER_SECOND);
      this.lastMs = nowMs;
    }
    if (this.messages < 1 || this.bytes < size) return false;
    this.messages -= 1;
    this.bytes -= size;
    return true;
  }
}
