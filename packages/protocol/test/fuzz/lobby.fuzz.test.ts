/**
 * Fuzz: the envelopes of a lobby (PROTOCOL.md B.12) — peekSealed under lobby keys, knocks,
 * welcomes and declines — and the welcome's payload: everything a holder of the invite link
 * (not necessarily a member) can put in front of a newcomer.
 *
 * A knock and a welcome are authenticated (by the knocker's and the adder's signatures, and
 * a welcome by the whole log back to the room id of the link): no mutation opens. A decline
 * is an unauthenticated hint: it may open, but only as the knock id and reason its bytes
 * canonically encode.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DECLINE_REASON, openDecline, openKnock, openWelcome, peekSealed, sealKnock, type DeclineReason } from '../../src/index.js';
import { concat, fromBase64Url, randomBytes, u16, u32, u8, utf8 } from '../../src/bytes.js';
import { gcmEncrypt, importAesKey, oaepEncrypt, pssSign } from '../../src/webcrypto.js';
import { sealInner } from '../../src/sealed.js';
import { OUTER_CODES, SEALED_CODES, WELCOME_CODES } from './codes.js';
import { LOBBY_TYPES, buildFuzzRoom, type FuzzRoom, type LobbyType } from './room-fixture.js';
import { expectRefused, expectTotal, fuzzParameters, mutatedBytes, sameBytes } from './support.js';

/** Properties that sign, or RSA-decrypt and verify a whole log, per run run a tenth as often. */
const RSA_PER_RUN = 10;
const MAX_RANDOM_BYTES = 600;
const KNOCK_ID_BYTES = 16;
const LOBBY_TYPE_BYTES = [0x10, 0x11, 0x12, 0x01, 0x03, 0x00, 0x13, 0xff];

let f: FuzzRoom;
const inners = {} as Record<LobbyType, Uint8Array>;

beforeAll(async () => {
  f = await buildFuzzRoom();
  for (const type of LOBBY_TYPES) {
    const peek = await peekSealed(f.lobby, f.lobbyEnvelopes[type]);
    if (!peek.ok) throw new Error(`fixture: ${type} does not peek: ${peek.code}`);
    inners[type] = peek.peek.decoded.inner;
  }
});

function openAs(type: LobbyType, envelope: Uint8Array) {
  switch (type) {
    case 'knock':
      return openKnock({ lobbyKeys: f.lobby, envelope });
    case 'welcome':
      return openWelcome({ lobbyKeys: f.lobby, me: f.bob.me, knockId: f.welcomeKnockId, roomId: f.room.roomId, envelope });
    case 'decline':
      return openDecline({ lobbyKeys: f.lobby, envelope });
  }
}

/** A decline opens only as what its inner bytes canonically say. */
async function declineIsCanonical(envelope: Uint8Array, inner: Uint8Array): Promise<void> {
  const opened = await openDecline({ lobbyKeys: f.lobby, envelope });
  expectTotal(opened, SEALED_CODES);
  if (opened.ok) expect(inner).toEqual(concat(u8(0x12), opened.knockId, u8(DECLINE_REASON[opened.reason])));
}

/** Peek, then the opener of the type inside (a decline: canonical; the others: refused). */
async function routed(envelope: Uint8Array): Promise<void> {
  const peek = await peekSealed(f.lobby, envelope);
  expectTotal(peek, SEALED_CODES);
  if (!peek.ok) return;
  const type = peek.peek.type as LobbyType;
  expect(LOBBY_TYPES).toContain(type);
  if (type === 'decline') await declineIsCanonical(envelope, peek.peek.decoded.inner);
  else expectRefused(await openAs(type, envelope), type === 'welcome' ? WELCOME_CODES : SEALED_CODES);
}

describe('lobby envelopes: the valid samples open', () => {
  it.each(LOBBY_TYPES)('%s', async (type) => {
    const opened = await openAs(type, f.lobbyEnvelopes[type]);
    expect(opened.ok, opened.ok ? '' : `${opened.code} ${opened.detail ?? ''}`).toBe(true);
  });
});

describe('lobby envelopes: total on anything', () => {
  it('random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: MAX_RANDOM_BYTES }), async (data) => {
        expectTotal(await peekSealed(f.lobby, data), SEALED_CODES);
        for (const type of LOBBY_TYPES) expectRefused(await openAs(type, data), OUTER_CODES);
      }),
      fuzzParameters(),
    );
  });

  it('random inner plaintexts sealed under the lobby key (anything a link holder can send)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...LOBBY_TYPE_BYTES), fc.uint8Array({ maxLength: MAX_RANDOM_BYTES }), async (type, rest) =>
        routed(await sealInner(f.lobby, concat(u8(type), rest))),
      ),
      fuzzParameters(),
    );
  });
});

