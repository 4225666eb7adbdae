/**
 * The cursor-order rules on their own (cursor-order.ts): whatever order and duplication live
 * envelopes arrive in, and whatever holes a history answer reports or leaves, a room is
 * handed every envelope once, in cursor order, with a gap exactly where envelopes are gone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CursorOrder } from '../src/cursor-order.js';

type Out = number | `gap ${number}-${number}`;

function recorder(frontier = 0): { order: CursorOrder; out: Out[] } {
  const out: Out[] = [];
  const order = new CursorOrder(frontier, {
    envelope: (cursor, envelope) => {
      expect(envelope[0]).toBe(cursor % 256);
      out.push(cursor);
    },
    gap: (after, upTo) => out.push(`gap ${after}-${upTo}`),
  });
  return { order, out };
}
const bytes = (cursor: number) => new Uint8Array([cursor % 256]);

describe('cursor order', () => {
  it('hands over contiguous cursors at once and holds what comes past a hole', () => {
    const { order, out } = recorder(4);
    order.accept(5, bytes(5), true);
    order.accept(7, bytes(7), true);
    expect(out).toEqual([5]);
    expect(order.hasHole()).toBe(true);
    expect(order.frontier).toBe(5);
    order.accept(6, bytes(6), false);
    expect(out).toEqual([5, 6, 7]);
    expect(order.hasHole()).toBe(false);
    // Duplicates and what is at or below the frontier are dropped.
    order.accept(6, bytes(6), true);
    order.accept(1, bytes(1), false);
    expect(out).toEqual([5, 6, 7]);
  });

  it('fills my own cursor from its ACK without handing anything over', () => {
    const { order, out } = recorder();
    order.accept(1, bytes(1), true);
    order.accept(3, bytes(3), true);
    order.own(2);
    expect(out).toEqual([1, 3]);
    expect(order.frontier).toBe(3);
    // The same cursor coming back in a history answer is not handed over either.
    order.accept(2, bytes(2), false);
    expect(out).toEqual([1, 3]);
  });

  it('hands a gap over after the pinned envelopes inside it and before what follows', () => {
    const { order, out } = recorder(1);
    order.accept(9, bytes(9), true);
    order.gap(1, 6);
    order.accept(3, bytes(3), false);
    order.accept(5, bytes(5), false);
    expect(out).toEqual([3, 5]);
    order.accept(7, bytes(7), false);
    expect(out).toEqual([3, 5, 'gap 1-6', 7]);
    order.accept(8, bytes(8), false);
    expect(out).toEqual([3, 5, 'gap 1-6', 7, 8, 9]);
  });

  it('a gap at the end of the answer, and one already behind the frontier', () => {
    const { order, out } = recorder(2);
    order.gap(0, 2);
    order.gap(2, 4);
    order.accept(3, bytes(3), false);
    order.historyEnd(4);
    expect(out).toEqual([3, 'gap 2-4']);
    expect(order.frontier).toBe(4);
  });

  it('reports what the relay withheld up to its head as a gap; past its head it stays a hole', () => {
    const { order, out } = recorder();
    order.accept(2, bytes(2), false);
    order.accept(9, bytes(9), true);
    order.historyEnd(5);
    expect(out).toEqual(['gap 0-1', 2, 'gap 2-5']);
    expect(order.hasHole()).toBe(true);
    order.historyEnd(9);
    expect(out).toEqual(['gap 0-1', 2, 'gap 2-5', 'gap 5-8', 9]);
  });

  it('hands over 1..n exactly once, in order, whatever the live order, duplicates and history pages (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            live: fc.array(fc.integer({ min: 1, max: n }), { maxLength: 3 * n }),
            own: fc.subarray(Array.from({ length: n }, (_, i) => i + 1)),
            page: fc.integer({ min: 1, max: 10 }),
          }),
        ),
        ({ n, live, own, page }) => {
          const { order, out } = recorder();
          const mine = new Set(own);
          for (const cursor of live) if (!mine.has(cursor)) order.accept(cursor, bytes(cursor), true);
          for (const cursor of own) order.own(cursor);
          // A correct relay's catch-up: pages of history after the frontier until the head.
          let after = order.frontier;
          while (after < n) {
            const last = Math.min(n, after + page);
            for (let cursor = after + 1; cursor <= last; cursor += 1) order.accept(cursor, bytes(cursor), false);
            after = last;
          }
          order.historyEnd(n);
          expect(out).toEqual(Array.from({ length: n }, (_, i) => i + 1).filter((cursor) => !mine.has(cursor)));
          expect(order.frontier).toBe(n);
          expect(order.hasHole()).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('with trimming, hands over what is kept once, in order, and covers the rest with gaps (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            trimmedUpTo: fc.integer({ min: 0, max: n }),
            pinned: fc.subarray(Array.from({ length: n }, (_, i) => i + 1)),
            live: fc.array(fc.integer({ min: 1, max: n }), { maxLength: n }),
          }),
        ),
        ({ n, trimmedUpTo, pinned, live }) => {
          const { order, out } = recorder();
          for (const cursor of live) order.accept(cursor, bytes(cursor), true);
          // The relay's answer: the gap first, then pinned and retained envelopes in cursor order.
          if (trimmedUpTo > 0) order.gap(0, trimmedUpTo);
          const kept = new Set(pinned);
          for (let cursor = 1; cursor <= n; cursor += 1) if (cursor > trimmedUpTo || kept.has(cursor)) order.accept(cursor, bytes(cursor), false);
          order.historyEnd(n);
          const handed = out.filter((item): item is number => typeof item === 'number');
          // Strictly increasing, and everything kept or delivered live is there.
          expect(handed).toEqual([...new Set(handed)].sort((a, b) => a - b));
          for (let cursor = 1; cursor <= n; cursor += 1) {
            if (cursor > trimmedUpTo || kept.has(cursor)) expect(handed).toContain(cursor);
          }
          // Every cursor is handed over or inside a gap handed over after everything before it.
          const gaps = out.filter((item): item is `gap ${number}-${number}` => typeof item === 'string');
          const covered = (cursor: number) => gaps.some((g) => Number(g.split(/[ -]/)[1]) < cursor && cursor <= Number(g.split(/[ -]/)[2]));
          for (let cursor = 1; cursor <= n; cursor += 1) expect(handed.includes(cursor) || covered(cursor)).toBe(true);
          expect(order.frontier).toBe(n);
        },
      ),
      { numRuns: 300 },
    );
  });
});
