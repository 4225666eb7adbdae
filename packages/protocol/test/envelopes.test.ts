/**
 * Round trips of every envelope type, then tampering: every single byte flipped, another
 * room, another type, replay, another sender, truncation and padding.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ENVELOPE_TYPE,
  FileDigest,
  HEADER_BYTES,
  createFileManifestV1 as createFileManifest,
  createSenderKey,
  decodeFileManifestV1 as decodeFileManifest,
  emptySenderKeyRing,
  encodeFileManifestV1 as encodeFileManifest,
  importFileKey,
  openControl,
  openDirectMessage,
  openFileChunkV1 as openFileChunk,
  openGroupMessage,
  openJoinAnnouncement,
  openSenderKeyDistributionV1 as openSenderKeyDistribution,
  peekEnvelope,
  sealControl,
  sealDirectMessage,
  sealFileChunkV1 as sealFileChunk,
  sealFileChunkPartsV1 as sealFileChunkParts,
  sealGroupMessage,
  sealJoinAnnouncement,
  sealSenderKeyDistributionV1 as sealSenderKeyDistribution,
  type EnvelopeErrorCode,
  type FileManifestV1 as FileManifest,
  type Result,
  type SenderKeyRing,
} from '../src/index.js';
import { AES_GCM_IV_BYTES, AES_GCM_TAG_BYTES, FILE_ID_BYTES } from '../src/constants.js';
import { dec, enc, flip, makePeople, makeRoom, type Person, type Room } from './fixtures.js';

let alice: Person;
let bob: Person;
let carol: Person;
let room: Room;
let otherRoom: Room;
const NOW = 1_700_000_000_000;

/** One sealed envelope per type plus an opener that reports only ok/code. */
interface Case {
  name: string;
  envelope: Uint8Array;
  open: (envelope: Uint8Array, target?: Room) => Promise<Result<object, EnvelopeErrorCode>>;
}
const cases: Case[] = [];
let ring: SenderKeyRing;
let manifest: FileManifest;
let fileKey: CryptoKey;

beforeAll(async () => {
  [alice, bob, carol] = await makePeople(['Alice', 'Bob', 'Carol']);
  room = await makeRoom([alice, bob, carol]);
  otherRoom = await makeRoom([alice, bob, carol], 9);
  const [mA, mB] = [room.members[0]!, room.members[1]!];
  const senderOf = (target: Room | undefined, i: number) => (target ?? room).members[i]!;
  const keysOf = (target: Room | undefined) => (target ?? room).keys;

  const join = await sealJoinAnnouncement({ roomKeys: room.keys, me: alice.unlocked });
  cases.push({ name: 'join', envelope: join.envelope, open: (e, t) => openJoinAnnouncement({ roomKeys: keysOf(t), envelope: e }) });

  const key = createSenderKey({ now: NOW });
  const dist = await sealSenderKeyDistribution({ roomKeys: room.keys, me: alice.unlocked, recipient: mB, senderKey: key });
  cases.push({
    name: 'sender-key',
    envelope: dist.envelope,
    open: (e, t) => openSenderKeyDistribution({ roomKeys: keysOf(t), me: bob.unlocked, sender: senderOf(t, 0), envelope: e, ring: emptySenderKeyRing() }),
  });
  const received = await openSenderKeyDistribution({ roomKeys: room.keys, me: bob.unlocked, sender: mA, envelope: dist.envelope, ring: emptySenderKeyRing() });
  if (!received.ok) throw new Error(received.code);
  ring = received.ring;

  const group = await sealGroupMessage({ roomKeys: room.keys, me: alice.unlocked, senderKey: key, payload: enc('hello group') });
  cases.push({ name: 'group', envelope: group.envelope, open: (e, t) => openGroupMessage({ roomKeys: keysOf(t), sender: senderOf(t, 0), envelope: e, ring }) });

  const direct = await sealDirectMessage({ roomKeys: room.keys, me: alice.unlocked, recipient: mB, payload: enc('psst') });
  cases.push({
    name: 'direct',
    envelope: direct.envelope,
    open: (e, t) => openDirectMessage({ roomKeys: keysOf(t), me: bob.unlocked, sender: senderOf(t, 0), envelope: e }),
  });

  const control = await sealControl({ roomKeys: room.keys, me: alice.unlocked, action: { kind: 'remove', target: carol.unlocked.public.id } });
  cases.push({
    name: 'control',
    envelope: control.envelope,
    open: (e, t) => openControl({ roomKeys: keysOf(t), sender: senderOf(t, 0), envelope: e, creatorId: alice.unlocked.public.id }),
  });

  const content = enc('file body '.repeat(10));
  const digest = new FileDigest(content.length, 64);
  for (let i = 0; i * 64 < content.length; i += 1) await digest.add(i, content.subarray(i * 64, (i + 1) * 64));
  manifest = createFileManifest({ name: 'notes.txt', type: 'text/plain', size: content.length, digest: (await digest.finish())!, chunkSize: 64 });
  fileKey = await importFileKey(manifest);
  const chunk = await sealFileChunk({ roomKeys: room.keys, senderMemberId: mA.memberId, manifest, fileKey, index: 1, data: content.subarray(64, 100) });
  cases.push({
    name: 'file-chunk',
    envelope: chunk,
    open: (e, t) => openFileChunk({ roomKeys: keysOf(t), sender: senderOf(t, 0), manifest, fileKey, envelope: e }),
  });
});

