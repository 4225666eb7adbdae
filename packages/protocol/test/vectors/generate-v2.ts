/**
 * Regenerates protocol-v2.json: `pnpm --filter @sealroom/protocol run vectors:v2`.
 * The identities are test keys (from test/fixtures/identities.json); never use them.
 * Deterministic values (key schedule, lobby keys, membership hash, member ids, manifest,
 * trailer, invite, ratchet steps, endpoint rule) must never change for protocol version 2;
 * signed and sealed values are random per run but must keep opening and verifying.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  FileDigest,
  createCommit,
  createRoom,
  createSenderKey,
  deriveEpochKeys,
  deriveLobbyKeys,
  encodeFileDigest,
  encodeFileManifest,
  epochMemberId,
  exportBackup,
  formatInvite,
  loadRoster,
  membershipHash,
  openKnock,
  relayWebSocketUrl,
  sealAtRest,
  sealDecline,
  sealDirect,
  sealFileChunk,
  sealGroup,
  sealKnock,
  sealLeave,
  sealSenderKeyDistribution,
  sealWelcome,
  toBase64Url,
  wrapIdentity,
  importFileKey,
  type CommitAction,
  type EpochKeys,
  type LocalIdentity,
  type LogState,
  type OutboundSenderKey,
} from '../../src/index.js';
import { epochKeyMaterial, lobbyKeyMaterial } from '../../src/epoch-keys.js';
import { ratchetStep } from '../../src/sender-keys.js';
import { peekSealed } from '../../src/sealed.js';
import { loadIdentities } from '../v2-fixtures.js';

const pool = JSON.parse(readFileSync(new URL('../fixtures/identities.json', import.meta.url), 'utf8')) as {
  identities: Array<{ encryptionPkcs8: string; signingPkcs8: string }>;
};
const b = toBase64Url;
const seq = (start: number, length = 32) => new Uint8Array(length).map((_, i) => (start + i) & 0xff);
const [alice, bob, carol, dave] = (await loadIdentities(4)) as [LocalIdentity, LocalIdentity, LocalIdentity, LocalIdentity];
const people = { alice, bob, carol, dave };
const nameOf = (idB64: string) => Object.entries(people).find(([, p]) => b(p.public.id) === idB64)![0];

// ---- key schedule (deterministic) ----------------------------------------------------------
const ks = { roomId: seq(0), epoch: 3, epochSecret: seq(0x80), head: new Uint8Array(32).fill(0x11), membershipHash: new Uint8Array(32).fill(0x22) };
const material = await epochKeyMaterial(ks.roomId, ks.epoch, ks.epochSecret);
const ksKeys = await deriveEpochKeys(ks.roomId, ks.epoch, ks.epochSecret, ks.head, ks.membershipHash);
const linkSecret = seq(0x40);
const lobbyMaterial = await lobbyKeyMaterial(linkSecret);
const rosterForHash = [
  { name: 'alice', id: alice.public.id, role: 'admin' as const },
  { name: 'bob', id: bob.public.id, role: 'member' as const },
  { name: 'carol', id: carol.public.id, role: 'member' as const },
];

// ---- a whole log ---------------------------------------------------------------------------
interface View {
  state: LogState;
  keys: EpochKeys;
  epochSecret: Uint8Array;
  linkSecret: Uint8Array;
  entries: Uint8Array[];
  secrets?: Uint8Array;
}
const created = await createRoom({ me: alice, name: 'Vectors room' });
let view: View = {
  state: created.state,
  keys: created.epochKeys,
  epochSecret: created.epochSecret,
  linkSecret: created.linkSecret,
  entries: [created.genesis],
};
const epochSecrets = [created.epochSecret];
const linkSecrets = [created.linkSecret];
const entries = [
  {
    epoch: 0,
    action: 'genesis',
    author: 'alice',
    entry: b(created.genesis),
    entryHash: created.state.epochs[0]!.head,
    ...summary(created.state),
    linkReset: false,
  },
];
const commits: unknown[] = [];
/** Views kept per epoch, for the envelope and lobby vectors below. */
const views: View[] = [view];

