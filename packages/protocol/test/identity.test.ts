import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_PBKDF2_ITERATIONS,
  changePassword,
  checkDisplayName,
  encodePublicIdentity,
  exportBackup,
  formatFingerprint,
  generateIdentity,
  importBackup,
  importPublicIdentity,
  importPublicIdentityJson,
  openAtRest,
  publicIdentityToJson,
  readWrappedIdentity,
  sealAtRest,
  shortFingerprint,
  unwrapIdentity,
  wrapIdentity,
  type IdentityProgress,
  type PublicIdentityJson,
} from '../src/index.js';
import { PASSWORD, TEST_KDF, dec, enc, makePeople, type Person } from './fixtures.js';

let alice: Person;
let bob: Person;

beforeAll(async () => {
  [alice, bob] = await makePeople(['Alice', 'Bob']);
});

const subtle = globalThis.crypto.subtle;
const b64u = (data: ArrayBuffer): string => Buffer.from(data).toString('base64url');

/** A public identity JSON whose keys are made by WebCrypto with the given parameters. */
async function customIdentity(enc: RsaHashedKeyGenParams | EcKeyGenParams, sig: RsaHashedKeyGenParams | EcKeyGenParams): Promise<PublicIdentityJson> {
  const e = (await subtle.generateKey(enc, true, enc.name === 'ECDSA' ? ['sign', 'verify'] : ['encrypt', 'decrypt'])) as CryptoKeyPair;
  const s = (await subtle.generateKey(sig, true, ['sign', 'verify'])) as CryptoKeyPair;
  return {
    v: 1,
    displayName: 'Mallory',
    encryptionSpki: b64u(await subtle.exportKey('spki', e.publicKey)),
    signingSpki: b64u(await subtle.exportKey('spki', s.publicKey)),
  };
}
const rsa = (name: string, modulusLength: number, exponent = [1, 0, 1]): RsaHashedKeyGenParams => ({
  name,
  modulusLength,
  publicExponent: new Uint8Array(exponent),
  hash: 'SHA-256',
});

describe('identities', () => {
  it('generates two RSA-3072 pairs with e = 65537 and reports progress', async () => {
    const steps: IdentityProgress[] = [];
    const generated = await generateIdentity('Dora', { onProgress: (p) => steps.push(p) });
    expect(steps.map((s) => s.step)).toEqual(['encryption-key', 'signing-key', 'done']);
    expect(steps.at(-1)).toMatchObject({ completed: 2, total: 2 });
    const algorithm = generated.public.verifyKey.algorithm as unknown as { modulusLength: number; publicExponent: Uint8Array };
    expect(algorithm.modulusLength).toBe(3072);
    expect([...algorithm.publicExponent]).toEqual([1, 0, 1]);
    expect(generated.public.id).toHaveLength(32);
    expect(generated.public.idHex).toMatch(/^[0-9a-f]{64}$/);
    expect(formatFingerprint(generated.public.id)).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    expect(shortFingerprint(generated.public.id)).toMatch(/^([0-9a-f]{4} ){3}[0-9a-f]{4}$/);
    await expect(generateIdentity('')).rejects.toThrow(RangeError);
  });

  it('public encoding and JSON round-trip to the same id', async () => {
    const pub = alice.unlocked.public;
    const back = await importPublicIdentity(encodePublicIdentity(pub));
    expect(back.ok && back.identity.idHex).toBe(pub.idHex);
    expect(back.ok && back.identity.displayName).toBe('Alice');
    const json = JSON.parse(JSON.stringify(publicIdentityToJson(pub))) as unknown;
    const fromJson = await importPublicIdentityJson(json);
    expect(fromJson.ok && fromJson.identity.idHex).toBe(pub.idHex);
    expect(bob.unlocked.public.idHex).not.toBe(pub.idHex);
  });

  it('refuses weak, wrong-algorithm, wrong-exponent and duplicated keys with typed errors', async () => {
    expect(await importPublicIdentityJson(await customIdentity(rsa('RSA-OAEP', 2048), rsa('RSA-PSS', 3072)))).toMatchObject({ ok: false, code: 'WEAK_KEY' });
    expect(await importPublicIdentityJson(await customIdentity(rsa('RSA-OAEP', 3072), rsa('RSA-PSS', 2048)))).toMatchObject({ ok: false, code: 'WEAK_KEY' });
    expect(await importPublicIdentityJson(await customIdentity({ name: 'ECDSA', namedCurve: 'P-256' }, rsa('RSA-PSS', 3072)))).toMatchObject({
      ok: false,
      code: 'BAD_KEY_ALGORITHM',
    });
    expect(await importPublicIdentityJson(await customIdentity(rsa('RSA-OAEP', 3072, [3]), rsa('RSA-PSS', 3072)))).toMatchObject({
      ok: false,
      code: 'BAD_EXPONENT',
    });
    const json = publicIdentityToJson(alice.unlocked.public);
    expect(await importPublicIdentityJson({ ...json, signingSpki: json.encryptionSpki })).toMatchObject({ ok: false, code: 'SAME_KEY' });
    expect(await importPublicIdentityJson({ ...json, displayName: 'A\u202eB' })).toMatchObject({ ok: false, code: 'BAD_DISPLAY_NAME' });
    expect(await importPublicIdentityJson({ ...json, v: 2 })).toMatchObject({ ok: false, code: 'BAD_ENCODING' });
    expect(await importPublicIdentityJson({ ...json, encryptionSpki: 'AAAA' })).toMatchObject({ ok: false, code: 'BAD_KEY_ALGORITHM' });
  });

  it('display names: empty, too long and control characters are refused', () => {
    expect(checkDisplayName('Alice')).toBeUndefined();
    expect(checkDisplayName('Zoë 🙂')).toBeUndefined();
    expect(checkDisplayName('')).toBe('EMPTY');
    expect(checkDisplayName('x'.repeat(129))).toBe('TOO_LONG');
    expect(checkDisplayName('a\nb')).toBe('BAD_CHARACTERS');
    expect(checkDisplayName(' padded')).toBe('BAD_CHARACTERS');
  });

  it('display names: invisible characters that would let "Bob" join as a second, different "Bob" are refused', () => {
    // The client flags a newcomer whose name equals a member's; an invisible character
    // would make the names differ while looking the same.
    for (const invisible of ['\u200b', '\u2060', '\u00ad', '\u034f', '\u180e', '\u2062', '\u3164', '\u115f', '\uffa0', '\u2800']) {
      expect(checkDisplayName(`Bo${invisible}b`), `U+${invisible.codePointAt(0)!.toString(16)}`).toBe('BAD_CHARACTERS');
    }
    // Joiners stay allowed: emoji sequences and several scripts need them.
    expect(checkDisplayName('👩\u200d💻 Ana')).toBeUndefined();
    expect(checkDisplayName('می\u200cخواهم')).toBeUndefined();
  });
});

