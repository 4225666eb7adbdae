/**
 * Fuzz: the envelopes of an epoch room (PROTOCOL.md B.10) — peekSealed and the openers of
 * commits, sender-key distributions, group and direct messages and leave proposals — as
 * Bob, a member, opens them.
 *
 * Inputs: random bytes (what the relay can inject); random inner plaintexts sealed under
 * the epoch key (what any member can send); mutations of each valid envelope, of its
 * outer layer (what the relay or the network can do) and of its inner plaintext resealed
 * (what a member can do); and, signed by a real member, structurally valid inners with
 * hostile field values (keys ids, sequences, wrapped keys, epochs). Every opener returns a
 * code of its union and never accepts what the claimed sender did not make.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_FORWARD_JUMP,
  emptySenderKeyRing,
  epochMemberId,
  openCommit,
  openDirect,
  openGroup,
  openLeave,
  openSenderKeyDistribution,
  peekSealed,
  sealDirect,
  sealGroup,
  sealLeave,
  sealSenderKeyDistribution,
  type ContentKind,
} from '../../src/index.js';
import { concat, toBase64Url, u16, u32, u8, utf8 } from '../../src/bytes.js';
import { oaepEncrypt } from '../../src/webcrypto.js';
import { sealInner, withSignature } from '../../src/sealed.js';
import { COMMIT_CODES, OUTER_CODES, SEALED_CODES } from './codes.js';
import { EPOCH_TYPES, buildFuzzRoom, type EpochType, type FuzzRoom } from './room-fixture.js';
import { expectRefused, expectTotal, fuzzParameters, mutatedBytes, sameBytes } from './support.js';

/** Properties that sign or RSA-decrypt per run (a few milliseconds each) run a tenth as often. */
const RSA_PER_RUN = 10;
const INNER_TYPE_BYTES = [0x01, 0x02, 0x03, 0x04, 0x05, 0x10, 0x11, 0x12, 0x00, 0x06, 0xff];
const MAX_RANDOM_BYTES = 600;

let f: FuzzRoom;
/** The inner plaintext of each valid envelope. */
const inners = {} as Record<EpochType, Uint8Array>;

beforeAll(async () => {
  f = await buildFuzzRoom();
  for (const type of EPOCH_TYPES) {
    const peek = await peekSealed(f.bob.keys, f.epoch[type]);
    if (!peek.ok) throw new Error(`fixture: ${type} does not peek: ${peek.code}`);
    inners[type] = peek.peek.decoded.inner;
  }
});

/** Each opener as Bob, on the state and ring in which the valid sample opens. */
function open(type: EpochType, envelope: Uint8Array) {
  const { bob, roster } = f;
  switch (type) {
    case 'commit':
      return openCommit({ me: bob.me, state: bob.state, epochKeys: bob.keys, linkSecret: bob.linkSecret, envelope });
    case 'sender-key':
      return openSenderKeyDistribution({ keys: bob.keys, roster, me: bob.me, envelope, ring: emptySenderKeyRing() });
    case 'group':
      return openGroup({ keys: bob.keys, roster, envelope, ring: f.bobRing });
    case 'direct':
      return openDirect({ keys: bob.keys, roster, me: bob.me, envelope });
    case 'leave':
      return openLeave({ keys: bob.keys, roster, envelope });
  }
}

const codesOf = (type: EpochType): readonly string[] => (type === 'commit' ? COMMIT_CODES : SEALED_CODES);

/** Every opener and peekSealed on one input: totality, and none accepts. */
async function allRefuse(envelope: Uint8Array): Promise<void> {
  expectTotal(await peekSealed(f.bob.keys, envelope), SEALED_CODES);
  for (const type of EPOCH_TYPES) expectRefused(await open(type, envelope), codesOf(type));
}

/**
 * As a client routes an envelope: peek, then the opener of the type found inside, which
 * must refuse it. (A mutated type byte sends it to another opener: that one must refuse.)
 */
async function routedRefuses(envelope: Uint8Array): Promise<void> {
  const peek = await peekSealed(f.bob.keys, envelope);
  expectTotal(peek, SEALED_CODES);
  if (!peek.ok) return;
  const type = peek.peek.type as EpochType;
  expect(EPOCH_TYPES).toContain(type);
  expectRefused(await open(type, envelope), codesOf(type));
}

