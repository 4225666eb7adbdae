/**
 * fast-check properties: random and mutated inputs to every decoder and opener never throw
 * and never yield `ok: true` for something the claimed sender did not seal.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compareSafetyNumber,
  computeSafetyNumber,
  createSenderKey,
  decodeFileManifestV1 as decodeFileManifest,
  emptySenderKeyRing,
  fromBase64Url,
  importBackup,
  importFileKey,
  importPublicIdentity,
  importPublicIdentityJson,
  openAtRest,
  openControl,
  openDirectMessage,
  openFileChunkV1 as openFileChunk,
  openGroupMessage,
  openJoinAnnouncement,
  openSenderKeyDistributionV1 as openSenderKeyDistribution,
  parseInviteV1 as parseInvite,
  peekEnvelope,
  readWrappedIdentity,
  sealControl,
  sealDirectMessage,
  sealFileChunkV1 as sealFileChunk,
  sealGroupMessage,
  sealJoinAnnouncement,
  sealSenderKeyDistributionV1 as sealSenderKeyDistribution,
  toBase64Url,
  unwrapIdentity,
  createFileManifestV1 as createFileManifest,
  type SenderKeyRing,
  type SafetyNumber,
  type FileManifestV1 as FileManifest,
} from '../src/index.js';
import { enc, makePeople, makeRoom, type Person, type Room } from './fixtures.js';

let alice: Person;
let bob: Person;
let room: Room;
let ring: SenderKeyRing;
let samples: Uint8Array[] = [];
let safety: SafetyNumber;
let manifest: FileManifest;
let fileKey: CryptoKey;
const RUNS = { numRuns: 150 };

beforeAll(async () => {
  [alice, bob] = await makePeople(['Alice', 'Bob']);
  room = await makeRoom([alice, bob]);
  const key = createSenderKey({ now: 0 });
  const dist = await sealSenderKeyDistribution({ roomKeys: room.keys, me: alice.unlocked, recipient: room.members[1]!, senderKey: key });
  const got = await openSenderKeyDistribution({
    roomKeys: room.keys,
    me: bob.unlocked,
    sender: room.members[0]!,
    envelope: dist.envelope,
    ring: emptySenderKeyRing(),
  });
  if (!got.ok) throw new Error(got.code);
  ring = got.ring;
  manifest = createFileManifest({ name: 'f', type: 'text/plain', size: 10, digest: new Uint8Array(32), chunkSize: 4 });
  fileKey = await importFileKey(manifest);
  samples = [
    dist.envelope,
    (await sealGroupMessage({ roomKeys: room.keys, me: alice.unlocked, senderKey: key, payload: enc('hi') })).envelope,
    (await sealDirectMessage({ roomKeys: room.keys, me: alice.unlocked, recipient: room.members[1]!, payload: enc('dm') })).envelope,
    (await sealJoinAnnouncement({ roomKeys: room.keys, me: alice.unlocked })).envelope,
    (await sealControl({ roomKeys: room.keys, me: alice.unlocked, action: { kind: 'leave' } })).envelope,
    await sealFileChunk({ roomKeys: room.keys, senderMemberId: room.members[0]!.memberId, manifest, fileKey, index: 0, data: enc('abcd') }),
  ];
  safety = await computeSafetyNumber(alice.unlocked.public, bob.unlocked.public);
});

/** Every opener, as Bob receiving from Alice. */
function openAll(envelope: Uint8Array) {
  const sender = room.members[0]!;
  return Promise.all([
    openSenderKeyDistribution({ roomKeys: room.keys, me: bob.unlocked, sender, envelope, ring: emptySenderKeyRing() }),
    openGroupMessage({ roomKeys: room.keys, sender, envelope, ring }),
    openDirectMessage({ roomKeys: room.keys, me: bob.unlocked, sender, envelope }),
    openJoinAnnouncement({ roomKeys: room.keys, envelope }),
    openControl({ roomKeys: room.keys, sender, envelope, creatorId: alice.unlocked.public.id }),
    openFileChunk({ roomKeys: room.keys, sender, manifest, fileKey, envelope }),
  ]);
}

/** A sample envelope with a few random byte edits, insertions or deletions. */
const mutated = () =>
  fc
    .record({
      sample: fc.nat(5),
      edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('set', 'insert', 'delete') }), {
        minLength: 1,
        maxLength: 4,
      }),
    })
    .map(({ sample, edits }) => {
      let bytes = [...samples[sample]!];
      for (const edit of edits) {
        const at = edit.at % (bytes.length + 1);
        if (edit.kind === 'set' && at < bytes.length) bytes[at] = bytes[at] === edit.value ? (edit.value + 1) & 0xff : edit.value;
        else if (edit.kind === 'insert') bytes.splice(at, 0, edit.value);
        else if (bytes.length > 0) bytes = bytes.filter((_, i) => i !== at % bytes.length);
      }
      return new Uint8Array(bytes);
    })
    .filter((candidate) => !samples.some((s) => s.length === candidate.length && s.every((b, i) => b === candidate[i])));

describe('decoders never throw and never accept forgeries', () => {
  it('random bytes: peek never throws; no opener accepts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (data) => {
        peekEnvelope(data);
        for (const result of await openAll(data)) expect(result.ok).toBe(false);
      }),
      RUNS,
    );
  });

  it('random bytes behind a valid header prefix: no opener accepts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(5), fc.uint8Array({ maxLength: 1024 }), async (sample, tail) => {
        const data = new Uint8Array([...samples[sample]!.slice(0, 82), ...tail]);
        for (const result of await openAll(data)) expect(result.ok).toBe(false);
      }),
      RUNS,
    );
  });

  it('mutated real envelopes: no opener accepts', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(), async (data) => {
        peekEnvelope(data);
        for (const result of await openAll(data)) expect(result.ok).toBe(false);
      }),
      RUNS,
    );
  });

  it('other decoders: identities, manifests, invites, blobs, backups, at-rest, safety codes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 1500 }), fc.string({ maxLength: 300 }), fc.jsonValue(), async (data, text, json) => {
        expect((await importPublicIdentity(data)).ok).toBe(false);
        expect((await importPublicIdentityJson(json)).ok).toBe(false);
        decodeFileManifest(data);
        parseInvite(text);
        parseInvite(`https://x.example/#${text}`);
        expect(readWrappedIdentity(json).ok).toBe(false);
        expect((await unwrapIdentity(json, 'pw')).ok).toBe(false);
        expect((await importBackup(text, 'pw')).ok).toBe(false);
        expect((await openAtRest(alice.unlocked.storageKey, 'label', data)).ok).toBe(false);
        compareSafetyNumber(safety, text);
        fromBase64Url(text);
      }),
      RUNS,
    );
  });

  it('base64url round-trips and refuses non-canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
        const text = toBase64Url(data);
        expect(fromBase64Url(text)).toEqual(data);
        expect(fromBase64Url(`${text}=`)).toBeUndefined();
      }),
    );
  });

  it('mutated manifests never decode into something inconsistent', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 100, maxLength: 200 }), (data) => {
        const result = decodeFileManifest(data);
        if (result.ok) expect(result.manifest.chunkCount).toBe(Math.ceil(result.manifest.size / result.manifest.chunkSize));
      }),
    );
  });
});
