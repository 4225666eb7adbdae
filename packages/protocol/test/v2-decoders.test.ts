/**
 * fast-check: every v2 decoder and opener is total on hostile input. Random bytes, random
 * inner plaintexts sealed by someone holding the epoch or lobby key (a member or a link
 * holder can send any inner bytes), and mutated real inners: nothing throws, nothing that
 * the claimed sender did not make is accepted.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyEntry,
  createCommit,
  createSenderKey,
  decodeEntry,
  decodeFileDigest,
  decodeFileManifest,
  deriveLobbyKeys,
  emptySenderKeyRing,
  loadRoster,
  openCommit,
  openDecline,
  openDirect,
  openGroup,
  openKnock,
  openLeave,
  openSenderKeyDistribution,
  openWelcome,
  parseInvite,
  peekFileChunk,
  peekSealed,
  relayWebSocketUrl,
  sealDirect,
  sealGroup,
  sealKnock,
  sealLeave,
  sealSenderKeyDistribution,
  verifyLog,
  type EpochRoster,
  type LobbyKeys,
  type LocalIdentity,
  type SenderKeyRing,
} from '../src/index.js';
import { sealInner } from '../src/sealed.js';
import { SimRoom, enc, loadIdentities, type SimMember } from './v2-fixtures.js';

const RUNS = { numRuns: 150 };
let bob: LocalIdentity;
let room: SimRoom;
let alice: SimMember;
let bobView: SimMember;
let roster: EpochRoster;
let lobby: LobbyKeys;
let ring: SenderKeyRing;
/** Real inner plaintexts of every type, to mutate. */
const inners: Uint8Array[] = [];
const lobbyInners: Uint8Array[] = [];

beforeAll(async () => {
  const [a, b] = await loadIdentities(2);
  bob = b!;
  room = await SimRoom.create(a!);
  await room.admit('Alice', bob);
  alice = room.member('Alice');
  bobView = room.member('Bob');
  roster = await loadRoster(alice.state, alice.keys);
  lobby = await deriveLobbyKeys(alice.linkSecret);
  const bobMember = roster.members.find((m) => m.identity.displayName === 'Bob')!;
  const key = createSenderKey({ now: 0 });
  const dist = await sealSenderKeyDistribution({ keys: alice.keys, me: alice.me, recipient: bobMember, senderKey: key });
  const got = await openSenderKeyDistribution({ keys: alice.keys, roster, me: bob, envelope: dist.envelope, ring: emptySenderKeyRing() });
  if (!got.ok) throw new Error(got.code);
  ring = got.ring;
  const commit = await createCommit({
    me: alice.me,
    state: alice.state,
    epochKeys: alice.keys,
    linkSecret: alice.linkSecret,
    action: { kind: 'settings', timerSeconds: 5 },
  });
  if (!commit.ok) throw new Error(commit.code);
  for (const envelope of [
    dist.envelope,
    (await sealGroup({ keys: alice.keys, me: alice.me, senderKey: key, payload: enc('hi') })).envelope,
    (await sealDirect({ keys: alice.keys, me: alice.me, recipient: bobMember, payload: enc('dm') })).envelope,
    (await sealLeave({ keys: alice.keys, me: alice.me })).envelope,
    commit.envelope,
  ]) {
    const peek = await peekSealed(alice.keys, envelope);
    if (!peek.ok) throw new Error(peek.code);
    inners.push(peek.peek.decoded.inner);
  }
  const knock = await peekSealed(lobby, (await sealKnock({ lobbyKeys: lobby, me: bob })).envelope);
  if (!knock.ok) throw new Error(knock.code);
  lobbyInners.push(knock.peek.decoded.inner);
});

