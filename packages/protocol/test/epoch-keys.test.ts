/** The v2 key schedule, checked against Node's own HKDF and SHA-256 (an independent implementation). */
import { createHash, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveEpochKeys, deriveLobbyKeys, groupContext, membershipHash } from '../src/index.js';
import { epochKeyMaterial, lobbyKeyMaterial } from '../src/epoch-keys.js';

const roomId = new Uint8Array(32).map((_, i) => i);
const secret = new Uint8Array(32).map((_, i) => 0x80 + i);
const head = new Uint8Array(32).fill(0x11);
const mh = new Uint8Array(32).fill(0x22);
const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const nodeHkdf = (ikm: Uint8Array, info: Uint8Array) => new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), info, 32));
const info = (label: string, epoch: number) => Buffer.concat([Buffer.from(label, 'ascii'), roomId, u32(epoch)]);
const sha = (...parts: Uint8Array[]) => new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest());

describe('epoch keys', () => {
  it('every value is HKDF(E_n, label ‖ roomId ‖ u32(n), 32) under its own label', async () => {
    const m = await epochKeyMaterial(roomId, 7, secret);
    expect(m.relayRoomId).toEqual(nodeHkdf(secret, info('sealroom/v2/epoch/relay-room', 7)));
    expect(m.admissionKey).toEqual(nodeHkdf(secret, info('sealroom/v2/epoch/admission', 7)));
    expect(m.envelopeKey).toEqual(nodeHkdf(secret, info('sealroom/v2/epoch/envelope', 7)));
    expect(m.memberIdKey).toEqual(nodeHkdf(secret, info('sealroom/v2/epoch/member-id', 7)));
    expect(m.linkWrapKey).toEqual(nodeHkdf(secret, info('sealroom/v2/epoch/link', 7)));
    const values = Object.values(m).map((v) => Buffer.from(v).toString('hex'));
    expect(new Set(values).size).toBe(values.length);
  });

  it('the relay room of each epoch and room differs', async () => {
    const a = await epochKeyMaterial(roomId, 1, secret);
    const b = await epochKeyMaterial(roomId, 2, secret);
    const c = await epochKeyMaterial(new Uint8Array(32).fill(9), 1, secret);
    expect(a.relayRoomId).not.toEqual(b.relayRoomId);
    expect(a.relayRoomId).not.toEqual(c.relayRoomId);
  });

  it('the group context is SHA256("sealroom/v2/context" ‖ roomId ‖ u32(n) ‖ head ‖ membershipHash)', async () => {
    expect(await groupContext(roomId, 3, head, mh)).toEqual(sha(Buffer.from('sealroom/v2/context'), roomId, u32(3), head, mh));
    const keys = await deriveEpochKeys(roomId, 3, secret, head, mh);
    expect(keys.context).toEqual(await groupContext(roomId, 3, head, mh));
    expect(keys.relayRoomIdB64).toBe(Buffer.from(keys.relayRoomId).toString('base64url'));
    expect(keys.envelopeKey.extractable).toBe(false);
    expect(keys.memberIdKey.extractable).toBe(false);
  });

  it('refuses wrong lengths and epochs outside u32', async () => {
    await expect(deriveEpochKeys(roomId, 0, secret.subarray(1), head, mh)).rejects.toThrow(RangeError);
    await expect(deriveEpochKeys(roomId.subarray(1), 0, secret, head, mh)).rejects.toThrow(RangeError);
    await expect(deriveEpochKeys(roomId, -1, secret, head, mh)).rejects.toThrow(RangeError);
    await expect(deriveEpochKeys(roomId, 2 ** 32, secret, head, mh)).rejects.toThrow(RangeError);
    await expect(deriveLobbyKeys(new Uint8Array(31))).rejects.toThrow(RangeError);
  });
});

describe('lobby keys', () => {
  it('are HKDF(L, label, 32)', async () => {
    const m = await lobbyKeyMaterial(secret);
    expect(m.relayRoomId).toEqual(nodeHkdf(secret, Buffer.from('sealroom/v2/link/relay-room')));
    expect(m.admissionKey).toEqual(nodeHkdf(secret, Buffer.from('sealroom/v2/link/admission')));
    expect(m.lobbyKey).toEqual(nodeHkdf(secret, Buffer.from('sealroom/v2/link/lobby')));
    const keys = await deriveLobbyKeys(secret);
    expect(keys.relayRoomId).toEqual(m.relayRoomId);
    expect(keys.lobbyKey.extractable).toBe(false);
  });
});

describe('membership hash', () => {
  const a = new Uint8Array(32).fill(0x01);
  const b = new Uint8Array(32).fill(0xfe);
  const c = new Uint8Array(32).fill(0x80);

  it('is SHA256(label ‖ u16(count) ‖ sorted (id ‖ role))', async () => {
    const expected = sha(Buffer.from('sealroom/v2/membership'), Buffer.from([0, 3]), a, Buffer.from([2]), c, Buffer.from([1]), b, Buffer.from([1]));
    expect(
      await membershipHash([
        { id: b, role: 'member' },
        { id: a, role: 'admin' },
        { id: c, role: 'member' },
      ]),
    ).toEqual(expected);
  });

  it('does not depend on order, but on every id and role', async () => {
    const base = await membershipHash([
      { id: a, role: 'admin' },
      { id: b, role: 'member' },
    ]);
    expect(
      await membershipHash([
        { id: b, role: 'member' },
        { id: a, role: 'admin' },
      ]),
    ).toEqual(base);
    expect(
      await membershipHash([
        { id: a, role: 'admin' },
        { id: b, role: 'admin' },
      ]),
    ).not.toEqual(base);
    expect(await membershipHash([{ id: a, role: 'admin' }])).not.toEqual(base);
    expect(
      await membershipHash([
        { id: a, role: 'admin' },
        { id: c, role: 'member' },
      ]),
    ).not.toEqual(base);
  });
});