function summary(state: LogState) {
  return {
    membershipHash: state.epochs[state.epoch]!.membershipHash,
    roster: state.members.map((m) => ({ name: nameOf(m.id), role: m.role, joinedAt: m.joinedAt })),
    removed: state.removed.map(nameOf),
    timerSeconds: state.timerSeconds,
    link: state.link,
    linkEpoch: state.linkEpoch,
  };
}

async function commit(authorName: keyof typeof people, action: CommitAction, openAs: keyof typeof people) {
  const made = await createCommit({ me: people[authorName], state: view.state, epochKeys: view.keys, linkSecret: view.linkSecret, action });
  if (!made.ok) throw new Error(`${authorName}: ${made.code}`);
  entries.push({
    epoch: made.state.epoch,
    action: action.kind === 'remove' && action.leaveProposal !== undefined ? 'remove (leave)' : action.kind,
    author: authorName,
    entry: b(made.entry),
    entryHash: b(made.entryHash),
    ...summary(made.state),
    linkReset: made.linkReset,
  });
  // The secrets part is inside the envelope; tampered copies of the first commit only (they are large).
  commits.push({
    epoch: made.state.epoch,
    envelope: b(made.envelope),
    openAs,
    tampered:
      commits.length > 0
        ? []
        : [
            { what: 'version byte flipped', envelope: b(flip(made.envelope, 0)), code: 'BAD_VERSION' },
            { what: 'outer kind flipped', envelope: b(flip(made.envelope, 1)), code: 'BAD_TYPE' },
            { what: 'last tag byte flipped', envelope: b(flip(made.envelope, made.envelope.length - 1)), code: 'BAD_TAG' },
          ],
  });
  epochSecrets.push(made.epochSecret);
  linkSecrets.push(made.linkSecret);
  view = {
    state: made.state,
    keys: made.epochKeys,
    epochSecret: made.epochSecret,
    linkSecret: made.linkSecret,
    entries: [...view.entries, made.entry],
    secrets: made.secrets,
  };
  views.push(view);
}

function flip(data: Uint8Array, index: number): Uint8Array {
  const out = data.slice();
  out[index] = (out[index] ?? 0) ^ 0x01;
  return out;
}

await commit('alice', { kind: 'add', identity: bob.public, via: 'member' }, 'bob');
await commit('bob', { kind: 'add', identity: carol.public, via: 'link' }, 'alice');
await commit('alice', { kind: 'role', member: carol.public.id, role: 'admin' }, 'bob');
await commit('carol', { kind: 'settings', timerSeconds: 3600 }, 'bob');
await commit('carol', { kind: 'link', policy: { approval: true, singleUse: true, expiresAt: 1_900_000_000_000 } }, 'alice');
// Dave knocks in the lobby of the link of epoch 5; Carol approves.
const lobby5 = await deriveLobbyKeys(view.linkSecret);
const daveKnock = await sealKnock({ lobbyKeys: lobby5, me: dave });
const knocked = await openKnock({ lobbyKeys: lobby5, envelope: daveKnock.envelope });
if (!knocked.ok) throw new Error(knocked.code);
await commit('carol', { kind: 'add', identity: knocked.identity, via: 'knock' }, 'bob');
const welcomeView = view;
const welcome = await sealWelcome({
  lobbyKeys: lobby5,
  me: carol,
  knockId: daveKnock.knockId,
  knocker: dave.public,
  state: view.state,
  entries: view.entries,
  secrets: view.secrets!,
  epochSecret: view.epochSecret,
  linkSecret: view.linkSecret,
});
const decline = await sealDecline({ lobbyKeys: lobby5, knockId: seq(0xa0, 16), reason: 'declined' });
await commit('alice', { kind: 'remove', member: bob.public.id }, 'bob');
const carolLeave = await sealLeave({ keys: view.keys, me: carol });
await commit('alice', { kind: 'remove', member: carol.public.id, leaveProposal: carolLeave.proposal }, 'dave');

