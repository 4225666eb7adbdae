// The cost of membership in protocol v2, for the crypto section: one commit in a room of n
// members (the author seals a share of the new epoch secret to each member by RSA-OAEP and
// signs the entry; each member checks it and opens its share), and one welcome (the adder
// seals the whole log; the newcomer checks every entry back to the genesis).
import type * as Protocol from '@sealroom/protocol';
import { buildRoom, type SyntheticRoom } from './synthetic-room.js';

type ProtocolModule = typeof Protocol;

/** A knock id: 16 random bytes (PROTOCOL B.12). */
const KNOCK_ID_BYTES = 16;
/** Timer the measured settings commit sets, seconds (any valid value will do). */
const TIMER_SECONDS = 3_600;

export interface MembershipFigures {
  roomSize: number;
  commitMs: number;
  openCommitMs: number;
  sealWelcomeMs: number;
  openWelcomeMs: number;
  commitBytes: number;
  welcomeBytes: number;
}

const time = async <T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const t0 = performance.now();
  const value = await work();
  return { value, ms: performance.now() - t0 };
};

/**
 * `before` holds `roomSize − 1` members (or is built so); the newcomer is `everyone[roomSize −
 * 1]`, so the room it is welcomed into, and the commit after, has `roomSize` members.
 */
export async function measureMembership(
  p: ProtocolModule,
  room: SyntheticRoom,
  everyone: readonly Protocol.LocalIdentity[],
  roomSize: number,
): Promise<MembershipFigures> {
  const before = room.members.length === roomSize - 1 ? room : await buildRoom(p, everyone.slice(0, roomSize - 1));
  const creator = before.members[0]!;
  const newcomer = everyone[roomSize - 1]!;
  // The adder lets the newcomer in (an add commit), then seals the welcome.
  const added = await p.createCommit({
    me: creator,
    state: before.state,
    epochKeys: before.epochKeys,
    linkSecret: before.linkSecret,
    action: { kind: 'add', identity: newcomer.public, via: 'link' },
  });
  if (!added.ok) throw new Error(`add refused: ${added.code}`);
  const lobbyKeys = await p.deriveLobbyKeys(added.linkSecret);
  const knockId = crypto.getRandomValues(new Uint8Array(KNOCK_ID_BYTES));
  const welcome = await time(() =>
    p.sealWelcome({
      lobbyKeys,
      me: creator,
      knockId,
      knocker: newcomer.public,
      state: added.state,
      entries: [...before.entries, added.entry],
      secrets: added.secrets,
      epochSecret: added.epochSecret,
      linkSecret: added.linkSecret,
    }),
  );
  const roomId = p.fromBase64Url(added.state.roomId)!;
  const joined = await time(() => p.openWelcome({ lobbyKeys, me: newcomer, knockId, roomId, envelope: welcome.value.envelope }));
  if (!joined.value.ok) throw new Error(`welcome refused: ${joined.value.code}`);
  // A settings commit in the room of `roomSize`, and another member opening it.
  const commit = await time(() =>
    p.createCommit({
      me: creator,
      state: added.state,
      epochKeys: added.epochKeys,
      linkSecret: added.linkSecret,
      action: { kind: 'settings', timerSeconds: TIMER_SECONDS },
    }),
  );
  if (!commit.value.ok) throw new Error(`commit refused: ${commit.value.code}`);
  const envelope = commit.value.envelope;
  const opened = await time(() =>
    p.openCommit({
      me: newcomer,
      state: joined.value.ok ? joined.value.state : added.state,
      epochKeys: added.epochKeys,
      linkSecret: added.linkSecret,
      envelope,
    }),
  );
  if (!opened.value.ok) throw new Error(`commit did not open: ${opened.value.code}`);
  return {
    roomSize,
    commitMs: commit.ms,
    openCommitMs: opened.ms,
    sealWelcomeMs: welcome.ms,
    openWelcomeMs: joined.ms,
    commitBytes: envelope.length,
    welcomeBytes: welcome.value.envelope.length,
  };
}
