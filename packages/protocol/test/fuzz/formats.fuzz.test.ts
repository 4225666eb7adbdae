/**
 * Fuzz targets for the protocol's text and record formats that arrive from outside a room:
 * invite links (v2, PROTOCOL.md B.5), backup files and stored identity blobs, at-rest
 * records, safety-number input, and public identities. Each decoder is total (a failure is
 * one of its documented codes, never an exception), and what it accepts is what was written.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compareSafetyNumber,
  computeSafetyNumber,
  exportBackup,
  formatInvite,
  generateIdentity,
  importBackup,
  importPublicIdentityJson,
  openAtRest,
  parseInvite,
  publicIdentityToJson,
  readWrappedIdentity,
  sealAtRest,
  toHex,
  wrapIdentity,
  type Invite,
  type SafetyNumber,
  type UnlockedIdentity,
  type WrappedIdentity,
} from '../../src/index.js';
import { importAesKey } from '../../src/webcrypto.js';
import { loadIdentities } from '../v2-fixtures.js';
import { AT_REST_CODES, IDENTITY_CODES, INVITE_CODES, SAFETY_CODES, WRAP_CODES } from './codes.js';
import { expectRefused, expectTotal, fuzzParameters, mutatedBytes, mutatedText } from './support.js';

/** The PBKDF2 count of the test backup: low through the explicit test option, so a run costs about a millisecond. */
const TEST_KDF = { iterations: 1_000, dangerouslyAllowWeakKdfForTests: true } as const;
const PASSWORD = 'correct horse battery staple';
const STORAGE_KEY_BYTES = 32;

// ---- invite links ----------------------------------------------------------------------------

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const baseUrl = fc.constantFrom('https://chat.example/', 'http://127.0.0.1:8080/', 'https://example.org/sealroom/app?x=1', 'https://[::1]/');
const relayUrl = fc.constantFrom('wss://relay.example/ws', 'https://relay.example/', 'ws://127.0.0.1:8080/ws', 'http://[::1]:9000/chat?a=b&c=d');
const roomName = fc.string({ minLength: 1, maxLength: 40 }).filter((name) => /^[\p{L}\p{N} .,'&!?#%=+-]+$/u.test(name));
const inviteArbitrary: fc.Arbitrary<Invite & { baseUrl: string }> = fc.record(
  {
    baseUrl,
    roomId: bytes32,
    linkSecret: bytes32,
    relayUrl,
    roomName,
    approval: fc.boolean(),
  },
  { requiredKeys: ['baseUrl', 'roomId', 'linkSecret', 'approval'] },
);

function sameInvite(a: Invite, b: Invite): void {
  expect(toHex(a.roomId)).toBe(toHex(b.roomId));
  expect(toHex(a.linkSecret)).toBe(toHex(b.linkSecret));
  expect(a.relayUrl).toBe(b.relayUrl);
  expect(a.roomName).toBe(b.roomName);
  expect(a.approval).toBe(b.approval);
}

const inviteSamples: string[] = [];

describe('parseInvite', () => {
  beforeAll(() => {
    const sample = (seed: number): Invite & { baseUrl: string } => fc.sample(inviteArbitrary, { numRuns: 1, seed })[0]!;
    for (let seed = 1; seed <= 8; seed += 1) inviteSamples.push(formatInvite(sample(seed)));
    inviteSamples.push(formatInvite({ ...sample(9), relayUrl: 'wss://relay.example/ws', roomName: 'Book club', approval: true }));
  });

  it('round-trips every link formatInvite writes', () => {
    fc.assert(
      fc.property(inviteArbitrary, (options) => {
        const parsed = parseInvite(formatInvite(options));
        if (!parsed.ok) throw new Error(`${parsed.code} ${parsed.detail ?? ''}`);
        sameInvite(parsed.invite, options);
      }),
      fuzzParameters(),
    );
  });

  it('is total on any string, and on any fragment behind an app address', () => {
    const fragment = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc
        .array(fc.tuple(fc.constantFrom('v', 'i', 's', 'r', 'n', 'p', 'c', ''), fc.string({ maxLength: 60 })), { maxLength: 8 })
        .map((fields) => fields.map(([k, v]) => `${k}=${v}`).join('&')),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          fc.webUrl({ withFragments: true, withQueryParameters: true }),
          fc.tuple(baseUrl, fragment).map(([b, f]) => `${b}#${f}`),
        ),
        (text) => {
          expectTotal(parseInvite(text), INVITE_CODES);
        },
      ),
      fuzzParameters(),
    );
  });

  it('a mutated link is refused, or read as a link that formats back to the same reading', () => {
    fc.assert(
      fc.property(
        mutatedText(() => inviteSamples),
        ({ text }) => {
          const parsed = parseInvite(text);
          expectTotal(parsed, INVITE_CODES);
          if (!parsed.ok) return;
          // Anything accepted is a well-formed invite: formatting it and parsing again gives it back.
          const again = parseInvite(formatInvite({ ...parsed.invite, baseUrl: parsed.baseUrl }));
          if (!again.ok) throw new Error(`accepted ${JSON.stringify(text)}, but its re-formatted link is refused: ${again.code}`);
          sameInvite(again.invite, parsed.invite);
        },
      ),
      fuzzParameters(),
    );
  });
});

// ---- backups and stored identity blobs -------------------------------------------------------