// ---- envelopes in epoch 6 (Alice, Bob, Carol, Dave) ---------------------------------------------
const e6 = views[6]!;
const roster6 = await loadRoster(e6.state, e6.keys);
const member = (p: LocalIdentity) => roster6.byIdentityId.get(b(p.public.id))!;
const senderKey: OutboundSenderKey = { ...createSenderKey({ now: 0 }), keyId: 0x01020304, chainKey: b(new Uint8Array(32).fill(0x42)), sequence: 5 };
const distribution = await sealSenderKeyDistribution({ keys: e6.keys, me: alice, recipient: member(bob), senderKey });
const group5 = await sealGroup({ keys: e6.keys, me: alice, senderKey, payload: new TextEncoder().encode('{"text":"hello, vectors"}') });
const group6 = await sealGroup({ keys: e6.keys, me: alice, senderKey: group5.senderKey, payload: new TextEncoder().encode('{"text":"six"}') });
const group7 = await sealGroup({ keys: e6.keys, me: alice, senderKey: group6.senderKey, payload: new TextEncoder().encode('{"text":"seven"}') });
const direct = await sealDirect({ keys: e6.keys, me: alice, recipient: member(bob), payload: new TextEncoder().encode('{"text":"only bob"}') });
const leave = await sealLeave({ keys: e6.keys, me: bob });
const innerOf = async (envelope: Uint8Array) => {
  const p = await peekSealed(e6.keys, envelope);
  if (!p.ok) throw new Error(p.code);
  return b(p.peek.decoded.inner);
};
const outerTampered = (envelope: Uint8Array) => [
  { what: 'version byte flipped', envelope: b(flip(envelope, 0)), code: 'BAD_VERSION' },
  { what: 'outer kind flipped', envelope: b(flip(envelope, 1)), code: 'BAD_TYPE' },
  { what: 'IV byte flipped', envelope: b(flip(envelope, 2)), code: 'BAD_TAG' },
  { what: 'last tag byte flipped', envelope: b(flip(envelope, envelope.length - 1)), code: 'BAD_TAG' },
  { what: 'truncated by one byte', envelope: b(envelope.slice(0, -1)), code: 'BAD_TAG' },
  { what: 'header only', envelope: b(envelope.slice(0, 2)), code: 'BAD_LENGTH' },
];
const chain: unknown[] = [];
let ck = new Uint8Array(32).fill(0x42);
for (let s = 5; s <= 7; s += 1) {
  const step = await ratchetStep(ck);
  chain.push({ sequence: s, chainKey: b(ck), messageKey: b(step.messageKey), nextChainKey: b(step.nextChainKey) });
  ck = step.nextChainKey;
}

// ---- files --------------------------------------------------------------------------------------
const fileData = new TextEncoder().encode('Sealroom file vector: twenty-nine bytes? no, more.');
const manifest = {
  fileId: seq(0x30, 16),
  name: 'vector.txt',
  type: 'text/plain',
  size: fileData.length,
  chunkSize: 16,
  chunkCount: Math.ceil(fileData.length / 16),
  fileKey: seq(0x60),
};
const fileKey = await importFileKey(manifest);
const fileDigest = new FileDigest(manifest.size, manifest.chunkSize);
const chunks: string[] = [];
for (let i = 0; i < manifest.chunkCount; i += 1) {
  const piece = fileData.subarray(i * 16, Math.min(fileData.length, (i + 1) * 16));
  await fileDigest.add(i, piece);
  chunks.push(b(await sealFileChunk({ manifest, fileKey, index: i, data: piece })));
}
const digest = (await fileDigest.finish())!;

// ---- identities at rest (B.2, B.3) ------------------------------------------------------------
const PASSWORD = 'vector password: correct horse battery staple';
const generatedAlice = { ...alice, encryptionPkcs8: fromB64(pool.identities[0]!.encryptionPkcs8), signingPkcs8: fromB64(pool.identities[0]!.signingPkcs8) };
const wrapped = await wrapIdentity(generatedAlice, PASSWORD);
const backup = await exportBackup(wrapped.wrapped, PASSWORD);
if (!backup.ok) throw new Error(backup.code);
const atRestPlaintext = new TextEncoder().encode('{"history":["hello"]}');
const atRestRecord = await sealAtRest(wrapped.unlocked.storageKey, 'room:vectors:history', atRestPlaintext);

