import { describe, expect, it } from 'vitest';
import { receiptSummary } from './receipts.js';

const NAMES: Record<string, string> = { b: 'Bob', c: 'Carol', d: 'Dave', e: 'Erin' };
const nameOf = (id: string) => NAMES[id] ?? 'a former member';

describe('receiptSummary', () => {
  it('✓ while not everyone has it, with the count', () => {
    expect(receiptSummary({ audience: ['b', 'c'], delivered: ['b'], read: [] }, true, nameOf)).toEqual({
      level: 'sent',
      text: 'Sent; delivered to 1 of 2',
      delivered: 1,
      read: 0,
      total: 2,
    });
  });

  it('✓✓ delivered to all, then read, naming the readers', () => {
    expect(receiptSummary({ audience: ['b', 'c'], delivered: ['b', 'c'], read: ['c'] }, true, nameOf)).toMatchObject({
      level: 'delivered',
      text: 'Sent; delivered to 2 of 2, read by Carol',
    });
    expect(receiptSummary({ audience: ['b', 'c'], delivered: ['b', 'c'], read: ['c', 'b'] }, true, nameOf)).toMatchObject({
      level: 'read',
      text: 'Sent; delivered to 2 of 2, read by Carol and Bob',
    });
  });

  it('counts readers past three instead of naming them', () => {
    const all = ['b', 'c', 'd', 'e'];
    expect(receiptSummary({ audience: all, delivered: all, read: all }, true, nameOf).text).toBe('Sent; delivered to 4 of 4, read by 4 members');
    expect(receiptSummary({ audience: all, delivered: all, read: all.slice(0, 3) }, true, nameOf).text).toBe(
      'Sent; delivered to 4 of 4, read by Bob, Carol and Dave',
    );
  });

  it('with my read receipts off, shows nobody as read (Signal’s rule)', () => {
    expect(receiptSummary({ audience: ['b', 'c'], delivered: ['b', 'c'], read: ['c', 'b'] }, false, nameOf)).toMatchObject({
      level: 'delivered',
      text: 'Sent; delivered to 2 of 2',
      read: 0,
    });
  });
});
