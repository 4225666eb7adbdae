/**
 * Regenerates protocol-v1.json: `pnpm tsx packages/protocol/test/vectors/generate.ts`.
 * The identities in the file are test keys made for these vectors only; never use them.
 * Deterministic values (HKDF, admission MAC, member ids, safety number, invite) must never
 * change for protocol version 1; sealed envelopes are random per run but must keep opening.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  admissionProof,
  computeSafetyNumber,
  createSenderKey,
  deriveRoomKeys,
  formatInviteV1 as formatInvite,
  generateIdentity,
  memberIdOf,
  roomMember,
  sealDirectMessage,
  sealGroupMessage,
  sealJoinAnnouncement,
  toBase64Url,
  toHex,
} from '../../src/index.js';

const b = toBase64Url;
const alice = await generateIdentity('Alice');
const bob = await generateIdentity('Bob');
const secret = new Uint8Array(32).map((_, i) => i);
const nonce = new Uint8Array(32).map((_, i) => 0xff - i);
const keys = await deriveRoomKeys(secret);
const bobMember = await roomMember(keys, bob.public);

const senderKey = { ...createSenderKey({ now: 0 }), keyId: 0x01020304, chainKey: b(new Uint8Array(32).fill(0x42)), sequence: 5 };
const group = await sealGroupMessage({ roomKeys: keys, me: alice, senderKey, payload: new TextEncoder().encode('{"text":"hello, vectors"}') });
const direct = await sealDirectMessage({ roomKeys: keys, me: alice, recipient: bobMember, payload: new TextEncoder().encode('{"text":"only bob"}') });
const join = await sealJoinAnnouncement({ roomKeys: keys, me: alice });

function tamper(envelope: Uint8Array, index: number): string {
  const out = envelope.slice();
  out[index] = (out[index] ?? 0) ^ 0x01;
  return b(out);
}
function tampered(envelope: Uint8Array, bodyCode: string) {
  return [
    { what: 'version byte flipped', envelope: tamper(envelope, 0), code: 'BAD_VERSION' },
    { what: 'room id byte flipped', envelope: tamper(envelope, 2), code: 'WRONG_ROOM' },
    { what: 'sender byte flipped', envelope: tamper(envelope, 34), code: 'WRONG_SENDER' },
    { what: 'last ciphertext byte before the signature flipped', envelope: tamper(envelope, envelope.length - 385), code: bodyCode },
    { what: 'last signature byte flipped', envelope: tamper(envelope, envelope.length - 1), code: 'BAD_SIGNATURE' },
    { what: 'truncated by one byte', envelope: b(envelope.slice(0, -1)), code: 'BAD_LENGTH' },
  ];
}

const identity = (g: typeof alice) => ({
  displayName: g.public.displayName,
  idHex: g.public.idHex,
  encryptionSpki: b(g.public.encryptionSpki),
  signingSpki: b(g.public.signingSpki),
  encryptionPkcs8: b(g.encryptionPkcs8),
  signingPkcs8: b(g.signingPkcs8),
});

const safety = await computeSafetyNumber(alice.public, bob.public);
const vectors = {
  description: 'Sealroom protocol v1 test vectors. Byte strings are base64url without padding. TEST KEYS ONLY.',
  identities: { alice: identity(alice), bob: identity(bob) },
  roomKeys: {
    secret: b(secret),
    roomId: b(keys.roomId),
    admissionKey: b(keys.admissionKey),
    nonce: b(nonce),
    admissionMac: b(await admissionProof(keys.admissionKey, keys.roomId, nonce)),
    aliceMemberId: b(await memberIdOf(keys, alice.public.id)),
    bobMemberId: b(bobMember.memberId),
  },
  safetyNumber: { digits: safety.digits, display: safety.display, scannable: safety.scannable },
  invite: {
    url: formatInvite({ secret, creatorId: alice.public.id, relayUrl: 'wss://relay.example/ws', roomName: 'Vectors', baseUrl: 'https://sealroom.example/' }),
    secret: b(secret),
    creatorIdHex: toHex(alice.public.id),
    relayUrl: 'wss://relay.example/ws',
    roomName: 'Vectors',
    baseUrl: 'https://sealroom.example/',
  },
  groupMessage: {
    inboundSenderKey: { keyId: senderKey.keyId, chainKey: senderKey.chainKey, sequence: 5 },
    sequence: 5,
    envelope: b(group.envelope),
    payload: '{"text":"hello, vectors"}',
    tampered: [
      ...tampered(group.envelope, 'BAD_SIGNATURE'),
      { what: 'sequence before the key', envelope: b(group.envelope), code: 'BEFORE_KEY', inboundSequence: 6 },
    ],
  },
  directMessage: { envelope: b(direct.envelope), payload: '{"text":"only bob"}', tampered: tampered(direct.envelope, 'BAD_SIGNATURE') },
  joinAnnouncement: {
    envelope: b(join.envelope),
    tampered: [{ what: 'ciphertext byte flipped', envelope: tamper(join.envelope, join.envelope.length - 1), code: 'BAD_TAG' }],
  },
};

const out = fileURLToPath(new URL('./protocol-v1.json', import.meta.url));
writeFileSync(out, `${JSON.stringify(vectors, null, 2)}\n`);
console.log(`wrote ${out}`);