function fromB64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

const identity = (p: LocalIdentity, i: number) => ({
  displayName: p.public.displayName,
  idHex: p.public.idHex,
  encryptionSpki: b(p.public.encryptionSpki),
  signingSpki: b(p.public.signingSpki),
  encryptionPkcs8: pool.identities[i]!.encryptionPkcs8,
  signingPkcs8: pool.identities[i]!.signingPkcs8,
});

const vectors = {
  description:
    'Sealroom protocol v2 test vectors (docs/PROTOCOL.md Part B). Byte strings are base64url without padding. TEST KEYS ONLY. Deterministic values are fixed for version 2; signed and sealed values are random per generation but open and verify.',
  identities: { alice: identity(alice, 0), bob: identity(bob, 1), carol: identity(carol, 2), dave: identity(dave, 3) },
  keySchedule: {
    roomId: b(ks.roomId),
    epoch: ks.epoch,
    epochSecret: b(ks.epochSecret),
    head: b(ks.head),
    membershipHash: b(ks.membershipHash),
    relayRoomId: b(material.relayRoomId),
    admissionKey: b(material.admissionKey),
    envelopeKey: b(material.envelopeKey),
    memberIdKey: b(material.memberIdKey),
    linkWrapKey: b(material.linkWrapKey),
    context: b(ksKeys.context),
    memberIds: { alice: b(await epochMemberId(ksKeys, alice.public.id)), bob: b(await epochMemberId(ksKeys, bob.public.id)) },
  },
  lobbyKeys: {
    linkSecret: b(linkSecret),
    relayRoomId: b(lobbyMaterial.relayRoomId),
    admissionKey: b(lobbyMaterial.admissionKey),
    lobbyKey: b(lobbyMaterial.lobbyKey),
  },
  membershipHash: { members: rosterForHash.map((m) => ({ name: m.name, role: m.role })), hash: b(await membershipHash(rosterForHash)) },
  log: {
    roomId: b(created.roomId),
    entries,
    epochSecrets: epochSecrets.map(b),
    linkSecrets: linkSecrets.map(b),
    commits,
    tamperedEntries: tamperedEntries(views[3]!.entries[3]!),
  },
  envelopes: {
    epoch: 6,
    senderKey: {
      from: 'alice',
      to: 'bob',
      envelope: b(distribution.envelope),
      inner: await innerOf(distribution.envelope),
      keyId: senderKey.keyId,
      sequence: 5,
      chainKey: senderKey.chainKey,
      tampered: outerTampered(distribution.envelope),
    },
    group: {
      from: 'alice',
      inboundSenderKey: { keyId: senderKey.keyId, chainKey: senderKey.chainKey, sequence: 5 },
      messages: [
        { sequence: 5, envelope: b(group5.envelope), inner: await innerOf(group5.envelope), content: 'message', payload: '{"text":"hello, vectors"}' },
        { sequence: 6, envelope: b(group6.envelope), inner: await innerOf(group6.envelope), content: 'message', payload: '{"text":"six"}' },
        { sequence: 7, envelope: b(group7.envelope), inner: await innerOf(group7.envelope), content: 'message', payload: '{"text":"seven"}' },
      ],
      openOrder: [7, 5, 6],
      chain,
      tampered: outerTampered(group5.envelope),
    },
    direct: {
      from: 'alice',
      to: 'bob',
      envelope: b(direct.envelope),
      inner: await innerOf(direct.envelope),
      payload: '{"text":"only bob"}',
      tampered: outerTampered(direct.envelope),
    },
    leave: { from: 'bob', envelope: b(leave.envelope), inner: await innerOf(leave.envelope), tampered: outerTampered(leave.envelope) },
  },
  lobby: {
    epoch: 5,
    knock: { from: 'dave', envelope: b(daveKnock.envelope), knockId: b(daveKnock.knockId) },
    welcome: {
      to: 'dave',
      adder: 'carol',
      epoch: welcomeView.state.epoch,
      envelope: b(welcome.envelope),
      tampered: [{ what: 'last tag byte flipped', envelope: b(flip(welcome.envelope, welcome.envelope.length - 1)), code: 'BAD_TAG' }],
    },
    decline: { envelope: b(decline.envelope), knockId: b(seq(0xa0, 16)), reason: 'declined' },
  },
  files: {
    manifest: {
      fileId: b(manifest.fileId),
      name: manifest.name,
      type: manifest.type,
      size: manifest.size,
      chunkSize: manifest.chunkSize,
      chunkCount: manifest.chunkCount,
      fileKey: b(manifest.fileKey),
      encoded: b(encodeFileManifest(manifest)),
    },
    plaintext: b(fileData),
    chunks,
    digest: b(digest),
    trailer: b(encodeFileDigest({ fileId: manifest.fileId, digest })),
    tamperedChunk: [
      { what: 'file id byte flipped', envelope: b(flip(fromB64(chunks[0]!), 2)), code: 'WRONG_FILE' },
      { what: 'index byte flipped (0 → 1)', envelope: b(flip(fromB64(chunks[0]!), 21)), code: 'BAD_TAG' },
      { what: 'last tag byte flipped', envelope: b(flip(fromB64(chunks[0]!), fromB64(chunks[0]!).length - 1)), code: 'BAD_TAG' },
    ],
  },
  invite: {
    url: formatInvite({
      baseUrl: 'https://sealroom.example/',
      roomId: ks.roomId,
      linkSecret,
      relayUrl: 'https://relay.example/',
      roomName: 'Vectors',
      approval: true,
    }),
    roomId: b(ks.roomId),
    linkSecret: b(linkSecret),
    relayUrl: 'https://relay.example/',
    roomName: 'Vectors',
    approval: true,
    baseUrl: 'https://sealroom.example/',
  },
  relayWebSocketUrls: ['https://relay.example/', 'http://127.0.0.1:8787', 'https://example.org/chat/', 'wss://relay.example/custom'].map((address) => {
    const r = relayWebSocketUrl(address);
    return [address, r.ok ? r.url : null];
  }),
  wrappedIdentity: {
    password: PASSWORD,
    wrapped: wrapped.wrapped,
    backupText: backup.text,
    atRest: { label: 'room:vectors:history', plaintext: b(atRestPlaintext), record: b(atRestRecord) },
  },
};

