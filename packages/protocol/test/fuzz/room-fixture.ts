/**
 * One room for the fuzz targets, built once per file from the pre-generated identity pool:
 * Alice (creator), Bob and Carol are members; Dave is an outsider who knocks. It holds a
 * valid sample of every v2 envelope type with the opener call that accepts it, so a target
 * can check that the sample opens before it checks that no mutation of it does.
 */
import {
  createCommit,
  createSenderKey,
  deriveLobbyKeys,
  emptySenderKeyRing,
  loadRoster,
  openSenderKeyDistribution,
  sealDecline,
  sealDirect,
  sealGroup,
  sealKnock,
  sealLeave,
  sealSenderKeyDistribution,
  sealWelcome,
  type EpochMember,
  type EpochRoster,
  type LobbyKeys,
  type LocalIdentity,
  type OutboundSenderKey,
  type SenderKeyRing,
} from '../../src/index.js';
import { SimRoom, enc, loadIdentities, type SimMember } from '../v2-fixtures.js';

/** The epoch-room inner types, and the lobby ones. */
export const EPOCH_TYPES = ['commit', 'sender-key', 'group', 'direct', 'leave'] as const;
export type EpochType = (typeof EPOCH_TYPES)[number];
export const LOBBY_TYPES = ['knock', 'welcome', 'decline'] as const;
export type LobbyType = (typeof LOBBY_TYPES)[number];

export interface FuzzRoom {
  room: SimRoom;
  alice: SimMember;
  bob: SimMember;
  carol: SimMember;
  /** Knocks in the lobby; not a member. */
  dave: LocalIdentity;
  /** The current epoch's roster (every member holds the same). */
  roster: EpochRoster;
  bobMember: EpochMember;
  lobby: LobbyKeys;
  /** Alice's sending chain, and Bob's ring holding it. */
  aliceKey: OutboundSenderKey;
  bobRing: SenderKeyRing;
  /** A valid sealed envelope of each type, all of the current epoch or its lobby. */
  epoch: Record<EpochType, Uint8Array>;
  lobbyEnvelopes: Record<LobbyType, Uint8Array>;
  /** The knock id Bob's (re-)welcome answers. */
  welcomeKnockId: Uint8Array;
}

export async function buildFuzzRoom(): Promise<FuzzRoom> {
  const [aliceId, bobId, carolId, dave] = await loadIdentities(4);
  const room = await SimRoom.create(aliceId!, { name: 'Fuzz room' });
  await room.admit('Alice', bobId!);
  await room.admit('Alice', carolId!);
  const alice = room.member('Alice');
  const bob = room.member('Bob');
  const carol = room.member('Carol');
  const roster = await loadRoster(alice.state, alice.keys);
  const bobMember = roster.members.find((m) => m.identity.displayName === 'Bob')!;
  const lobby = await deriveLobbyKeys(alice.linkSecret);

  const aliceKey = createSenderKey({ now: 0 });
  const distribution = await sealSenderKeyDistribution({ keys: alice.keys, me: alice.me, recipient: bobMember, senderKey: aliceKey });
  const held = await openSenderKeyDistribution({ keys: bob.keys, roster, me: bob.me, envelope: distribution.envelope, ring: emptySenderKeyRing() });
  if (!held.ok) throw new Error(`fixture: distribution refused: ${held.code}`);
  const group = await sealGroup({ keys: alice.keys, me: alice.me, senderKey: aliceKey, payload: enc('hello, room') });
  const commit = await createCommit({
    me: alice.me,
    state: alice.state,
    epochKeys: alice.keys,
    linkSecret: alice.linkSecret,
    action: { kind: 'settings', timerSeconds: 60 },
  });
  if (!commit.ok) throw new Error(`fixture: commit refused: ${commit.code}`);

  const welcomeKnockId = new Uint8Array(16).fill(0x5a);
  const welcome = await sealWelcome({
    lobbyKeys: lobby,
    me: alice.me,
    knockId: welcomeKnockId,
    knocker: bob.me.public,
    state: alice.state,
    entries: alice.entries,
    secrets: alice.secrets!,
    epochSecret: alice.epochSecret,
    linkSecret: alice.linkSecret,
  });
  const knock = await sealKnock({ lobbyKeys: lobby, me: dave! });
  return {
    room,
    alice,
    bob,
    carol,
    dave: dave!,
    roster,
    bobMember,
    lobby,
    aliceKey: group.senderKey,
    bobRing: held.ring,
    epoch: {
      commit: commit.envelope,
      'sender-key': distribution.envelope,
      group: group.envelope,
      direct: (await sealDirect({ keys: alice.keys, me: alice.me, recipient: bobMember, payload: enc('just for Bob') })).envelope,
      leave: (await sealLeave({ keys: carol.keys, me: carol.me })).envelope,
    },
    lobbyEnvelopes: {
      knock: knock.envelope,
      welcome: welcome.envelope,
      decline: (await sealDecline({ lobbyKeys: lobby, knockId: knock.knockId, reason: 'declined' })).envelope,
    },
    welcomeKnockId,
  };
}
