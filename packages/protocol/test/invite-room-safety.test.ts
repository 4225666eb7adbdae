import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  admissionProof,
  compareSafetyNumber,
  computeSafetyNumber,
  createRoomSecret,
  deriveRoomKeys,
  formatInviteV1 as formatInvite,
  generateIdentity,
  memberIdOf,
  parseInviteV1 as parseInvite,
  toBase64Url,
} from '../src/index.js';
import { makePeople, type Person } from './fixtures.js';

let alice: Person;
let bob: Person;
beforeAll(async () => {
  [alice, bob] = await makePeople(['Alice', 'Bob']);
});

describe('invites', () => {
  const secret = new Uint8Array(32).map((_, i) => i);
  const creatorId = new Uint8Array(32).fill(0xab);

  it('round-trips with everything in the fragment', () => {
    const url = formatInvite({
      secret,
      creatorId,
      relayUrl: 'wss://relay.example:8443/ws',
      roomName: 'Incident #42 ✓',
      baseUrl: 'https://chat.example/app?x=1#old',
    });
    const parsed = new URL(url);
    expect(parsed.origin + parsed.pathname + parsed.search).toBe('https://chat.example/app?x=1');
    expect(parsed.hash).toContain(toBase64Url(secret));
    const back = parseInvite(url);
    expect(back).toEqual({
      ok: true,
      baseUrl: 'https://chat.example/app?x=1',
      invite: { secret, creatorId, relayUrl: 'wss://relay.example:8443/ws', roomName: 'Incident #42 ✓' },
    });
    const minimal = parseInvite(formatInvite({ secret, creatorId, baseUrl: 'http://localhost:5173/' }));
    expect(minimal.ok && minimal.invite).toEqual({ secret, creatorId });
  });

  it('parses strictly, with typed errors', () => {
    const good = `https://chat.example/#v=1&s=${toBase64Url(secret)}&c=${toBase64Url(creatorId)}`;
    expect(parseInvite(good).ok).toBe(true);
    expect(parseInvite('not a url')).toMatchObject({ ok: false, code: 'NOT_A_URL' });
    expect(parseInvite('https://chat.example/')).toMatchObject({ ok: false, code: 'NO_FRAGMENT' });
    expect(parseInvite(good.replace('v=1', 'v=2'))).toMatchObject({ ok: false, code: 'BAD_VERSION' });
    expect(parseInvite(good.replace(/s=[^&]+/, 's=AAAA'))).toMatchObject({ ok: false, code: 'BAD_SECRET' });
    expect(parseInvite(good.replace(/c=[^&]+/, 'c=AA'))).toMatchObject({ ok: false, code: 'BAD_CREATOR' });
    expect(parseInvite(`${good}&s=${toBase64Url(secret)}`)).toMatchObject({ ok: false, code: 'DUPLICATE_FIELD' });
    expect(parseInvite(`${good}&x=1`)).toMatchObject({ ok: false, code: 'UNKNOWN_FIELD' });
    expect(parseInvite(`${good}&r=${encodeURIComponent('javascript:alert(1)')}`)).toMatchObject({ ok: false, code: 'BAD_RELAY_URL' });
    expect(parseInvite(`${good}&r=%E0%A4%A`)).toMatchObject({ ok: false, code: 'BAD_RELAY_URL' });
    expect(parseInvite(`${good}&n=${encodeURIComponent('a\u0000b')}`)).toMatchObject({ ok: false, code: 'BAD_ROOM_NAME' });
  });

  it('refuses an invite whose app address is not http(s): the client stores it and shares it again', () => {
    const fragment = `#v=1&s=${toBase64Url(secret)}&c=${toBase64Url(creatorId)}&r=${encodeURIComponent('wss://relay.example/ws')}`;
    for (const base of ['javascript:alert(document.domain)//', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', 'ws://relay.example/']) {
      expect(parseInvite(`${base}${fragment}`), base).toMatchObject({ ok: false, code: 'NOT_A_URL' });
    }
    expect(() => formatInvite({ secret, creatorId, baseUrl: 'javascript:alert(1)//' })).toThrow(RangeError);
  });

  it('room secrets are 32 random bytes', () => {
    const a = createRoomSecret();
    expect(a).toHaveLength(32);
    expect(a).not.toEqual(createRoomSecret());
  });
});

describe('room keys', () => {
  it('derives distinct, deterministic values; the admission MAC matches PROTOCOL.md A.3', async () => {
    const secret = new Uint8Array(32).fill(1);
    const keys = await deriveRoomKeys(secret);
    const again = await deriveRoomKeys(secret);
    expect(keys.roomId).toEqual(again.roomId);
    expect(keys.roomId).toHaveLength(32);
    expect(keys.admissionKey).toHaveLength(32);
    expect(keys.roomId).not.toEqual(keys.admissionKey);
    expect(keys.roomIdB64).toBe(toBase64Url(keys.roomId));
    expect(keys.announcementKey.extractable).toBe(false);
    const nonce = new Uint8Array(32).fill(9);
    const mac = await admissionProof(keys.admissionKey, keys.roomId, nonce);
    // The relay verifies with node:crypto exactly like this.
    const expected = createHmac('sha256', keys.admissionKey)
      .update(Buffer.concat([Buffer.from('sealroom/admit/v1', 'ascii'), keys.roomId, nonce]))
      .digest();
    expect(Buffer.from(mac)).toEqual(expected);
    expect((await deriveRoomKeys(new Uint8Array(32).fill(2))).roomId).not.toEqual(keys.roomId);
    await expect(deriveRoomKeys(new Uint8Array(31))).rejects.toThrow(RangeError);
  });

  it('member ids are room-scoped: the relay cannot link one identity across rooms', async () => {
    const one = await deriveRoomKeys(new Uint8Array(32).fill(1));
    const two = await deriveRoomKeys(new Uint8Array(32).fill(2));
    const id = alice.unlocked.public.id;
    expect(await memberIdOf(one, id)).toEqual(await memberIdOf(one, id));
    expect(await memberIdOf(one, id)).not.toEqual(await memberIdOf(two, id));
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
