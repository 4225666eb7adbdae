// The load test's bookkeeping: what counts as lost, duplicated and reordered.
import { describe, expect, it } from 'vitest';
import { DeliveryTally, TAG_BYTES, readTag, writeTag } from '../src/hardening/tally.js';

const tag = (sender: number, seq: number) => ({ sentNs: 1n, sender, seq });

describe('DeliveryTally', () => {
  it('counts a clean run: every acknowledged envelope once to every other member, in cursor order', () => {
    const tally = new DeliveryTally(4, 2, 2); // rooms {0,1} and {2,3}
    for (const sender of [0, 1, 2, 3]) for (const seq of [0, 1]) tally.onAck(sender, seq);
    let cursor = 0;
    for (const seq of [0, 1]) tally.onDelivery(1, ++cursor, tag(0, seq));
    for (const seq of [0, 1]) tally.onDelivery(0, ++cursor, tag(1, seq));
    for (const seq of [0, 1]) tally.onDelivery(3, ++cursor, tag(2, seq));
    for (const seq of [0, 1]) tally.onDelivery(2, ++cursor, tag(3, seq));
    expect(tally.expected()).toBe(8);
    expect(tally.figures()).toEqual({ sent: 8, delivered: 8, lost: 0, duplicated: 0, reordered: 0, foreign: 0 });
  });

  it('counts a missing delivery as lost, a repeated one as duplicated, a falling cursor as reordered', () => {
    const tally = new DeliveryTally(3, 3, 3);
    for (const seq of [0, 1, 2]) tally.onAck(0, seq);
    tally.onDelivery(1, 5, tag(0, 1));
    tally.onDelivery(1, 4, tag(0, 0)); // below 5: reordered
    tally.onDelivery(1, 6, tag(0, 0)); // again: duplicated
    tally.onDelivery(2, 4, tag(0, 0));
    // Client 1 lacks seq 2, client 2 lacks seq 1 and 2.
    expect(tally.figures()).toEqual({ sent: 3, delivered: 3, lost: 3, duplicated: 1, reordered: 1, foreign: 0 });
  });

  it('does not owe what was never acknowledged, and sets apart deliveries that are not the test’s', () => {
    const tally = new DeliveryTally(4, 2, 2);
    tally.onAck(0, 1); // seq 0 was refused
    tally.onDelivery(1, 1, tag(0, 1));
    tally.onDelivery(1, 2, tag(2, 0)); // another room's sender
    tally.onDelivery(1, 3, tag(1, 0)); // its own envelope
    tally.onDelivery(1, 4, undefined); // no tag
    expect(tally.expected()).toBe(1);
    expect(tally.figures()).toEqual({ sent: 1, delivered: 1, lost: 0, duplicated: 0, reordered: 0, foreign: 3 });
  });

  it('writes and reads the envelope tag byte-exact', () => {
    const envelope = new Uint8Array(TAG_BYTES + 1);
    writeTag(envelope, { sentNs: 0x0102030405060708n, sender: 0x0a0b0c0d, seq: 0xfffffffe });
    expect(Buffer.from(envelope).toString('hex')).toBe('0102030405060708' + '0a0b0c0d' + 'fffffffe' + '00');
    expect(readTag(envelope)).toEqual({ sentNs: 0x0102030405060708n, sender: 0x0a0b0c0d, seq: 0xfffffffe });
    expect(readTag(envelope.subarray(0, TAG_BYTES - 1))).toBeUndefined();
  });
});
