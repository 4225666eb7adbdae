import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { admissionProof, compareSafetyNumber, computeSafetyNumber, generateIdentity } from '../src/index.js';
import { makePeople, type Person } from './fixtures.js';

let alice: Person;
let bob: Person;
beforeAll(async () => {
  [alice, bob] = await makePeople(['Alice', 'Bob']);
});

describe('relay admission', () => {
  it('the admission MAC matches PROTOCOL.md A.3 and what the relay computes', async () => {
    const admissionKey = new Uint8Array(32).fill(1);
    const relayRoomId = new Uint8Array(32).fill(3);
    const nonce = new Uint8Array(32).fill(9);
    const mac = await admissionProof(admissionKey, relayRoomId, nonce);
    // The relay verifies with node:crypto exactly like this.
    const expected = createHmac('sha256', admissionKey)
      .update(Buffer.concat([Buffer.from('sealroom/admit/v1', 'ascii'), relayRoomId, nonce]))
      .digest();
    expect(Buffer.from(mac)).toEqual(expected);
    // The vector of A.3: key 00…1f, room 20…3f, nonce 40…5f.
    const vector = await admissionProof(
      new Uint8Array(32).map((_, i) => i),
      new Uint8Array(32).map((_, i) => 0x20 + i),
      new Uint8Array(32).map((_, i) => 0x40 + i),
    );
    expect(Buffer.from(vector).toString('hex')).toBe('7a4c300fa1510a51ae141c247d36abc9f8e3d44af68d665b11e8fa2435e53021');
    await expect(admissionProof(admissionKey, new Uint8Array(31), nonce)).rejects.toThrow(RangeError);
  });
});

describe('safety numbers', () => {
  it('60 digits in 12 groups of 5, the same on both sides', async () => {
    const ab = await computeSafetyNumber(alice.unlocked.public, bob.unlocked.public);
    const ba = await computeSafetyNumber(bob.unlocked.public, alice.unlocked.public);
    expect(ab).toEqual(ba);
    expect(ab.digits).toMatch(/^[0-9]{60}$/);
    expect(ab.groups).toHaveLength(12);
    expect(ab.display).toMatch(/^([0-9]{5} ){11}[0-9]{5}$/);
    expect(ab.scannable).toMatch(/^SRSN1:[A-Za-z0-9_-]{86}$/);
  });

  it('changes when either key changes', async () => {
    const ab = await computeSafetyNumber(alice.unlocked.public, bob.unlocked.public);
    const mallory = await generateIdentity('Bob');
    const am = await computeSafetyNumber(alice.unlocked.public, mallory.public);
    expect(am.digits).not.toBe(ab.digits);
    // Alice's 30-digit half is in both numbers; Bob's half was replaced.
    const halves = (n: { digits: string }) => [n.digits.slice(0, 30), n.digits.slice(30)];
    expect(halves(am).filter((h) => halves(ab).includes(h))).toHaveLength(1);
    expect(am.scannable).not.toBe(ab.scannable);
  });

  it('compares scanned and pasted codes', async () => {
    const ab = await computeSafetyNumber(alice.unlocked.public, bob.unlocked.public);
    const mallory = await generateIdentity('Mallory');
    const am = await computeSafetyNumber(alice.unlocked.public, mallory.public);
    expect(compareSafetyNumber(ab, ab.scannable)).toEqual({ ok: true });
    expect(compareSafetyNumber(ab, ` ${ab.display}\n`)).toEqual({ ok: true });
    expect(compareSafetyNumber(ab, ab.digits)).toEqual({ ok: true });
    expect(compareSafetyNumber(ab, am.scannable)).toMatchObject({ ok: false, code: 'MISMATCH' });
    expect(compareSafetyNumber(ab, am.display)).toMatchObject({ ok: false, code: 'MISMATCH' });
    expect(compareSafetyNumber(ab, 'SRSN2:abc')).toMatchObject({ ok: false, code: 'BAD_VERSION' });
    expect(compareSafetyNumber(ab, 'SRSN1:abc')).toMatchObject({ ok: false, code: 'BAD_FORMAT' });
    expect(compareSafetyNumber(ab, '12345')).toMatchObject({ ok: false, code: 'BAD_FORMAT' });
  });
});