describe.each(LOBBY_TYPES)('lobby envelopes: mutations of a valid %s', (type) => {
  it('of the sealed bytes (relay, network): refused at the outer layer', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedBytes(() => [f.lobbyEnvelopes[type]]),
        async ({ bytes }) => {
          expectRefused(await peekSealed(f.lobby, bytes), OUTER_CODES);
          expectRefused(await openAs(type, bytes), OUTER_CODES);
        },
      ),
      fuzzParameters(),
    );
  });

  it('of the inner plaintext, resealed under the lobby key (a link holder): refused, or a decline as its bytes say', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedBytes(() => [inners[type]]),
        async ({ bytes }) => routed(await sealInner(f.lobby, bytes)),
      ),
      fuzzParameters(),
    );
  });
});

describe('lobby envelopes: round trips', () => {
  it('a knock opens as the knocker and its knock id', async () => {
    const knockers = [f.dave, f.bob.me, f.carol.me];
    await fc.assert(
      fc.asyncProperty(fc.nat(knockers.length - 1), async (who) => {
        const sealed = await sealKnock({ lobbyKeys: f.lobby, me: knockers[who]! });
        const opened = await openKnock({ lobbyKeys: f.lobby, envelope: sealed.envelope });
        if (!opened.ok) throw new Error(opened.code);
        expect([opened.knockId, opened.identity.idHex]).toEqual([sealed.knockId, knockers[who]!.public.idHex]);
      }),
      fuzzParameters(RSA_PER_RUN),
    );
  });

  it('a decline opens as its knock id and reason', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: KNOCK_ID_BYTES, maxLength: KNOCK_ID_BYTES }),
        fc.constantFrom(...(Object.keys(DECLINE_REASON) as DeclineReason[])),
        async (knockId, reason) => {
          const envelope = await sealInner(f.lobby, concat(u8(0x12), knockId, u8(DECLINE_REASON[reason])));
          const opened = await openDecline({ lobbyKeys: f.lobby, envelope });
          expect(opened.ok && [opened.knockId, opened.reason]).toEqual([knockId, reason]);
        },
      ),
      fuzzParameters(),
    );
  });
});

// ---- the welcome payload: what a link holder can make a newcomer verify ---------------------------

/** The fields of a welcome payload (PROTOCOL.md B.12), as sealWelcome lays them out. */
interface WelcomeFields {
  roomId: Uint8Array;
  epoch: number;
  epochSecret: Uint8Array;
  linkSecret: Uint8Array;
  secrets: Uint8Array;
  entries: readonly Uint8Array[];
  adder: Uint8Array;
}

function unsignedPayload(w: WelcomeFields): Uint8Array {
  const parts = [w.roomId, u32(w.epoch), w.epochSecret, w.linkSecret, u32(w.secrets.length), w.secrets, u32(w.entries.length)];
  for (const entry of w.entries) parts.push(u32(entry.length), entry);
  parts.push(w.adder);
  return concat(...parts);
}

/** The welcome key this test wraps to Bob once, naming the fixture's knock id. */
let welcomeKey: { key: CryptoKey; wrapped: Uint8Array };

async function signedPayload(w: WelcomeFields, signer = f.alice.me): Promise<Uint8Array> {
  const unsigned = unsignedPayload(w);
  const signature = await pssSign(signer.signingKey, concat(utf8('sealroom/v2/welcome'), f.lobby.relayRoomId, f.welcomeKnockId, unsigned));
  return concat(unsigned, u16(signature.length), signature);
}

/** A welcome envelope around `payload`, as any link holder who knows Bob's knock can seal it. */
async function welcomeAround(payload: Uint8Array): Promise<Uint8Array> {
  const iv = randomBytes(12);
  const ciphertext = await gcmEncrypt(welcomeKey.key, iv, concat(f.lobby.relayRoomId, f.welcomeKnockId), payload);
  const inner = concat(u8(0x11), f.welcomeKnockId, u16(welcomeKey.wrapped.length), welcomeKey.wrapped, iv, u32(ciphertext.length), ciphertext);
  return sealInner(f.lobby, inner);
}

function openBobsWelcome(envelope: Uint8Array) {
  return openWelcome({ lobbyKeys: f.lobby, me: f.bob.me, knockId: f.welcomeKnockId, roomId: f.room.roomId, envelope });
}

let genuine: WelcomeFields;
let genuinePayload: Uint8Array;