describe('epoch-room envelopes: the valid samples open', () => {
  it.each(EPOCH_TYPES)('%s', async (type) => {
    const opened = await open(type, f.epoch[type]);
    expect(opened.ok, opened.ok ? '' : opened.code).toBe(true);
  });
});

describe('epoch-room envelopes: total on anything', () => {
  it('random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: MAX_RANDOM_BYTES }), async (data) => allRefuse(data)),
      fuzzParameters(),
    );
  });

  it('random bytes behind a valid header (version 2, sealed)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: MAX_RANDOM_BYTES }), async (rest) => {
        const envelope = concat(u8(2), u8(0x01), rest);
        expectRefused(await peekSealed(f.bob.keys, envelope), OUTER_CODES);
        for (const type of EPOCH_TYPES) expectRefused(await open(type, envelope), codesOf(type));
      }),
      fuzzParameters(),
    );
  });

  it('random inner plaintexts sealed under the epoch key (anything a member can send)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...INNER_TYPE_BYTES), fc.uint8Array({ maxLength: MAX_RANDOM_BYTES }), async (type, rest) =>
        routedRefuses(await sealInner(f.alice.keys, concat(u8(type), rest))),
      ),
      fuzzParameters(),
    );
  });
});

describe.each(EPOCH_TYPES)('epoch-room envelopes: mutations of a valid %s', (type) => {
  it('of the sealed bytes (relay, network): refused at the outer layer', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedBytes(() => [f.epoch[type]]),
        async ({ bytes }) => {
          expectRefused(await peekSealed(f.bob.keys, bytes), OUTER_CODES);
          expectRefused(await open(type, bytes), OUTER_CODES);
        },
      ),
      fuzzParameters(),
    );
  });

  it('of the inner plaintext, resealed under the epoch key (a member forging another): refused by its opener', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedBytes(() => [inners[type]]),
        async ({ bytes }) => routedRefuses(await sealInner(f.alice.keys, bytes)),
      ),
      fuzzParameters(),
    );
  });
});

// ---- round trips ---------------------------------------------------------------------------

const payload = fc.uint8Array({ maxLength: 4_096 });
const content = fc.constantFrom<ContentKind>('message', 'file-manifest', 'file-digest');

describe('epoch-room envelopes: round trips', () => {
  it('group: what Alice seals, Bob opens, byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(payload, content, async (data, kind) => {
        const sealed = await sealGroup({ keys: f.alice.keys, me: f.alice.me, senderKey: { ...f.aliceKey, sequence: 1 }, payload: data, content: kind });
        const opened = await openGroup({ keys: f.bob.keys, roster: f.roster, envelope: sealed.envelope, ring: f.bobRing });
        if (!opened.ok) throw new Error(opened.code);
        expect([opened.payload, opened.content, opened.sequence, opened.sender.idB64]).toEqual([data, kind, 1, f.alice.state.creator]);
      }),
      fuzzParameters(RSA_PER_RUN),
    );
  });

  it('direct: what Alice seals to Bob, Bob opens; Carol cannot', async () => {
    const carolRecipientOf = await epochMemberId(f.carol.keys, f.carol.me.public.id);
    await fc.assert(
      fc.asyncProperty(payload, content, async (data, kind) => {
        const sealed = await sealDirect({ keys: f.alice.keys, me: f.alice.me, recipient: f.bobMember, payload: data, content: kind });
        const opened = await openDirect({ keys: f.bob.keys, roster: f.roster, me: f.bob.me, envelope: sealed.envelope });
        if (!opened.ok) throw new Error(opened.code);
        expect([opened.payload, opened.content]).toEqual([data, kind]);
        const carol = await openDirect({ keys: f.carol.keys, roster: f.roster, me: f.carol.me, envelope: sealed.envelope });
        expectRefused(carol, ['WRONG_RECIPIENT']);
        expect(carolRecipientOf).not.toEqual(f.bobMember.memberId);
      }),
      fuzzParameters(RSA_PER_RUN),
    );
  });

  it('sender-key distribution: the chain Alice sends is the chain Bob holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 0xffff_ffff }),
        fc.nat({ max: 0xffff_ffff }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        async (keyId, sequence, chain) => {
          const senderKey = { v: 1 as const, keyId, sequence, chainKey: toBase64Url(chain), createdAt: 0 };
          const sealed = await sealSenderKeyDistribution({ keys: f.alice.keys, me: f.alice.me, recipient: f.bobMember, senderKey });
          const opened = await openSenderKeyDistribution({
            keys: f.bob.keys,
            roster: f.roster,
            me: f.bob.me,
            envelope: sealed.envelope,
            ring: emptySenderKeyRing(),
          });
          if (!opened.ok) throw new Error(opened.code);
          expect(opened.ring.keys).toEqual([
            { sender: f.alice.state.creator, keyId, chainKey: senderKey.chainKey, next: sequence, first: sequence, skipped: [], seen: [] },
          ]);
        },
      ),
      fuzzParameters(RSA_PER_RUN),
    );
  });

  it('leave: a proposal opens as its sender and epoch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('alice', 'bob', 'carol' as const), async (who) => {
        const member = f[who];
        const sealed = await sealLeave({ keys: member.keys, me: member.me });
        const opened = await openLeave({ keys: f.bob.keys, roster: f.roster, envelope: sealed.envelope });
        if (!opened.ok) throw new Error(opened.code);
        expect([opened.sender.identity.displayName, opened.epoch]).toEqual([member.me.public.displayName, f.bob.keys.epoch]);
      }),
      fuzzParameters(RSA_PER_RUN),
    );
  });
});

