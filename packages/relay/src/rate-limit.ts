import type { RoomKey } from './store.js';
import { roomField, type Json } from './validation.js';
import { PUBLISH_HEADER_BYTES, PUBLISH_ID_OFFSET, PUBLISH_ROOM_OFFSET } from './wire.js';
import { SECOND_MS } from '@sealroom/units';

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
      this.messages = Math.min(budget.messageBurst, this.messages + (elapsed * budget.messagesPerSecond) / SECOND_MS);
      this.bytes = Math.min(budget.byteBurst, this.bytes + (elapsed * budget.bytesPerSecond) / SECOND_MS);
      this.lastMs = nowMs;
    }
    if (this.messages < 1 || this.bytes < size) return false;
    this.messages -= 1;
    this.bytes -= size;
    return true;
  }

  /** Milliseconds until a message of `size` bytes would be taken (as of the last `take`; 0 if it would be now). */
  msUntilAllowed(budget: RateBudget, size: number): number {
    const messagesMs = this.messages >= 1 ? 0 : ((1 - this.messages) * SECOND_MS) / budget.messagesPerSecond;
    const bytesMs = this.bytes >= size ? 0 : ((Math.min(size, budget.byteBurst) - this.bytes) * SECOND_MS) / budget.bytesPerSecond;
    return Math.max(messagesMs, bytesMs);
  }
}

/**
 * The room (and PUBLISH id) of a message refused as RATE_LIMITED, when it can be read,
 * so the client knows which publish or history request to send again later.
 */
export function refusedRequest(data: Buffer, isBinary: boolean, maxControlBytes: number): { room?: RoomKey; id?: number } {
  if (isBinary) {
    if (data.length < PUBLISH_HEADER_BYTES) return {};
    return { id: data.readUInt32BE(PUBLISH_ID_OFFSET), room: data.toString('base64url', PUBLISH_ROOM_OFFSET, PUBLISH_HEADER_BYTES) };
  }
  if (data.length > maxControlBytes) return {};
  try {
    const message: unknown = JSON.parse(data.toString('utf8'));
    if (message !== null && typeof message === 'object') return { room: roomField(message as Json) };
  } catch {
    // Not JSON: no room to name.
  }
  return {};
}
