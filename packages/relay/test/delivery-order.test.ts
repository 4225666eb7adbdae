/**
 * DeliveryOrder, the pure core of cursor order across processes (PROTOCOL.md A.4): every
 * cursor released once, in order, whatever order they arrive in; holes known exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeliveryOrder } from '../src/delivery-order.js';

function recorder(start = 0): { order: DeliveryOrder<string>; released: [number, string][] } {
  const released: [number, string][] = [];
  return { order: new DeliveryOrder<string>(start, (cursor, item) => released.push([cursor, item])), released };
}

describe('DeliveryOrder', () => {
  it('releases the next cursor at once and holds one past a hole until the hole is filled', () => {
    const { order, released } = recorder(4);
    expect(order.arrive(5, 'a')).toBe(true);
    expect(released).toEqual([[5, 'a']]);
    expect(order.hasHole()).toBe(false);
    expect(order.arrive(7, 'c')).toBe(true);
    expect(released).toHaveLength(1);
    expect(order.hasHole()).toBe(true);
    expect(order.firstHeld()).toBe('c');
    expect(order.arrive(6, 'b')).toBe(true);
    expect(released).toEqual([
      [5, 'a'],
      [6, 'b'],
      [7, 'c'],
    ]);
    expect(order.hasHole()).toBe(false);
    expect(order.delivered).toBe(7);
  });

  it('refuses a cursor it settled or holds already, and one at or below where it started', () => {
    const { order, released } = recorder(10);
    expect(order.arrive(10, 'old')).toBe(false);
    expect(order.arrive(3, 'older')).toBe(false);
    expect(order.arrive(12, 'x')).toBe(true);
    expect(order.arrive(12, 'again')).toBe(false);
    expect(order.arrive(11, 'y')).toBe(true);
    expect(order.arrive(11, 'late copy')).toBe(false);
    expect(released).toEqual([
      [11, 'y'],
      [12, 'x'],
    ]);
  });

  it('knows of a hole the store announced before anything past it arrived', () => {
    const { order } = recorder(2);
    order.expect(5);
    expect(order.hasHole()).toBe(true);
    expect(order.firstHeld()).toBeUndefined();
    order.arrive(3, 'a');
    order.arrive(4, 'b');
    expect(order.hasHole()).toBe(true);
    order.arrive(5, 'c');
    expect(order.hasHole()).toBe(false);
    // An announcement of what is settled already changes nothing.
    order.expect(4);
    expect(order.hasHole()).toBe(false);
  });

  it('skips cursors reported gone, releasing in order what it held among them', () => {
    const { order, released } = recorder(0);
    order.arrive(3, 'pinned');
    order.arrive(6, 'six');
    order.skipTo(4);
    expect(released).toEqual([[3, 'pinned']]);
    expect(order.delivered).toBe(4);
    order.arrive(5, 'five');
    expect(released).toEqual([
      [3, 'pinned'],
      [5, 'five'],
      [6, 'six'],
    ]);
    order.skipTo(2);
    expect(order.delivered).toBe(6);
  });

  it('drops what it holds, in cursor order, when the incarnation ends', () => {
    const { order, released } = recorder(0);
    order.arrive(4, 'd');
    order.arrive(2, 'b');
    expect(order.drop()).toEqual(['b', 'd']);
    expect(order.hasHole()).toBe(false);
    expect(released).toEqual([]);
  });

  it('releases every cursor exactly once and in order, whatever the arrival order and duplicates', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }).chain((count) =>
          fc.tuple(
            fc.constant(count),
            fc.shuffledSubarray(
              [...Array(count).keys()].map((i) => i + 1),
              { minLength: count },
            ),
            fc.array(fc.integer({ min: 1, max: count })),
          ),
        ),
        ([count, arrivals, duplicates]) => {
          const { order, released } = recorder(0);
          for (const cursor of [...arrivals, ...duplicates]) order.arrive(cursor, `e${cursor}`);
          expect(released.map(([cursor]) => cursor)).toEqual([...Array(count).keys()].map((i) => i + 1));
          expect(order.hasHole()).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