describe('welcome payloads', () => {
  beforeAll(async () => {
    const raw = randomBytes(32);
    welcomeKey = {
      key: await importAesKey(raw),
      wrapped: await oaepEncrypt(f.bob.me.public.encryptionKey, utf8('sealroom/v2/welcome'), concat(raw, f.welcomeKnockId)),
    };
    const alice = f.alice;
    genuine = {
      roomId: f.room.roomId,
      epoch: alice.state.epoch,
      epochSecret: alice.epochSecret,
      linkSecret: alice.linkSecret,
      secrets: alice.secrets!,
      entries: alice.entries,
      adder: fromBase64Url(alice.state.creator)!,
    };
    genuinePayload = await signedPayload(genuine);
  });

  it('the genuine payload, sealed by this test, opens (the layout here is the one sealWelcome writes)', async () => {
    const opened = await openBobsWelcome(await welcomeAround(genuinePayload));
    expect(opened.ok, opened.ok ? '' : `${opened.code} ${opened.detail ?? ''}`).toBe(true);
  });

  it('mutations of the genuine payload are refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedBytes(() => [genuinePayload]),
        async ({ bytes }) => expectRefused(await openBobsWelcome(await welcomeAround(bytes)), WELCOME_CODES),
      ),
      fuzzParameters(RSA_PER_RUN),
    );
  });

  it('random payload bytes are refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: MAX_RANDOM_BYTES }), async (payload) =>
        expectRefused(await openBobsWelcome(await welcomeAround(payload)), WELCOME_CODES),
      ),
      fuzzParameters(RSA_PER_RUN),
    );
  });

  it('validly signed payloads of hostile fields open only when every field is the genuine one', async () => {
    const entryLists = (): Uint8Array[][] => {
      const e = genuine.entries;
      return [[...e], e.slice(0, -1), e.slice(1), [...e].reverse(), [...e, e[e.length - 1]!], [e[0]!], [], [e[0]!, e[2]!, e[1]!]];
    };
    const fields = fc.record({
      roomId: fc.oneof(fc.constant('genuine' as const), fc.uint8Array({ minLength: 32, maxLength: 32 })),
      epoch: fc.oneof(fc.constant('genuine' as const), fc.nat(4), fc.constant(0xffff_ffff)),
      epochSecret: fc.oneof(fc.constant('genuine' as const), fc.uint8Array({ minLength: 32, maxLength: 32 })),
      linkSecret: fc.oneof(fc.constant('genuine' as const), fc.uint8Array({ minLength: 32, maxLength: 32 })),
      secrets: fc.oneof(fc.constant('genuine' as const), fc.uint8Array({ maxLength: 64 })),
      entries: fc.oneof(fc.constant('genuine' as const), fc.nat(7)),
      adder: fc.constantFrom('alice', 'bob', 'carol', 'dave'),
      signer: fc.constantFrom('alice', 'bob', 'carol', 'dave'),
    });
    const people = () => ({ alice: f.alice.me, bob: f.bob.me, carol: f.carol.me, dave: f.dave });
    await fc.assert(
      fc.asyncProperty(fields, async (v) => {
        const w: WelcomeFields = {
          roomId: v.roomId === 'genuine' ? genuine.roomId : v.roomId,
          epoch: v.epoch === 'genuine' ? genuine.epoch : v.epoch,
          epochSecret: v.epochSecret === 'genuine' ? genuine.epochSecret : v.epochSecret,
          linkSecret: v.linkSecret === 'genuine' ? genuine.linkSecret : v.linkSecret,
          secrets: v.secrets === 'genuine' ? genuine.secrets : v.secrets,
          entries: v.entries === 'genuine' ? genuine.entries : entryLists()[v.entries]!,
          adder: people()[v.adder].public.id,
        };
        const opened = await openBobsWelcome(await welcomeAround(await signedPayload(w, people()[v.signer])));
        // Any member may welcome: the adder must be a member and the signer the adder.
        const genuineRest =
          sameBytes(w.roomId, genuine.roomId) &&
          w.epoch === genuine.epoch &&
          sameBytes(w.epochSecret, genuine.epochSecret) &&
          sameBytes(w.linkSecret, genuine.linkSecret) &&
          sameBytes(w.secrets, genuine.secrets) &&
          w.entries.length === genuine.entries.length &&
          w.entries.every((e, i) => sameBytes(e, genuine.entries[i]!)) &&
          v.adder !== 'dave' &&
          v.signer === v.adder;
        if (genuineRest) expect(opened.ok, opened.ok ? '' : `${opened.code} ${opened.detail ?? ''}`).toBe(true);
        else expectRefused(opened, WELCOME_CODES);
      }),
      fuzzParameters(RSA_PER_RUN),
    );
  });
});