describe('backups and stored identity blobs', () => {
  let wrapped: WrappedIdentity;
  let backupText: string;
  let idHex: string;

  beforeAll(async () => {
    const generated = await generateIdentity('Backup owner');
    const person = await wrapIdentity(generated, PASSWORD, TEST_KDF);
    wrapped = person.wrapped;
    idHex = person.unlocked.public.idHex;
    const exported = await exportBackup(wrapped, PASSWORD, TEST_KDF);
    if (!exported.ok) throw new Error(`fixture: export refused: ${exported.code}`);
    backupText = exported.text;
    expect((await importBackup(backupText, PASSWORD)).ok).toBe(true);
  });

  it('readWrappedIdentity is total on any JSON value', () => {
    const blobish = fc.record(
      {
        format: fc.oneof(fc.constant('sealroom-identity'), fc.string()),
        v: fc.oneof(fc.constant(1), fc.integer(), fc.string()),
        kdf: fc.oneof(
          fc.record({ name: fc.oneof(fc.constant('PBKDF2-SHA-256'), fc.string()), iterations: fc.oneof(fc.integer(), fc.double()), salt: fc.base64String() }),
          fc.jsonValue(),
        ),
        id: fc.oneof(fc.base64String(), fc.jsonValue()),
        keys: fc.jsonValue(),
        identity: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything(), blobish), (value) => {
        expectTotal(readWrappedIdentity(value), WRAP_CODES);
      }),
      fuzzParameters(),
    );
  });

  it('importBackup is total on any text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.json()), async (text) => {
        expectTotal(await importBackup(text, PASSWORD), WRAP_CODES);
      }),
      fuzzParameters(),
    );
  });

  it('a mutated backup file is refused, or opens as the very identity it holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedText(() => [backupText]),
        async ({ text }) => {
          const imported = await importBackup(text, PASSWORD);
          expectTotal(imported, WRAP_CODES);
          // A change the format does not notice (JSON whitespace, the display name, which the
          // keys do not bind) still opens only the identity that was backed up.
          if (imported.ok) expect(imported.unlocked.public.idHex).toBe(idHex);
        },
      ),
      fuzzParameters(),
    );
  });

  it('a backup under another password is WRONG_PASSWORD, never opened', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 40 }).filter((p) => p.normalize('NFC') !== PASSWORD),
        async (password) => {
          expectRefused(await importBackup(backupText, password), ['WRONG_PASSWORD']);
        },
      ),
      fuzzParameters(),
    );
  });
});

// ---- at-rest records -------------------------------------------------------------------------

describe('openAtRest', () => {
  const LABEL = 'room:fuzz';
  let storageKey: CryptoKey;
  const records: Uint8Array[] = [];

  beforeAll(async () => {
    storageKey = await importAesKey(new Uint8Array(STORAGE_KEY_BYTES).fill(0x42));
    for (const text of ['', '{}', '{"name":"Book club","members":[]}', 'x'.repeat(2_000)]) {
      records.push(await sealAtRest(storageKey, LABEL, new TextEncoder().encode(text)));
    }
  });

  it('round-trips any plaintext under any label', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 1_000 }), fc.string({ maxLength: 60 }), async (plaintext, label) => {
        const opened = await openAtRest(storageKey, label, await sealAtRest(storageKey, label, plaintext));
        if (!opened.ok) throw new Error(opened.code);
        expect(toHex(opened.plaintext)).toBe(toHex(plaintext));
      }),
      fuzzParameters(),
    );
  });

  it('refuses random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (data) => {
        expectRefused(await openAtRest(storageKey, LABEL, data), AT_REST_CODES);
      }),
      fuzzParameters(),
    );
  });

  it('refuses every mutation of a sealed record, and a record moved to another label', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedBytes(() => records),
        fc.nat(records.length - 1),
        fc.string({ minLength: 1, maxLength: 20 }),
        async ({ bytes }, index, otherLabel) => {
          expectRefused(await openAtRest(storageKey, LABEL, bytes), AT_REST_CODES);
          expectRefused(await openAtRest(storageKey, `${LABEL}${otherLabel}`, records[index]!), AT_REST_CODES);
        },
      ),
      fuzzParameters(),
    );
  });
});

// ---- safety numbers and public identities ----------------------------------------------------

describe('compareSafetyNumber and importPublicIdentityJson', () => {
  let expected: SafetyNumber;
  let identityJsonTexts: string[];
  let unlocked: Pick<UnlockedIdentity, 'public'>[];

  beforeAll(async () => {
    unlocked = await loadIdentities(2);
    expected = await computeSafetyNumber(unlocked[0]!.public, unlocked[1]!.public);
    identityJsonTexts = unlocked.map((u) => JSON.stringify(publicIdentityToJson(u.public)));
  });

  it('compareSafetyNumber: total on any input; accepts only the number itself', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 120 }),
          mutatedText(() => [expected.display, expected.scannable, expected.digits]).map((m) => m.text),
        ),
        (input) => {
          const result = compareSafetyNumber(expected, input);
          expectTotal(result, SAFETY_CODES);
          if (result.ok) {
            const digits = input.replace(/\s+/g, '');
            expect([expected.digits, expected.scannable]).toContain(digits);
          }
        },
      ),
      fuzzParameters(),
    );
  });

  it('importPublicIdentityJson: total on mutated identities; what it accepts re-encodes to the same identity', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutatedText(() => identityJsonTexts).map((m) => m.text),
          fc.json(),
        ),
        async (text) => {
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch {
            return;
          }
          const imported = await importPublicIdentityJson(value);
          expectTotal(imported, IDENTITY_CODES);
          // An identity is not authenticated by itself (any acceptable RSA key pair is one), so a
          // changed key is a different identity; but it must be exactly the one its JSON states.
          if (!imported.ok) return;
          const again = await importPublicIdentityJson(publicIdentityToJson(imported.identity));
          if (!again.ok) throw new Error(`accepted, but its own encoding is refused: ${again.code}`);
          expect(again.identity.idHex).toBe(imported.identity.idHex);
          expect(again.identity.displayName).toBe(imported.identity.displayName);
        },
      ),
      fuzzParameters(),
    );
  });
});