describe('round trips', () => {
  it('every envelope type opens with the right keys', async () => {
    for (const c of cases) expect((await c.open(c.envelope)).ok, c.name).toBe(true);
  });

  it('a file chunk sealed in two pieces is the same envelope: header and IV, then ciphertext and tag', async () => {
    const data = enc('x'.repeat(64));
    const parts = await sealFileChunkParts({ roomKeys: room.keys, senderMemberId: room.members[0]!.memberId, manifest, fileKey, index: 0, data });
    expect(parts[0].length).toBe(HEADER_BYTES + FILE_ID_BYTES + 4 + AES_GCM_IV_BYTES);
    expect(parts[1].length).toBe(data.length + AES_GCM_TAG_BYTES);
    const whole = new Uint8Array([...parts[0], ...parts[1]]);
    const opened = await openFileChunk({ roomKeys: room.keys, sender: room.members[0]!, manifest, fileKey, envelope: whole });
    expect(opened.ok && opened.index === 0 && dec(opened.data)).toBe('x'.repeat(64));
    // Opened from a view into a larger buffer (as a relay frame is), with the bytes around it untouched.
    const framed = new Uint8Array(whole.length + 10).fill(0xaa);
    framed.set(whole, 5);
    const fromView = await openFileChunk({ roomKeys: room.keys, sender: room.members[0]!, manifest, fileKey, envelope: framed.subarray(5, 5 + whole.length) });
    expect(fromView.ok).toBe(true);
    expect([...framed.subarray(0, 5), ...framed.subarray(5 + whole.length)]).toEqual(new Array(10).fill(0xaa));
  });

  it('join announcement yields the verified member', async () => {
    const opened = await openJoinAnnouncement({ roomKeys: room.keys, envelope: cases[0]!.envelope });
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(opened.member.identity.displayName).toBe('Alice');
    expect(opened.member.identity.idHex).toBe(alice.unlocked.public.idHex);
    expect(opened.member.memberId).toEqual(room.members[0]!.memberId);
  });

  it('direct message opens only for its recipient', async () => {
    const direct = cases.find((c) => c.name === 'direct')!;
    const opened = await openDirectMessage({ roomKeys: room.keys, me: bob.unlocked, sender: room.members[0]!, envelope: direct.envelope });
    expect(opened.ok && dec(opened.payload)).toBe('psst');
    const asCarol = await openDirectMessage({ roomKeys: room.keys, me: carol.unlocked, sender: room.members[0]!, envelope: direct.envelope });
    expect(asCarol).toMatchObject({ ok: false, code: 'WRONG_RECIPIENT' });
  });

  it('control: removal only from the creator; leave and settings from anyone', async () => {
    const removal = await sealControl({ roomKeys: room.keys, me: bob.unlocked, action: { kind: 'remove', target: carol.unlocked.public.id } });
    expect(await openControl({ roomKeys: room.keys, sender: room.members[1]!, envelope: removal.envelope, creatorId: alice.unlocked.public.id })).toMatchObject(
      {
        ok: false,
        code: 'NOT_CREATOR',
      },
    );
    const leave = await sealControl({ roomKeys: room.keys, me: bob.unlocked, action: { kind: 'leave' } });
    expect(await openControl({ roomKeys: room.keys, sender: room.members[1]!, envelope: leave.envelope, creatorId: alice.unlocked.public.id })).toMatchObject({
      ok: true,
      action: { kind: 'leave' },
    });
    const timer = await sealControl({ roomKeys: room.keys, me: bob.unlocked, action: { kind: 'settings', disappearingAfterSeconds: 3600 } });
    expect(await openControl({ roomKeys: room.keys, sender: room.members[1]!, envelope: timer.envelope, creatorId: alice.unlocked.public.id })).toMatchObject({
      ok: true,
      action: { kind: 'settings', disappearingAfterSeconds: 3600 },
    });
  });

  it('file: manifest as a group message, chunks, digest check', async () => {
    const content = new Uint8Array(1000).map((_, i) => i % 251);
    const chunkSize = 300;
    const digest = new FileDigest(content.length, chunkSize);
    for (let i = 0; i * chunkSize < content.length; i += 1) await digest.add(i, content.subarray(i * chunkSize, (i + 1) * chunkSize));
    const m = createFileManifest({ name: 'data.bin', type: 'application/octet-stream', size: content.length, digest: (await digest.finish())!, chunkSize });
    expect(m.chunkCount).toBe(4);
    const key = createSenderKey({ now: NOW });
    const dist = await sealSenderKeyDistribution({ roomKeys: room.keys, me: alice.unlocked, recipient: room.members[1]!, senderKey: key });
    const got = await openSenderKeyDistribution({
      roomKeys: room.keys,
      me: bob.unlocked,
      sender: room.members[0]!,
      envelope: dist.envelope,
      ring: emptySenderKeyRing(),
    });
    if (!got.ok) throw new Error(got.code);
    const sent = await sealGroupMessage({ roomKeys: room.keys, me: alice.unlocked, senderKey: key, payload: encodeFileManifest(m), content: 'file-manifest' });
    const opened = await openGroupMessage({ roomKeys: room.keys, sender: room.members[0]!, envelope: sent.envelope, ring: got.ring });
    if (!opened.ok) throw new Error(opened.code);
    expect(opened.content).toBe('file-manifest');
    const decoded = decodeFileManifest(opened.payload);
    if (!decoded.ok) throw new Error(decoded.code);
    expect(decoded.manifest).toEqual(m);
    const senderKey = await importFileKey(m);
    const receiverKey = await importFileKey(decoded.manifest);
    const check = new FileDigest(decoded.manifest.size, decoded.manifest.chunkSize);
    // Deliver chunks in reverse order; the digest does not care.
    for (let i = m.chunkCount - 1; i >= 0; i -= 1) {
      const data = content.subarray(i * chunkSize, (i + 1) * chunkSize);
      const envelope = await sealFileChunk({ roomKeys: room.keys, senderMemberId: room.members[0]!.memberId, manifest: m, fileKey: senderKey, index: i, data });
      const chunk = await openFileChunk({ roomKeys: room.keys, sender: room.members[0]!, manifest: decoded.manifest, fileKey: receiverKey, envelope });
      if (!chunk.ok) throw new Error(chunk.code);
      await check.add(chunk.index, chunk.data);
    }
    expect(await check.finish()).toEqual(decoded.manifest.digest);
  });

  it('file digest: memory does not grow with the chunk count a (hostile) manifest claims', async () => {
    // A member can send a manifest of 2^32 − 1 one-byte chunks; accepting it must not
    // allocate a slot per announced chunk before any chunk arrived.
    const claimedChunks = 2 ** 24;
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    const digest = new FileDigest(claimedChunks, 1);
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(claimedChunks);
    await digest.add(claimedChunks - 1, new Uint8Array([7]));
    expect(await digest.finish()).toBeUndefined();
    await expect(digest.add(claimedChunks - 1, new Uint8Array([7]))).rejects.toThrow(RangeError);
    await expect(digest.add(claimedChunks, new Uint8Array([7]))).rejects.toThrow(RangeError);
  });

  it('peekEnvelope reads routing fields without keys', async () => {
    const group = cases.find((c) => c.name === 'group')!;
    const peek = peekEnvelope(group.envelope);
    expect(peek.ok).toBe(true);
    if (!peek.ok) return;
    expect(peek.peek.type).toBe('group');
    expect(peek.peek.roomId).toEqual(room.keys.roomId);
    expect(peek.peek.sender).toEqual(room.members[0]!.memberId);
    expect(peek.peek.sequence).toBe(0);
    const dist = peekEnvelope(cases.find((c) => c.name === 'sender-key')!.envelope);
    expect(dist.ok && dist.peek.recipient).toEqual(room.members[1]!.memberId);
  });
});