// ---- a hostile member: validly signed inners with hostile field values -------------------------

/** Sequences around the window's edges, and anywhere in a u32. A jump to the edge costs the
 * receiver MAX_FORWARD_JUMP ratchet steps (about 0.1 s), so it is drawn less often. */
const sequence = fc.oneof(
  { weight: 4, arbitrary: fc.nat(8) },
  { weight: 1, arbitrary: fc.integer({ min: MAX_FORWARD_JUMP - 2, max: MAX_FORWARD_JUMP + 2 }) },
  { weight: 2, arbitrary: fc.constant(0xffff_ffff) },
  { weight: 2, arbitrary: fc.nat({ max: 0xffff_ffff }) },
);
const u32Value = fc.oneof(fc.constant(0), fc.constant(0xffff_ffff), fc.nat({ max: 0xffff_ffff }));
const contentByte = fc.oneof(fc.constantFrom(0x01, 0x02, 0x03), fc.nat(255));
const ciphertext = fc.uint8Array({ minLength: 16, maxLength: 256 });

describe('epoch-room envelopes: a member signs hostile field values', () => {
  it('group: any key id, sequence, content kind, IV and ciphertext under a valid signature is refused', async () => {
    const aliceMemberId = await epochMemberId(f.alice.keys, f.alice.me.public.id);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(f.aliceKey.keyId), u32Value),
        sequence,
        contentByte,
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        ciphertext,
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        async (keyId, seq, kind, iv, ct, messageId) => {
          const signed = concat(u8(0x03), aliceMemberId, messageId, u32(keyId), u32(seq), u8(kind), iv, u32(ct.length), ct);
          const envelope = await sealInner(f.alice.keys, await withSignature(f.alice.me, f.alice.keys.context, signed));
          expectRefused(await openGroup({ keys: f.bob.keys, roster: f.roster, envelope, ring: f.bobRing }), SEALED_CODES);
        },
      ),
      fuzzParameters(RSA_PER_RUN),
    );
  });

  it('sender-key: any room, sender, recipient, key id, sequence and length inside a wrapped key to Bob is refused or names exactly the signed ones', async () => {
    const aliceMemberId = await epochMemberId(f.alice.keys, f.alice.me.public.id);
    const fields = fc.record({
      room: fc.oneof(fc.constant(f.alice.keys.roomId), fc.uint8Array({ minLength: 32, maxLength: 32 })),
      from: fc.constantFrom(f.alice.me.public.id, f.bob.me.public.id, f.carol.me.public.id, aliceMemberId),
      to: fc.constantFrom(f.bob.me.public.id, f.carol.me.public.id, f.bobMember.memberId),
      innerKeyId: fc.oneof(fc.constant(7), u32Value),
      outerKeyId: fc.oneof(fc.constant(7), u32Value),
      seq: u32Value,
      chain: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      extra: fc.uint8Array({ maxLength: 2 }),
      truncate: fc.boolean(),
      label: fc.constantFrom('sealroom/v2/sender-key', 'sealroom/v2/direct-key', 'sealroom/sender-key/v1'),
    });
    await fc.assert(
      fc.asyncProperty(fields, fc.uint8Array({ minLength: 16, maxLength: 16 }), async (v, messageId) => {
        let plaintext = concat(v.room, v.from, v.to, u32(v.innerKeyId), u32(v.seq), v.chain, v.extra);
        if (v.truncate) plaintext = plaintext.subarray(0, plaintext.length - 1);
        const wrapped = await oaepEncrypt(f.bob.me.public.encryptionKey, utf8(v.label), plaintext);
        const signed = concat(u8(0x02), aliceMemberId, messageId, f.bobMember.memberId, u32(v.outerKeyId), u16(wrapped.length), wrapped);
        const envelope = await sealInner(f.alice.keys, await withSignature(f.alice.me, f.alice.keys.context, signed));
        const opened = await openSenderKeyDistribution({ keys: f.bob.keys, roster: f.roster, me: f.bob.me, envelope, ring: emptySenderKeyRing() });
        // Judged on the bytes wrapped, not on how they were drawn: one extra byte, truncated, is none.
        const canonical = concat(v.room, v.from, v.to, u32(v.innerKeyId), u32(v.seq), v.chain);
        const honest =
          v.label === 'sealroom/v2/sender-key' &&
          sameBytes(plaintext, canonical) &&
          sameBytes(v.room, f.alice.keys.roomId) &&
          sameBytes(v.from, f.alice.me.public.id) &&
          sameBytes(v.to, f.bob.me.public.id) &&
          v.innerKeyId === v.outerKeyId;
        // Honest fields are a genuine distribution by Alice (her key id and chain are hers to choose).
        if (honest) expect(opened.ok && [opened.keyId, opened.sequence]).toEqual([v.outerKeyId, v.seq]);
        else expectRefused(opened, SEALED_CODES);
      }),
      fuzzParameters(RSA_PER_RUN),
    );
  });

  it('direct: any room, sender, recipient and key length inside the wrapped key, any content kind, is refused', async () => {
    const aliceMemberId = await epochMemberId(f.alice.keys, f.alice.me.public.id);
    const fields = fc.record({
      room: fc.oneof(fc.constant(f.alice.keys.roomId), fc.uint8Array({ minLength: 32, maxLength: 32 })),
      from: fc.constantFrom(f.alice.me.public.id, f.carol.me.public.id),
      to: fc.constantFrom(f.bob.me.public.id, f.carol.me.public.id),
      key: fc.uint8Array({ minLength: 31, maxLength: 33 }),
      kind: contentByte,
      iv: fc.uint8Array({ minLength: 12, maxLength: 12 }),
      ct: ciphertext,
    });
    await fc.assert(
      fc.asyncProperty(fields, fc.uint8Array({ minLength: 16, maxLength: 16 }), async (v, messageId) => {
        const wrapped = await oaepEncrypt(f.bob.me.public.encryptionKey, utf8('sealroom/v2/direct-key'), concat(v.room, v.from, v.to, v.key));
        const head = concat(u8(0x04), aliceMemberId, messageId, f.bobMember.memberId, u8(v.kind));
        const signed = concat(head, u16(wrapped.length), wrapped, v.iv, u32(v.ct.length), v.ct);
        const envelope = await sealInner(f.alice.keys, await withSignature(f.alice.me, f.alice.keys.context, signed));
        // The ciphertext is random: even a well-formed key cannot open it.
        expectRefused(await openDirect({ keys: f.bob.keys, roster: f.roster, me: f.bob.me, envelope }), SEALED_CODES);
      }),
      fuzzParameters(RSA_PER_RUN),
    );
  });

  it('leave: a signed proposal is accepted exactly when it names this epoch', async () => {
    const carolMemberId = await epochMemberId(f.carol.keys, f.carol.me.public.id);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(f.bob.keys.epoch), u32Value, fc.nat(8)),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        async (epoch, messageId) => {
          const signed = concat(u8(0x05), carolMemberId, messageId, u32(epoch));
          const envelope = await sealInner(f.carol.keys, await withSignature(f.carol.me, f.carol.keys.context, signed));
          const opened = await openLeave({ keys: f.bob.keys, roster: f.roster, envelope });
          if (epoch === f.bob.keys.epoch) expect(opened.ok).toBe(true);
          else expectRefused(opened, ['WRONG_EPOCH']);
        },
      ),
      fuzzParameters(RSA_PER_RUN),
    );
  });
});
