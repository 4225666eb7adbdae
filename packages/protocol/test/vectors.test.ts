/** The JSON vectors in test/vectors/ must hold: exact values for derivations, and sealed
 * envelopes that open with the given keys while their tampered copies fail with their code. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  admissionProof,
  computeSafetyNumber,
  deriveRoomKeys,
  fromBase64Url,
  importPublicIdentityJson,
  memberIdOf,
  openDirectMessage,
  openGroupMessage,
  openJoinAnnouncement,
  parseInviteV1 as parseInvite,
  toBase64Url,
  toHex,
  type LocalIdentity,
  type RoomMember,
  type SenderKeyRing,
} from '../src/index.js';
import { importPrivateKeys } from '../src/identity.js';

interface VectorIdentity {
  displayName: string;
  idHex: string;
  encryptionSpki: string;
  signingSpki: string;
  encryptionPkcs8: string;
  signingPkcs8: string;
}
interface Tampered {
  what: string;
  envelope: string;
  code: string;
  inboundSequence?: number;
}
const vectors = JSON.parse(readFileSync(new URL('./vectors/protocol-v1.json', import.meta.url), 'utf8')) as {
  identities: { alice: VectorIdentity; bob: VectorIdentity };
  roomKeys: Record<string, string>;
  safetyNumber: { digits: string; display: string; scannable: string };
  invite: { url: string; secret: string; creatorIdHex: string; relayUrl: string; roomName: string; baseUrl: string };
  groupMessage: {
    inboundSenderKey: { keyId: number; chainKey: string; sequence: number };
    sequence: number;
    envelope: string;
    payload: string;
    tampered: Tampered[];
  };
  directMessage: { envelope: string; payload: string; tampered: Tampered[] };
  joinAnnouncement: { envelope: string; tampered: Tampered[] };
};

const bytes = (s: string): Uint8Array => {
  const out = fromBase64Url(s);
  if (out === undefined) throw new Error(`bad base64url in vectors: ${s.slice(0, 16)}`);
  return out;
};

async function local(v: VectorIdentity): Promise<LocalIdentity> {
  const imported = await importPublicIdentityJson({ v: 1, displayName: v.displayName, encryptionSpki: v.encryptionSpki, signingSpki: v.signingSpki });
  if (!imported.ok) throw new Error(imported.code);
  expect(imported.identity.idHex).toBe(v.idHex);
  return { public: imported.identity, ...(await importPrivateKeys(bytes(v.encryptionPkcs8), bytes(v.signingPkcs8))) };
}

describe('protocol v1 vectors', async () => {
  const alice = await local(vectors.identities.alice);
  const bob = await local(vectors.identities.bob);
  const keys = await deriveRoomKeys(bytes(vectors.roomKeys.secret!));
  const aliceMember: RoomMember = { memberId: bytes(vectors.roomKeys.aliceMemberId!), identity: alice.public };
  const ring = (sequence: number): SenderKeyRing => ({
    v: 1,
    keys: [
      {
        sender: vectors.roomKeys.aliceMemberId!,
        keyId: vectors.groupMessage.inboundSenderKey.keyId,
        chainKey: vectors.groupMessage.inboundSenderKey.chainKey,
        next: sequence,
        first: sequence,
        skipped: [],
        seen: [],
      },
    ],
  });

  it('HKDF room keys, admission MAC and member ids', async () => {
    expect(toBase64Url(keys.roomId)).toBe(vectors.roomKeys.roomId);
    expect(toBase64Url(keys.admissionKey)).toBe(vectors.roomKeys.admissionKey);
    expect(toBase64Url(await admissionProof(keys.admissionKey, keys.roomId, bytes(vectors.roomKeys.nonce!)))).toBe(vectors.roomKeys.admissionMac);
    expect(toBase64Url(await memberIdOf(keys, alice.public.id))).toBe(vectors.roomKeys.aliceMemberId);
    expect(toBase64Url(await memberIdOf(keys, bob.public.id))).toBe(vectors.roomKeys.bobMemberId);
  });

  it('safety number from fixed public keys', async () => {
    const safety = await computeSafetyNumber(alice.public, bob.public);
    expect(safety.digits).toBe(vectors.safetyNumber.digits);
    expect(safety.display).toBe(vectors.safetyNumber.display);
    expect(safety.scannable).toBe(vectors.safetyNumber.scannable);
  });

  it('invite link round trip', () => {
    const parsed = parseInvite(vectors.invite.url);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(toBase64Url(parsed.invite.secret)).toBe(vectors.invite.secret);
    expect(toHex(parsed.invite.creatorId)).toBe(vectors.invite.creatorIdHex);
    expect(parsed.invite.relayUrl).toBe(vectors.invite.relayUrl);
    expect(parsed.invite.roomName).toBe(vectors.invite.roomName);
    expect(parsed.baseUrl).toBe(vectors.invite.baseUrl);
  });

  it('sealed group message opens with the given sender key; tampered copies fail with their code', async () => {
    const opened = await openGroupMessage({
      roomKeys: keys,
      sender: aliceMember,
      envelope: bytes(vectors.groupMessage.envelope),
      ring: ring(vectors.groupMessage.inboundSenderKey.sequence),
    });
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(new TextDecoder().decode(opened.payload)).toBe(vectors.groupMessage.payload);
    expect(opened.sequence).toBe(vectors.groupMessage.sequence);
    for (const t of vectors.groupMessage.tampered) {
      const result = await openGroupMessage({
        roomKeys: keys,
        sender: aliceMember,
        envelope: bytes(t.envelope),
        ring: ring(t.inboundSequence ?? vectors.groupMessage.inboundSenderKey.sequence),
      });
      expect(result, t.what).toMatchObject({ ok: false, code: t.code });
    }
  });

  it('sealed direct message opens for Bob; tampered copies fail with their code', async () => {
    const opened = await openDirectMessage({ roomKeys: keys, me: bob, sender: aliceMember, envelope: bytes(vectors.directMessage.envelope) });
    expect(opened.ok && new TextDecoder().decode(opened.payload)).toBe(vectors.directMessage.payload);
    for (const t of vectors.directMessage.tampered) {
      expect(await openDirectMessage({ roomKeys: keys, me: bob, sender: aliceMember, envelope: bytes(t.envelope) }), t.what).toMatchObject({
        ok: false,
        code: t.code,
      });
    }
  });

  it('join announcement opens to Alice; tampered copy fails', async () => {
    const opened = await openJoinAnnouncement({ roomKeys: keys, envelope: bytes(vectors.joinAnnouncement.envelope) });
    expect(opened.ok && opened.member.identity.idHex).toBe(alice.public.idHex);
    for (const t of vectors.joinAnnouncement.tampered) {
      expect(await openJoinAnnouncement({ roomKeys: keys, envelope: bytes(t.envelope) }), t.what).toMatchObject({ ok: false, code: t.code });
    }
  });
});
