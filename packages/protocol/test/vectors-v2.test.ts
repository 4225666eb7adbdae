/**
 * The v2 vectors in test/vectors/protocol-v2.json must hold: exact values for everything
 * deterministic, and every signed or sealed value opens and verifies with the given keys
 * while its tampered copies fail with their code.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FileDigest,
  applyEntry,
  decodeFileDigest,
  decodeFileManifest,
  deriveEpochKeys,
  deriveLobbyKeys,
  encodeFileManifest,
  entryHash,
  epochKeysFor,
  epochMemberId,
  formatInvite,
  importBackup,
  importFileKey,
  importPublicIdentityJson,
  loadRoster,
  membershipHash,
  openAtRest,
  openCommit,
  openDecline,
  openDirect,
  openFileChunk,
  openGroup,
  openKnock,
  openLeave,
  openSenderKeyDistribution,
  openWelcome,
  parseInvite,
  peekSealed,
  relayWebSocketUrl,
  roomIdOf,
  toBase64Url,
  unwrapIdentity,
  verifyLog,
  type LocalIdentity,
  type LogState,
  type SenderKeyRing,
} from '../src/index.js';
import { epochKeyMaterial, lobbyKeyMaterial } from '../src/epoch-keys.js';
import { importPrivateKeys } from '../src/identity.js';
import { ratchetStep } from '../src/sender-keys.js';

type Name = 'alice' | 'bob' | 'carol' | 'dave';
interface Tampered {
  what: string;
  envelope: string;
  code: string;
}
interface Summary {
  membershipHash: string;
  roster: Array<{ name: Name; role: string; joinedAt: number }>;
  removed: Name[];
  timerSeconds: number;
  link: unknown;
  linkEpoch: number;
}
const v = JSON.parse(readFileSync(new URL('./vectors/protocol-v2.json', import.meta.url), 'utf8')) as {
  identities: Record<Name, { displayName: string; idHex: string; encryptionSpki: string; signingSpki: string; encryptionPkcs8: string; signingPkcs8: string }>;
  keySchedule: Record<string, string> & { epoch: number; memberIds: Record<'alice' | 'bob', string> };
  lobbyKeys: Record<string, string>;
  membershipHash: { members: Array<{ name: Name; role: 'admin' | 'member' }>; hash: string };
  log: {
    roomId: string;
    entries: Array<{ epoch: number; action: string; author: Name; entry: string; entryHash: string; linkReset: boolean } & Summary>;
    epochSecrets: string[];
    linkSecrets: string[];
    commits: Array<{ epoch: number; envelope: string; openAs: Name; tampered: Tampered[] }>;
    tamperedEntries: Array<{ what: string; entry: string; code: string }>;
  };
  envelopes: {
    epoch: number;
    senderKey: { envelope: string; inner: string; keyId: number; sequence: number; chainKey: string; tampered: Tampered[] };
    group: {
      inboundSenderKey: { keyId: number; chainKey: string; sequence: number };
      messages: Array<{ sequence: number; envelope: string; inner: string; content: string; payload: string }>;
      openOrder: number[];
      chain: Array<{ sequence: number; chainKey: string; messageKey: string; nextChainKey: string }>;
      tampered: Tampered[];
    };
    direct: { envelope: string; inner: string; payload: string; tampered: Tampered[] };
    leave: { envelope: string; inner: string; tampered: Tampered[] };
  };
  lobby: {
    epoch: number;
    knock: { envelope: string; knockId: string };
    welcome: { envelope: string; epoch: number; tampered: Tampered[] };
    decline: { envelope: string; knockId: string; reason: string };
  };
  files: {
    manifest: { fileId: string; name: string; type: string; size: number; chunkSize: number; chunkCount: number; fileKey: string; encoded: string };
    plaintext: string;
    chunks: string[];
    digest: string;
    trailer: string;
    tamperedChunk: Tampered[];
  };
  invite: { url: string; roomId: string; linkSecret: string; relayUrl: string; roomName: string; approval: boolean; baseUrl: string };
  relayWebSocketUrls: Array<[string, string]>;
  wrappedIdentity: { password: string; wrapped: unknown; backupText: string; atRest: { label: string; plaintext: string; record: string } };
};

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64url'));
const text = (s: Uint8Array): string => new TextDecoder().decode(s);
const names = Object.keys(v.identities) as Name[];
const ids = Object.fromEntries(names.map((n) => [Buffer.from(v.identities[n].idHex, 'hex').toString('base64url'), n])) as Record<string, Name>;

async function local(name: Name): Promise<LocalIdentity> {
  const i = v.identities[name];
  const imported = await importPublicIdentityJson({ v: 1, displayName: i.displayName, encryptionSpki: i.encryptionSpki, signingSpki: i.signingSpki });
  if (!imported.ok) throw new Error(imported.code);
  expect(imported.identity.idHex).toBe(i.idHex);
  return { public: imported.identity, ...(await importPrivateKeys(bytes(i.encryptionPkcs8), bytes(i.signingPkcs8))) };
}

function summaryOf(state: LogState): Summary {
  return {
    membershipHash: state.epochs[state.epoch]!.membershipHash,
    roster: state.members.map((m) => ({ name: ids[m.id]!, role: m.role, joinedAt: m.joinedAt })),
    removed: state.removed.map((id) => ids[id]!),
    timerSeconds: state.timerSeconds,
    link: state.link,
    linkEpoch: state.linkEpoch,
  };
}

describe('protocol v2 vectors', async () => {
  const people = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await local(n)] as const))) as Record<Name, LocalIdentity>;
  const roomId = bytes(v.log.roomId);
  const entries = v.log.entries.map((e) => bytes(e.entry));
  const stateAt = async (epoch: number): Promise<LogState> => {
    const r = await verifyLog(entries.slice(0, epoch + 1), roomId);
    if (!r.ok) throw new Error(`${r.code} ${r.detail ?? ''}`);
    return r.state;
  };

  it('key schedule: epoch keys, context, member ids, lobby keys, membership hash', async () => {
    const ks = v.keySchedule;
    const m = await epochKeyMaterial(bytes(ks.roomId!), ks.epoch, bytes(ks.epochSecret!));
    expect(toBase64Url(m.relayRoomId)).toBe(ks.relayRoomId);
    expect(toBase64Url(m.admissionKey)).toBe(ks.admissionKey);
    expect(toBase64Url(m.envelopeKey)).toBe(ks.envelopeKey);
    expect(toBase64Url(m.memberIdKey)).toBe(ks.memberIdKey);
    expect(toBase64Url(m.linkWrapKey)).toBe(ks.linkWrapKey);
    const keys = await deriveEpochKeys(bytes(ks.roomId!), ks.epoch, bytes(ks.epochSecret!), bytes(ks.head!), bytes(ks.membershipHash!));
    expect(toBase64Url(keys.context)).toBe(ks.context);
    expect(toBase64Url(await epochMemberId(keys, people.alice.public.id))).toBe(ks.memberIds.alice);
    expect(toBase64Url(createHmac('sha256', bytes(ks.memberIdKey!)).update(people.bob.public.id).digest())).toBe(ks.memberIds.bob);
    const l = await lobbyKeyMaterial(bytes(v.lobbyKeys.linkSecret!));
    expect([toBase64Url(l.relayRoomId), toBase64Url(l.admissionKey), toBase64Url(l.lobbyKey)]).toEqual([
      v.lobbyKeys.relayRoomId,
      v.lobbyKeys.admissionKey,
      v.lobbyKeys.lobbyKey,
    ]);
    const hash = await membershipHash(v.membershipHash.members.map((x) => ({ id: people[x.name].public.id, role: x.role })));
    expect(toBase64Url(hash)).toBe(v.membershipHash.hash);
  });

  it('the log: room id, entry hashes, and the state after every entry', async () => {
    expect(toBase64Url(await roomIdOf(entries[0]!))).toBe(v.log.roomId);
    for (const [k, e] of v.log.entries.entries()) {
      expect(toBase64Url(await entryHash(entries[k]!))).toBe(e.entryHash);
      const state = await stateAt(k);
      expect(state.epoch).toBe(e.epoch);
      expect(summaryOf(state), `after entry ${k} (${e.action})`).toEqual({
        membershipHash: e.membershipHash,
        roster: e.roster,
        removed: e.removed,
        timerSeconds: e.timerSeconds,
        link: e.link,
        linkEpoch: e.linkEpoch,
      });
    }
    const state2 = await stateAt(2);
    for (const t of v.log.tamperedEntries) expect(await applyEntry(state2, bytes(t.entry)), t.what).toMatchObject({ ok: false, code: t.code });
  });

  it('every commit opens in the previous epoch room to the next epoch secret and link secret', async () => {
    for (const c of v.log.commits) {
      const before = await stateAt(c.epoch - 1);
      const keys = await epochKeysFor(before, bytes(v.log.epochSecrets[c.epoch - 1]!));
      const me = people[c.openAs];
      const linkSecret = bytes(v.log.linkSecrets[c.epoch - 1]!);
      const opened = await openCommit({ me, state: before, epochKeys: keys, linkSecret, envelope: bytes(c.envelope) });
      if (!opened.ok) throw new Error(`commit ${c.epoch}: ${opened.code} ${opened.detail ?? ''}`);
      expect(opened.state).toEqual(await stateAt(c.epoch));
      if (opened.removedMe) {
        expect(opened.state.members.some((m) => ids[m.id] === c.openAs)).toBe(false);
      } else {
        expect(toBase64Url(opened.epochSecret)).toBe(v.log.epochSecrets[c.epoch]);
        expect(toBase64Url(opened.linkSecret)).toBe(v.log.linkSecrets[c.epoch]);
        expect(opened.linkReset).toBe(v.log.entries[c.epoch]!.linkReset);
      }
      for (const t of c.tampered)
        expect(await openCommit({ me, state: before, epochKeys: keys, linkSecret, envelope: bytes(t.envelope) }), t.what).toMatchObject({
          ok: false,
          code: t.code,
        });
      // Replayed after it was applied: stale.
      expect(await openCommit({ me, state: await stateAt(c.epoch), epochKeys: keys, linkSecret, envelope: bytes(c.envelope) })).toMatchObject({
        ok: false,
        code: 'STALE_COMMIT',
      });
    }
  });

  it('epoch-room envelopes: inner plaintexts, sender key, group messages out of order, direct, leave', async () => {
    const state = await stateAt(v.envelopes.epoch);
    const keys = await epochKeysFor(state, bytes(v.log.epochSecrets[v.envelopes.epoch]!));
    const roster = await loadRoster(state, keys);
    const inner = async (envelope: string) => {
      const p = await peekSealed(keys, bytes(envelope));
      if (!p.ok) throw new Error(p.code);
      return toBase64Url(p.peek.decoded.inner);
    };
    const sk = v.envelopes.senderKey;
    expect(await inner(sk.envelope)).toBe(sk.inner);
    const dist = await openSenderKeyDistribution({ keys, roster, me: people.bob, envelope: bytes(sk.envelope), ring: { v: 1, keys: [] } });
    expect(dist).toMatchObject({ ok: true, keyId: sk.keyId, sequence: sk.sequence });
    expect(dist.ok && dist.ring.keys[0]!.chainKey).toBe(sk.chainKey);
    for (const t of sk.tampered)
      expect(await openSenderKeyDistribution({ keys, roster, me: people.bob, envelope: bytes(t.envelope), ring: { v: 1, keys: [] } }), t.what).toMatchObject({
        ok: false,
        code: t.code,
      });

    const g = v.envelopes.group;
    for (const step of g.chain) {
      const { messageKey, nextChainKey } = await ratchetStep(bytes(step.chainKey));
      expect([toBase64Url(messageKey), toBase64Url(nextChainKey)]).toEqual([step.messageKey, step.nextChainKey]);
      expect(
        toBase64Url(
          createHmac('sha256', bytes(step.chainKey))
            .update(Buffer.from([1]))
            .digest(),
        ),
      ).toBe(step.messageKey);
    }
    let ring: SenderKeyRing = {
      v: 1,
      keys: [
        {
          sender: toBase64Url(people.alice.public.id),
          keyId: g.inboundSenderKey.keyId,
          chainKey: g.inboundSenderKey.chainKey,
          next: g.inboundSenderKey.sequence,
          first: g.inboundSenderKey.sequence,
          skipped: [],
          seen: [],
        },
      ],
    };
    for (const sequence of g.openOrder) {
      const m = g.messages.find((x) => x.sequence === sequence)!;
      expect(await inner(m.envelope)).toBe(m.inner);
      const opened = await openGroup({ keys, roster, envelope: bytes(m.envelope), ring });
      if (!opened.ok) throw new Error(`group ${sequence}: ${opened.code}`);
      expect([opened.sequence, opened.content, text(opened.payload), opened.sender.identity.displayName]).toEqual([sequence, m.content, m.payload, 'Alice']);
      ring = opened.ring;
      if (sequence === g.openOrder[0]) {
        // Opening 7 first keeps the keys of 5 and 6 as skipped keys.
        expect(ring.keys[0]!.skipped).toEqual(g.chain.filter((c) => c.sequence < sequence).map((c) => [c.sequence, c.messageKey]));
      }
      expect(await openGroup({ keys, roster, envelope: bytes(m.envelope), ring }), 'replay').toMatchObject({ ok: false, code: 'DUPLICATE' });
    }
    for (const t of g.tampered) expect(await openGroup({ keys, roster, envelope: bytes(t.envelope), ring }), t.what).toMatchObject({ ok: false, code: t.code });

    const d = v.envelopes.direct;
    expect(await inner(d.envelope)).toBe(d.inner);
    const direct = await openDirect({ keys, roster, me: people.bob, envelope: bytes(d.envelope) });
    expect(direct.ok && text(direct.payload)).toBe(d.payload);
    expect(await openDirect({ keys, roster, me: people.carol, envelope: bytes(d.envelope) })).toMatchObject({ ok: false, code: 'WRONG_RECIPIENT' });
    for (const t of d.tampered)
      expect(await openDirect({ keys, roster, me: people.bob, envelope: bytes(t.envelope) }), t.what).toMatchObject({ ok: false, code: t.code });

    const l = v.envelopes.leave;
    const leave = await openLeave({ keys, roster, envelope: bytes(l.envelope) });
    expect(leave.ok && [toBase64Url(leave.proposal), leave.sender.identity.displayName, leave.epoch]).toEqual([l.inner, 'Bob', v.envelopes.epoch]);
    for (const t of l.tampered) expect(await openLeave({ keys, roster, envelope: bytes(t.envelope) }), t.what).toMatchObject({ ok: false, code: t.code });
    // The previous epoch's keys open none of it.
    const previous = await epochKeysFor(state, bytes(v.log.epochSecrets[v.envelopes.epoch - 1]!), v.envelopes.epoch - 1);
    expect(await openDirect({ keys: previous, roster, me: people.bob, envelope: bytes(d.envelope) })).toMatchObject({ ok: false, code: 'BAD_TAG' });
  });

  it('lobby: knock, welcome (verified back to genesis), decline', async () => {
    const lobbyKeys = await deriveLobbyKeys(bytes(v.log.linkSecrets[v.lobby.epoch]!));
    const knock = await openKnock({ lobbyKeys, envelope: bytes(v.lobby.knock.envelope) });
    expect(knock.ok && [knock.identity.idHex, toBase64Url(knock.knockId)]).toEqual([v.identities.dave.idHex, v.lobby.knock.knockId]);
    const knockId = bytes(v.lobby.knock.knockId);
    const welcome = await openWelcome({ lobbyKeys, me: people.dave, knockId, roomId, envelope: bytes(v.lobby.welcome.envelope) });
    if (!welcome.ok) throw new Error(`${welcome.code} ${welcome.detail ?? ''}`);
    expect(welcome.state).toEqual(await stateAt(v.lobby.welcome.epoch));
    expect(toBase64Url(welcome.epochSecret)).toBe(v.log.epochSecrets[v.lobby.welcome.epoch]);
    expect(toBase64Url(welcome.linkSecret)).toBe(v.log.linkSecrets[v.lobby.welcome.epoch]);
    expect(ids[welcome.adder]).toBe('carol');
    expect(await openWelcome({ lobbyKeys, me: people.dave, knockId, roomId: new Uint8Array(32), envelope: bytes(v.lobby.welcome.envelope) })).toMatchObject({
      ok: false,
      code: 'WRONG_ROOM',
    });
    for (const t of v.lobby.welcome.tampered)
      expect(await openWelcome({ lobbyKeys, me: people.dave, knockId, roomId, envelope: bytes(t.envelope) }), t.what).toMatchObject({
        ok: false,
        code: t.code,
      });
    expect(await openDecline({ lobbyKeys, envelope: bytes(v.lobby.decline.envelope) })).toMatchObject({
      ok: true,
      reason: v.lobby.decline.reason,
      knockId: bytes(v.lobby.decline.knockId),
    });
  });

  it('files: manifest bytes, chunks, digest and trailer', async () => {
    const f = v.files;
    const manifest = { ...f.manifest, fileId: bytes(f.manifest.fileId), fileKey: bytes(f.manifest.fileKey) };
    const { encoded: _encoded, ...fields } = manifest;
    expect(toBase64Url(encodeFileManifest(fields))).toBe(f.manifest.encoded);
    expect(decodeFileManifest(bytes(f.manifest.encoded))).toMatchObject({ ok: true, manifest: fields });
    const fileKey = await importFileKey(fields);
    const digest = new FileDigest(fields.size, fields.chunkSize);
    const pieces: Uint8Array[] = [];
    for (const chunk of f.chunks) {
      const opened = await openFileChunk({ manifest: fields, fileKey, envelope: bytes(chunk) });
      if (!opened.ok) throw new Error(opened.code);
      pieces[opened.index] = opened.data;
      await digest.add(opened.index, opened.data);
    }
    expect(toBase64Url(Buffer.concat(pieces))).toBe(f.plaintext);
    expect(toBase64Url((await digest.finish())!)).toBe(f.digest);
    expect(decodeFileDigest(bytes(f.trailer))).toMatchObject({ ok: true, fileId: fields.fileId, digest: bytes(f.digest) });
    for (const t of f.tamperedChunk)
      expect(await openFileChunk({ manifest: fields, fileKey, envelope: bytes(t.envelope) }), t.what).toMatchObject({ ok: false, code: t.code });
  });

  it('invite link and relay endpoints', () => {
    const i = v.invite;
    expect(
      formatInvite({
        baseUrl: i.baseUrl,
        roomId: bytes(i.roomId),
        linkSecret: bytes(i.linkSecret),
        relayUrl: i.relayUrl,
        roomName: i.roomName,
        approval: i.approval,
      }),
    ).toBe(i.url);
    expect(parseInvite(i.url)).toMatchObject({
      ok: true,
      baseUrl: i.baseUrl,
      invite: { roomId: bytes(i.roomId), linkSecret: bytes(i.linkSecret), relayUrl: i.relayUrl, roomName: i.roomName, approval: true },
    });
    for (const [address, url] of v.relayWebSocketUrls) expect(relayWebSocketUrl(address)).toEqual({ ok: true, url });
  });

  it('wrapped identity (B.2), backup file and an at-rest record (B.3)', async () => {
    const w = v.wrappedIdentity;
    expect(await unwrapIdentity(w.wrapped, `${w.password}!`)).toMatchObject({ ok: false, code: 'WRONG_PASSWORD' });
    const unlocked = await unwrapIdentity(w.wrapped, w.password);
    if (!unlocked.ok) throw new Error(unlocked.code);
    expect(unlocked.unlocked.public.idHex).toBe(v.identities.alice.idHex);
    expect(await importBackup(w.backupText, w.password)).toMatchObject({ ok: true });
    const record = bytes(w.atRest.record);
    const opened = await openAtRest(unlocked.unlocked.storageKey, w.atRest.label, record);
    expect(opened.ok && toBase64Url(opened.plaintext)).toBe(w.atRest.plaintext);
    expect(await openAtRest(unlocked.unlocked.storageKey, 'room:other:history', record)).toMatchObject({ ok: false, code: 'BAD_TAG' });
  });
});