describe('password wrapping', () => {
  it('ships a PBKDF2 default of at least 600,000 iterations, and lower only with the dangerous option', async () => {
    expect(DEFAULT_PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(600_000);
    const generated = await generateIdentity('Eve');
    await expect(wrapIdentity(generated, PASSWORD, { iterations: 1_000 })).rejects.toThrow(/dangerouslyAllowWeakKdfForTests/);
    const shipped = await wrapIdentity(generated, PASSWORD);
    expect(shipped.wrapped.kdf.iterations).toBe(DEFAULT_PBKDF2_ITERATIONS);
    expect((await unwrapIdentity(shipped.wrapped, PASSWORD)).ok).toBe(true);
  });

  it('unwraps with the right password to non-extractable keys, refuses a wrong one as WRONG_PASSWORD', async () => {
    const stored = JSON.parse(JSON.stringify(alice.wrapped)) as unknown;
    const unlocked = await unwrapIdentity(stored, PASSWORD);
    expect(unlocked.ok).toBe(true);
    if (!unlocked.ok) return;
    expect(unlocked.unlocked.public.idHex).toBe(alice.unlocked.public.idHex);
    expect(unlocked.unlocked.decryptionKey.extractable).toBe(false);
    expect(unlocked.unlocked.signingKey.extractable).toBe(false);
    expect(unlocked.unlocked.storageKey.extractable).toBe(false);
    expect(await unwrapIdentity(stored, 'wrong')).toEqual({ ok: false, code: 'WRONG_PASSWORD' });
    // The same storage key comes back: data sealed at rest before stays readable.
    const sealed = await sealAtRest(alice.unlocked.storageKey, 'history', enc('kept'));
    const opened = await openAtRest(unlocked.unlocked.storageKey, 'history', sealed);
    expect(opened.ok && dec(opened.plaintext)).toBe('kept');
  });

  it('refuses malformed and swapped blobs with typed errors', async () => {
    const w = alice.wrapped;
    expect(readWrappedIdentity(null)).toMatchObject({ ok: false, code: 'BAD_FORMAT' });
    expect(readWrappedIdentity({ ...w, v: 2 })).toMatchObject({ ok: false, code: 'BAD_VERSION' });
    expect(readWrappedIdentity({ ...w, kdf: { ...w.kdf, iterations: 1e12 } })).toMatchObject({ ok: false, code: 'BAD_KDF' });
    expect(readWrappedIdentity({ ...w, kdf: { ...w.kdf, salt: 'AAAA' } })).toMatchObject({ ok: false, code: 'BAD_KDF' });
    // Bob's public identity with Alice's keys: the id no longer matches.
    expect(await unwrapIdentity({ ...w, identity: bob.wrapped.identity }, PASSWORD)).toMatchObject({ ok: false, code: 'CORRUPT' });
    // Swapping two sealed secrets breaks their purpose binding.
    const swapped = { ...w, keys: { ...w.keys, encryption: w.keys.signing, signing: w.keys.encryption } };
    expect((await unwrapIdentity(swapped, PASSWORD)).ok).toBe(false);
  });

  it('changing the password re-wraps: the old one stops working, keys stay the same', async () => {
    const changed = await changePassword(alice.wrapped, PASSWORD, 'new password', TEST_KDF);
    expect(changed.ok).toBe(true);
    if (!changed.ok) return;
    expect(changed.wrapped.kdf.salt).not.toBe(alice.wrapped.kdf.salt);
    expect(await unwrapIdentity(changed.wrapped, PASSWORD)).toEqual({ ok: false, code: 'WRONG_PASSWORD' });
    const unlocked = await unwrapIdentity(changed.wrapped, 'new password');
    expect(unlocked.ok && unlocked.unlocked.public.idHex).toBe(alice.unlocked.public.idHex);
    expect(await changePassword(alice.wrapped, 'nope', 'x', TEST_KDF)).toEqual({ ok: false, code: 'WRONG_PASSWORD' });
  });

  it('backup files: export, import elsewhere, wrong password and garbage refused', async () => {
    const exported = await exportBackup(alice.wrapped, PASSWORD, { backupPassword: 'backup pw', ...TEST_KDF });
    expect(exported.ok).toBe(true);
    if (!exported.ok) return;
    expect(exported.fileName).toBe('Alice.sealroom-backup.json');
    expect(JSON.parse(exported.text)).toMatchObject({ format: 'sealroom-backup', v: 1 });
    expect(exported.text).not.toContain(PASSWORD);
    const imported = await importBackup(exported.text, 'backup pw');
    expect(imported.ok && imported.unlocked.public.idHex).toBe(alice.unlocked.public.idHex);
    expect(await importBackup(exported.text, PASSWORD)).toEqual({ ok: false, code: 'WRONG_PASSWORD' });
    expect(await importBackup('not json', 'x')).toMatchObject({ ok: false, code: 'BAD_FORMAT' });
    expect(await importBackup(JSON.stringify({ format: 'sealroom-backup', v: 9 }), 'x')).toMatchObject({ ok: false, code: 'BAD_VERSION' });
    // A version 2 file (the client's, with rooms in sealed parts) carries the identity the same way.
    const v2 = JSON.stringify({ ...JSON.parse(exported.text), v: 2, backupId: 'AAAAAAAAAAAAAAAAAAAAAA', history: false, createdAt: 0, parts: [] });
    const fromV2 = await importBackup(v2, 'backup pw');
    expect(fromV2.ok && fromV2.unlocked.public.idHex).toBe(alice.unlocked.public.idHex);
    expect(await exportBackup(alice.wrapped, 'wrong', TEST_KDF)).toEqual({ ok: false, code: 'WRONG_PASSWORD' });
  });
});

describe('at-rest encryption', () => {
  it('round-trips, binds the label, and detects tampering', async () => {
    const key = alice.unlocked.storageKey;
    const sealed = await sealAtRest(key, 'room:1', enc('secret history'));
    const again = await sealAtRest(key, 'room:1', enc('secret history'));
    expect(sealed).not.toEqual(again); // fresh IV each time
    const opened = await openAtRest(key, 'room:1', sealed);
    expect(opened.ok && dec(opened.plaintext)).toBe('secret history');
    expect(await openAtRest(key, 'room:2', sealed)).toMatchObject({ ok: false, code: 'BAD_TAG' });
    expect(await openAtRest(bob.unlocked.storageKey, 'room:1', sealed)).toMatchObject({ ok: false, code: 'BAD_TAG' });
    const flipped = sealed.slice();
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    expect(await openAtRest(key, 'room:1', flipped)).toMatchObject({ ok: false, code: 'BAD_TAG' });
    expect(await openAtRest(key, 'room:1', sealed.slice(0, 10))).toMatchObject({ ok: false, code: 'BAD_LENGTH' });
    const wrongVersion = sealed.slice();
    wrongVersion[0] = 9;
    expect(await openAtRest(key, 'room:1', wrongVersion)).toMatchObject({ ok: false, code: 'BAD_VERSION' });
  });
});