/** Every epoch-room opener, as Bob (peekSealed runs too: it must not throw, but it verifies no signature). */
async function openAllEpoch(envelope: Uint8Array) {
  const keys = alice.keys;
  await peekSealed(keys, envelope);
  return Promise.all([
    openSenderKeyDistribution({ keys, roster, me: bob, envelope, ring: emptySenderKeyRing() }),
    openGroup({ keys, roster, envelope, ring }),
    openDirect({ keys, roster, me: bob, envelope }),
    openLeave({ keys, roster, envelope }),
    openCommit({ me: bob, state: bobView.state, epochKeys: keys, linkSecret: bobView.linkSecret, envelope }),
  ]);
}

/** The authenticated lobby openers (a decline is an unauthenticated hint: it only must not throw). */
async function openAllLobby(envelope: Uint8Array) {
  await openDecline({ lobbyKeys: lobby, envelope });
  return Promise.all([
    openKnock({ lobbyKeys: lobby, envelope }),
    openWelcome({ lobbyKeys: lobby, me: bob, knockId: new Uint8Array(16), roomId: room.roomId, envelope }),
  ]);
}

const mutate = (samples: () => Uint8Array[]) =>
  fc
    .record({
      sample: fc.nat(),
      edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('set', 'insert', 'delete') }), {
        minLength: 1,
        maxLength: 4,
      }),
    })
    .map(({ sample, edits }) => {
      const list = samples();
      let bytes = [...list[sample % list.length]!];
      for (const edit of edits) {
        const at = edit.at % (bytes.length + 1);
        if (edit.kind === 'set' && at < bytes.length) bytes[at] = bytes[at] === edit.value ? (edit.value + 1) & 0xff : edit.value;
        else if (edit.kind === 'insert') bytes.splice(at, 0, edit.value);
        else if (bytes.length > 0) bytes = bytes.filter((_, i) => i !== at % bytes.length);
      }
      return new Uint8Array(bytes);
    });

describe('v2 decoders are total and accept no forgery', () => {
  it('random bytes as envelopes, entries, manifests, trailers, invites', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 1500 }), fc.string({ maxLength: 200 }), async (data, text) => {
        for (const r of await openAllEpoch(data)) expect(r.ok).toBe(false);
        for (const r of await openAllLobby(data)) expect(r.ok).toBe(false);
        expect(decodeEntry(data).ok).toBe(false);
        expect((await applyEntry(alice.state, data)).ok).toBe(false);
        expect((await verifyLog([data], room.roomId)).ok).toBe(false);
        decodeFileManifest(data);
        decodeFileDigest(data);
        peekFileChunk(data);
        parseInvite(`https://x.example/#${text}`);
        relayWebSocketUrl(text);
      }),
      RUNS,
    );
  });

  it('random inner plaintexts sealed with the real keys (what a member or link holder can send)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0x01, 0x02, 0x03, 0x04, 0x05, 0x10, 0x11, 0x12, 0x00, 0xff), fc.uint8Array({ maxLength: 1200 }), async (type, rest) => {
        const inner = new Uint8Array([type, ...rest]);
        for (const r of await openAllEpoch(await sealInner(alice.keys, inner))) expect(r.ok).toBe(false);
        for (const r of await openAllLobby(await sealInner(lobby, inner))) expect(r.ok).toBe(false);
      }),
      RUNS,
    );
  });

  it('mutated real inners, resealed: no opener accepts', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutate(() => inners),
        async (inner) => {
          if (inners.some((s) => s.length === inner.length && s.every((b, i) => b === inner[i]))) return;
          for (const r of await openAllEpoch(await sealInner(alice.keys, inner))) expect(r.ok).toBe(false);
        },
      ),
      RUNS,
    );
    await fc.assert(
      fc.asyncProperty(
        mutate(() => lobbyInners),
        async (inner) => {
          if (lobbyInners.some((s) => s.length === inner.length && s.every((b, i) => b === inner[i]))) return;
          expect((await openKnock({ lobbyKeys: lobby, envelope: await sealInner(lobby, inner) })).ok).toBe(false);
        },
      ),
      RUNS,
    );
  });
});