/** Entry 3 (role) with single fields broken, and the code applying it to the state at epoch 2 gives. */
function tamperedEntries(entry: Uint8Array) {
  const at = { version: 0, roomId: 1, epoch: 33 + 3, prev: 37, author: 69, membershipHash: entry.length - 2 - 384 - 64 };
  return [
    { what: 'version byte', entry: b(flip(entry, at.version)), code: 'BAD_VERSION' },
    { what: 'room id byte', entry: b(flip(entry, at.roomId)), code: 'WRONG_ROOM' },
    { what: 'epoch 3 → 2', entry: b(flip(entry, at.epoch)), code: 'STALE_COMMIT' },
    { what: 'prev byte', entry: b(flip(entry, at.prev)), code: 'STALE_COMMIT' },
    { what: 'author byte', entry: b(flip(entry, at.author)), code: 'NOT_MEMBER' },
    { what: 'membership hash byte', entry: b(flip(entry, at.membershipHash)), code: 'BAD_MEMBERSHIP' },
    { what: 'last signature byte', entry: b(flip(entry, entry.length - 1)), code: 'BAD_SIGNATURE' },
    { what: 'truncated by one byte', entry: b(entry.slice(0, -1)), code: 'BAD_LENGTH' },
  ];
}

const out = fileURLToPath(new URL('./protocol-v2.json', import.meta.url));
writeFileSync(out, `${JSON.stringify(vectors, null, 2)}\n`);
console.log(`wrote ${out}`);