describe('tampering', () => {
  /** The code a flip at `index` must produce, where the position alone decides it. */
  function expectedAt(index: number): EnvelopeErrorCode | undefined {
    if (index === 0) return 'BAD_VERSION';
    if (index >= 2 && index < 34) return 'WRONG_ROOM';
    return undefined;
  }

  it('every single flipped byte of every envelope type is rejected', async () => {
    const tally: Record<string, number> = {};
    for (const c of cases) {
      for (let i = 0; i < c.envelope.length; i += 1) {
        const result = await c.open(flip(c.envelope, i));
        expect(result.ok, `${c.name} byte ${i}`).toBe(false);
        if (result.ok) continue;
        const expected = expectedAt(i);
        if (expected !== undefined) expect(result.code, `${c.name} byte ${i}`).toBe(expected);
        // Flipping the sender field names another member: WRONG_SENDER (or, for a join whose
        // sender is derived from the identity inside, the same), else the tag or signature fails.
        if (i >= 34 && i < 66 && c.name !== 'join') expect(result.code, `${c.name} byte ${i}`).toBe('WRONG_SENDER');
        tally[`${c.name}:${result.code}`] = (tally[`${c.name}:${result.code}`] ?? 0) + 1;
      }
    }
    console.log('single-byte tampering, rejections by code:', tally);
  });

  it('moved to another room → WRONG_ROOM (header) or BAD_TAG / BAD_SIGNATURE (room id rewritten)', async () => {
    for (const c of cases) {
      expect(await c.open(c.envelope, otherRoom), c.name).toMatchObject({ ok: false, code: 'WRONG_ROOM' });
      const rewritten = c.envelope.slice();
      rewritten.set(otherRoom.keys.roomId, 2);
      const result = await c.open(rewritten, otherRoom);
      expect(result.ok, c.name).toBe(false);
      expect(['BAD_TAG', 'BAD_SIGNATURE', 'WRONG_SENDER'], c.name).toContain(result.ok ? 'ok' : result.code);
    }
  });

  it('relabelled as every other type → rejected', async () => {
    for (const c of cases) {
      for (const type of Object.values(ENVELOPE_TYPE)) {
        if (type === c.envelope[1]) continue;
        const relabelled = c.envelope.slice();
        relabelled[1] = type;
        const result = await c.open(relabelled);
        expect(result.ok, `${c.name} as ${type}`).toBe(false);
        // And an opener of another type refuses the original.
      }
      for (const other of cases) {
        if (other === c) continue;
        const result = await other.open(c.envelope);
        expect(result, `${c.name} opened as ${other.name}`).toMatchObject({ ok: false, code: 'WRONG_TYPE' });
      }
    }
  });

  it('claiming another sender → WRONG_SENDER or BAD_SIGNATURE', async () => {
    for (const c of cases) {
      if (c.name === 'join') continue; // a join's sender is the identity inside it
      const claimed = c.envelope.slice();
      claimed.set(room.members[2]!.memberId, 34);
      const opened = await c.open(claimed);
      expect(opened, c.name).toMatchObject({ ok: false, code: 'WRONG_SENDER' });
    }
    // A forged join: Carol's identity, Alice's sender id in the header → refused.
    const forged = (await sealJoinAnnouncement({ roomKeys: room.keys, me: carol.unlocked })).envelope;
    const header = forged.slice();
    header.set(room.members[0]!.memberId, 34);
    expect((await openJoinAnnouncement({ roomKeys: room.keys, envelope: header })).ok).toBe(false);
  });

  it('truncated at every length and padded → rejected', async () => {
    for (const c of cases) {
      for (const length of [
        0,
        1,
        2,
        HEADER_BYTES - 1,
        HEADER_BYTES,
        HEADER_BYTES + 5,
        c.envelope.length - 1,
        c.envelope.length - 17,
        c.envelope.length - 384,
      ]) {
        if (length < 0 || length >= c.envelope.length) continue;
        expect((await c.open(c.envelope.slice(0, length))).ok, `${c.name} cut to ${length}`).toBe(false);
      }
      for (const pad of [1, 16, 384]) {
        const padded = new Uint8Array(c.envelope.length + pad);
        padded.set(c.envelope);
        expect((await c.open(padded)).ok, `${c.name} padded by ${pad}`).toBe(false);
      }
    }
  });

  it('replay: a group message opens once; the same bytes again are a DUPLICATE', async () => {
    const group = cases.find((c) => c.name === 'group')!;
    const first = await openGroupMessage({ roomKeys: room.keys, sender: room.members[0]!, envelope: group.envelope, ring });
    if (!first.ok) throw new Error(first.code);
    expect(await openGroupMessage({ roomKeys: room.keys, sender: room.members[0]!, envelope: group.envelope, ring: first.ring })).toMatchObject({
      ok: false,
      code: 'DUPLICATE',
    });
  });

  it('a file chunk of another file, or past the end, is refused', async () => {
    const chunk = cases.find((c) => c.name === 'file-chunk')!;
    const other = { ...manifest, fileId: new Uint8Array(16).fill(1) };
    expect(await openFileChunk({ roomKeys: room.keys, sender: room.members[0]!, manifest: other, fileKey, envelope: chunk.envelope })).toMatchObject({
      ok: false,
      code: 'WRONG_FILE',
    });
  });
});
