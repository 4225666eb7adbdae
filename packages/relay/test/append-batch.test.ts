import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppendBatcher, type BatchBackend, type PendingAppend } from '../src/redis/append-batch.js';

const LINGER_MS = 2;
/** MAX_BATCH_ENVELOPES in append-batch.ts. */
const FULL_BATCH = 512;

/** A backend that answers every group with epoch `e` and cursors 1, 2, 3… per room. */
function fakeBackend(): BatchBackend & { calls: number[] } {
  const heads = new Map<string, number>();
  const calls: number[] = [];
  return {
    calls,
    leadingArgs: () => [],
    stale: () => {},
    run: async ([batch]) => {
      // The batch layout (scripts.ts): u8 room length ‖ room ‖ u8 epoch length ‖ epoch ‖ u32 count ‖ entries.
      const bytes = batch as Buffer;
      const reply: (string | number)[] = [];
      let offset = 0;
      let envelopes = 0;
      while (offset < bytes.length) {
        const room = bytes.toString('latin1', offset + 1, offset + 1 + bytes[offset]!);
        offset += 1 + room.length;
        offset += 1 + bytes[offset]!;
        const count = bytes.readUInt32BE(offset);
        offset += 4;
        reply.push('e');
        for (let index = 0; index < count; index++) {
          offset += 5 + bytes.readUInt32BE(offset + 1);
          const head = (heads.get(room) ?? 0) + 1;
          heads.set(room, head);
          reply.push(head);
        }
        envelopes += count;
      }
      calls.push(envelopes);
      return reply;
    },
  };
}

function append(room: string, cursors: number[]): PendingAppend {
  return { room, envelope: new Uint8Array([1, 2, 3]), pinned: false, nowMs: 1, epoch: '', resolve: (cursor) => cursors.push(cursor), reject: () => {} };
}

describe('AppendBatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the appends of several turns within the linger as one call, cursors in order', async () => {
    const backend = fakeBackend();
    const batcher = new AppendBatcher(backend, LINGER_MS);
    const cursors: number[] = [];
    batcher.add(append('a', cursors));
    await vi.advanceTimersByTimeAsync(LINGER_MS - 1);
    expect(backend.calls).toEqual([]);
    batcher.add(append('a', cursors));
    batcher.add(append('b', cursors));
    await vi.advanceTimersByTimeAsync(1);
    expect(backend.calls).toEqual([3]);
    expect(cursors).toEqual([1, 2, 1]);
  });

  it('does not wait for the linger once a batch is full', async () => {
    const backend = fakeBackend();
    const batcher = new AppendBatcher(backend, 60_000);
    const cursors: number[] = [];
    for (let index = 0; index < FULL_BATCH + 1; index++) batcher.add(append('a', cursors));
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.calls).toEqual([FULL_BATCH]);
    // The one after the full batch waits for the linger.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(backend.calls).toEqual([FULL_BATCH, 1]);
    expect(cursors).toEqual(Array.from({ length: FULL_BATCH + 1 }, (_, index) => index + 1));
  });

  it('with no linger, sends at the end of the turn', async () => {
    const backend = fakeBackend();
    const batcher = new AppendBatcher(backend, 0);
    const cursors: number[] = [];
    batcher.add(append('a', cursors));
    batcher.add(append('a', cursors));
    expect(backend.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.calls).toEqual([2]);
    expect(cursors).toEqual([1, 2]);
  });
});
