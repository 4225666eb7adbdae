// Section 3: client cryptography. Sealing and opening one group message with sender keys
// against the naive per-recipient RSA-OAEP scheme, for several room sizes; the cost of the
// key rotation every remaining member performs after a removal; a membership commit and a
// newcomer's welcome (the whole log checked) in a room of 100; unlocking an identity.
import type * as Protocol from '@sealroom/protocol';
import type { BenchContext } from '../context.js';
import { openNaive, sealNaive, type NaiveRecipient } from '../naive-scheme.js';
import { fmtFixed, fmtInt, fmtRatio, type SectionResult, type Table, type Verdict } from '../report.js';
import { median, ratio } from '../stats.js';
import { measureMembership, type MembershipFigures } from '../membership-timing.js';
import { buildRoom, pairIdentities } from '../synthetic-room.js';

/** A short chat message with its JSON framing: what a typical group message carries, bytes. */
const PAYLOAD_BYTES = 200;
/**
 * Identities generated for the run. RSA-3072 key generation costs about a second each, and
 * an RSA operation costs the same whichever key it uses, so the members of larger rooms pair
 * one pool identity's encryption key with another's signing key (synthetic-room.ts):
 * 11 × 10 = 110 distinct members.
 */
const IDENTITY_POOL = 11;
/** Room size of the membership-commit and welcome figures (at least; the largest room measured). */
const COMMIT_ROOM_SIZE = 100;
const MEMBER_ID_BYTES = 32;
const CHAIN_KEY_BYTES = 32;
/** Rounds over every room size at least, whatever the time budget. */
const MIN_ROUNDS = 5;
/** Benchmark-only password; unlock cost does not depend on it. */
const BENCH_PASSWORD = 'correct horse battery staple, benchmark only';
/** "Flat in room size": sealing at the largest room costs at most this much more than at the smallest (timing noise allowance). */
const FLAT_TOLERANCE = 1.25;

type ProtocolModule = typeof Protocol;

async function loadProtocol(): Promise<ProtocolModule | string> {
  try {
    const protocol = await import('@sealroom/protocol');
    const needed = [
      'generateIdentity',
      'createRoom',
      'createCommit',
      'openCommit',
      'sealWelcome',
      'openWelcome',
      'deriveLobbyKeys',
      'loadRoster',
      'createSenderKey',
      'sealGroup',
      'openGroup',
      'sealSenderKeyDistribution',
      'openSenderKeyDistribution',
      'emptySenderKeyRing',
      'wrapIdentity',
      'unwrapIdentity',
    ] as const;
    const missing = needed.filter((name) => typeof (protocol as Record<string, unknown>)[name] !== 'function');
    return missing.length > 0 ? `@sealroom/protocol does not export ${missing.join(', ')} yet` : protocol;
  } catch (error) {
    return `@sealroom/protocol does not load: ${error instanceof Error ? error.message : String(error)}`;
  }
}

interface SizeFigures {
  roomSize: number;
  sealMs: number;
  openMs: number;
  envelopeBytes: number;
  naiveSealMs: number;
  naiveOpenMs: number;
  naiveEnvelopeBytes: number;
  runs: number;
}

interface RotationFigures {
  roomSize: number;
  /** One remaining member: a new sender key sealed to each of the others. */
  sealMs: number;
  /** One remaining member: opening every other member's new key. */
  openMs: number;
  distributions: number;
}

export async function runCrypto(context: BenchContext): Promise<SectionResult> {
  const loaded = await loadProtocol();
  if (typeof loaded === 'string') {
    return { name: 'crypto', title: 'Client cryptography', status: 'unavailable', reason: loaded, tables: [], verdicts: [] };
  }
  const p = loaded;
  const budgetMs = context.profile.crypto.budgetMs;

  const identityMs: number[] = [];
  const pool: Protocol.GeneratedIdentity[] = [];
  for (let i = 0; i < IDENTITY_POOL; i += 1) {
    const t0 = performance.now();
    pool.push(await p.generateIdentity(`bench member ${i}`));
    identityMs.push(performance.now() - t0);
  }
  context.log(`crypto: ${IDENTITY_POOL} identities, median ${fmtFixed(median(identityMs), 0)} ms each`);
  const largest = Math.max(COMMIT_ROOM_SIZE, ...context.profile.crypto.roomSizes, ...context.profile.crypto.rotationRoomSizes);
  const everyone = await pairIdentities(p, pool, largest);
  const [sender, receiver] = [everyone[0]!, everyone[1]!];
  // The group message is sealed in a room of two; what grows with the room is the receiver's
  // ring (one inbound key per other member) and, for the naive scheme, the recipient list.
  const pair = await buildRoom(p, [sender, receiver]);
  const keys = pair.epochKeys;
  const senderMember = pair.roster.byIdentityId.get(p.toBase64Url(sender.public.id))!;
  const receiverMember = pair.roster.byIdentityId.get(p.toBase64Url(receiver.public.id))!;
  const payload = p.randomBytes(PAYLOAD_BYTES);
  const modulusBytes = sender.public.signatureBytes;

  // Per room size: the sender's chain, the receiver's ring (one inbound key per other
  // member, as in a real room of that size) and the naive scheme's recipient list.
  const states = [];
  for (const roomSize of context.profile.crypto.roomSizes) {
    const filler: Protocol.InboundSenderKey[] = Array.from({ length: roomSize - 2 }, () => ({
      sender: p.toBase64Url(p.randomBytes(MEMBER_ID_BYTES)),
      keyId: 1,
      chainKey: p.toBase64Url(p.randomBytes(CHAIN_KEY_BYTES)),
      next: 0,
      first: 0,
      skipped: [],
      seen: [],
    }));
    const senderKey = p.createSenderKey({ now: Date.now() });
    const distribution = await p.sealSenderKeyDistribution({ keys, me: sender, recipient: receiverMember, senderKey });
    const opened = await p.openSenderKeyDistribution({
      keys,
      roster: pair.roster,
      me: receiver,
      envelope: distribution.envelope,
      ring: { v: 1, keys: filler },
    });
    if (!opened.ok) throw new Error(`sender-key distribution did not open: ${opened.code}`);
    const recipients: NaiveRecipient[] = Array.from({ length: roomSize - 1 }, (_, index) =>
      index === 0
        ? { memberId: receiverMember.memberId, encryptionKey: receiver.public.encryptionKey }
        : { memberId: p.randomBytes(MEMBER_ID_BYTES), encryptionKey: pool[index % IDENTITY_POOL]!.public.encryptionKey },
    );
    states.push({
      roomSize,
      senderKey,
      ring: opened.ring,
      recipients,
      envelopeBytes: 0,
      naiveEnvelopeBytes: 0,
      seal: [] as number[],
      open: [] as number[],
      naiveSeal: [] as number[],
      naiveOpen: [] as number[],
    });
  }
  const naiveSender = { memberId: senderMember.memberId, signingKey: sender.signingKey, modulusBytes };
  const naiveMe = { memberId: receiverMember.memberId, decryptionKey: receiver.decryptionKey };
  const timed = async <T>(into: number[], work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const result = await work();
    into.push(performance.now() - t0);
    return result;
  };
  // Rounds over all room sizes in turn, one seal and one open of each scheme per size per
  // round, so a burst of background load on this shared machine hits every size alike.
  const started = performance.now();
  for (let round = 0; round < MIN_ROUNDS || performance.now() - started < budgetMs * states.length; round += 1) {
    for (const state of states) {
      const sealed = await timed(state.seal, () => p.sealGroup({ keys, me: sender, senderKey: state.senderKey, payload }));
      state.senderKey = sealed.senderKey;
      state.envelopeBytes = sealed.envelope.length;
      const opened = await timed(state.open, () => p.openGroup({ keys, roster: pair.roster, envelope: sealed.envelope, ring: state.ring }));
      if (!opened.ok) throw new Error(`group message did not open: ${opened.code}`);
      state.ring = opened.ring;
      const naive = await timed(state.naiveSeal, () => sealNaive({ roomId: keys.roomId, sender: naiveSender, recipients: state.recipients, payload }));
      state.naiveEnvelopeBytes = naive.length;
      const naiveOpened = await timed(state.naiveOpen, () =>
        openNaive({ envelope: naive, me: naiveMe, senderVerifyKey: sender.public.verifyKey, modulusBytes }),
      );
      if (!naiveOpened.ok) throw new Error(`naive envelope did not open: ${naiveOpened.code}`);
    }
  }
  const sizes: SizeFigures[] = states.map((state) => ({
    roomSize: state.roomSize,
    sealMs: median(state.seal),
    openMs: median(state.open),
    envelopeBytes: state.envelopeBytes,
    naiveSealMs: median(state.naiveSeal),
    naiveOpenMs: median(state.naiveOpen),
    naiveEnvelopeBytes: state.naiveEnvelopeBytes,
    runs: state.seal.length,
  }));
  for (const size of sizes)
    context.log(`crypto room ${size.roomSize}: seal ${fmtFixed(size.sealMs)} ms vs naive ${fmtFixed(size.naiveSealMs)} ms (${size.runs} runs)`);

  // A room one member short of the largest size, every member added by a commit: the
  // rotation figures use its real roster, the membership figures add the last member to it.
  context.log(`crypto: building a room of ${largest - 1} members (one add commit each)`);
  const big = await buildRoom(p, everyone.slice(0, largest - 1));
  const bigMember = (identity: Protocol.LocalIdentity) => big.roster.byIdentityId.get(p.toBase64Url(identity.public.id))!;

  // Rotation after a removal: every remaining member makes a new sender key and seals it to
  // each of the other remaining members, then opens theirs. Measured for one member.
  const rotateOnce = async (roomSize: number) => {
    const others = Math.max(0, roomSize - 2);
    const recipients = everyone.slice(1, 1 + others).map(bigMember);
    const t0 = performance.now();
    const newKey = p.createSenderKey({ now: Date.now() });
    for (const recipient of recipients) await p.sealSenderKeyDistribution({ keys: big.epochKeys, me: sender, recipient, senderKey: newKey });
    const sealMs = performance.now() - t0;
    // What arrives from the others (sealed outside the timing): one distribution each.
    const incoming: Uint8Array[] = [];
    for (let index = 0; index < others; index += 1) {
      const from = big.members[2 + (index % (big.members.length - 2))]!;
      const key = p.createSenderKey({ now: Date.now() });
      incoming.push((await p.sealSenderKeyDistribution({ keys: big.epochKeys, me: from, recipient: bigMember(receiver), senderKey: key })).envelope);
    }
    let ring = p.emptySenderKeyRing();
    const t1 = performance.now();
    for (const envelope of incoming) {
      const result = await p.openSenderKeyDistribution({ keys: big.epochKeys, roster: big.roster, me: receiver, envelope, ring });
      if (!result.ok) throw new Error(`rotation distribution did not open: ${result.code}`);
      ring = result.ring;
    }
    return { sealMs, openMs: performance.now() - t1, distributions: others };
  };
  const rotationRuns = new Map<number, { sealMs: number; openMs: number; distributions: number }[]>();
  for (let run = 0; run < context.profile.crypto.rotationRuns; run += 1) {
    for (const roomSize of context.profile.crypto.rotationRoomSizes) {
      const runs = rotationRuns.get(roomSize) ?? [];
      runs.push(await rotateOnce(roomSize));
      rotationRuns.set(roomSize, runs);
    }
  }
  const rotations: RotationFigures[] = [...rotationRuns.entries()].map(([roomSize, runs]) => ({
    roomSize,
    sealMs: median(runs.map((run) => run.sealMs)),
    openMs: median(runs.map((run) => run.openMs)),
    distributions: runs[0]!.distributions,
  }));
  for (const rotation of rotations)
    context.log(`crypto rotation room ${rotation.roomSize}: seal ${fmtFixed(rotation.sealMs)} ms, open ${fmtFixed(rotation.openMs)} ms`);

  const membership = await measureMembership(p, big, everyone, largest);
  context.log(
    `crypto membership room ${membership.roomSize}: commit ${fmtFixed(membership.commitMs, 0)} ms, open ${fmtFixed(membership.openCommitMs, 0)} ms, welcome check ${fmtFixed(membership.openWelcomeMs, 0)} ms`,
  );

  const wrapped = await p.wrapIdentity(pool[0]!, BENCH_PASSWORD);
  const unlockTimes: number[] = [];
  for (let run = 0; run < context.profile.crypto.unlockRuns; run += 1) {
    const t0 = performance.now();
    const unlocked = await p.unwrapIdentity(wrapped.wrapped, BENCH_PASSWORD);
    unlockTimes.push(performance.now() - t0);
    if (!unlocked.ok) throw new Error(`unlock failed: ${unlocked.code}`);
  }
  const unlockMs = median(unlockTimes);
  const iterations = wrapped.wrapped.kdf.iterations;

  return buildResult({
    sizes,
    rotations,
    membership,
    rotationRuns: context.profile.crypto.rotationRuns,
    unlockMs,
    iterations,
    identityMs: median(identityMs),
    budgetMs,
  });
}

function buildResult(figures: {
  sizes: SizeFigures[];
  rotations: RotationFigures[];
  membership: MembershipFigures;
  rotationRuns: number;
  unlockMs: number;
  iterations: number;
  identityMs: number;
  budgetMs: number;
}): SectionResult {
  const { sizes, rotations } = figures;
  const smallest = sizes[0]!;
  const largest = sizes[sizes.length - 1]!;
  const sealGrowth = ratio(largest.sealMs, smallest.sealMs);
  const envelopeFlat = sizes.every((size) => size.envelopeBytes === smallest.envelopeBytes);
  const byRoom = <T>(pick: (size: SizeFigures) => T) => Object.fromEntries(sizes.map((size) => [String(size.roomSize), pick(size)]));
  const table: Table = {
    title: `Group message, ${PAYLOAD_BYTES}-byte payload: sender keys vs naive per-recipient RSA-OAEP`,
    headers: ['Room size', 'Seal ms', 'Open ms', 'Envelope bytes', 'Naive seal ms', 'Naive open ms', 'Naive envelope bytes', 'Naive / sender-key seal'],
    rows: sizes.map((size) => [
      String(size.roomSize),
      fmtFixed(size.sealMs),
      fmtFixed(size.openMs),
      fmtInt(size.envelopeBytes),
      fmtFixed(size.naiveSealMs),
      fmtFixed(size.naiveOpenMs),
      fmtInt(size.naiveEnvelopeBytes),
      fmtRatio(ratio(size.naiveSealMs, size.sealMs)),
    ]),
    notes: [
      'Sender keys: one HMAC ratchet step, one AES-256-GCM encryption, one RSA-PSS-3072 signature per message; opening verifies the signature and decrypts.',
      'Naive: fresh AES-256-GCM key per message, RSA-OAEP-3072 wrapped to each of the other members (as pyMessenger does), plus one RSA-PSS signature so both schemes authenticate the sender; opening costs one RSA-OAEP decryption, one verification and one AES decryption.',
      `Medians of ${sizes[0]?.runs ?? 0} runs per cell (rounds over all room sizes in turn, about ${figures.budgetMs} ms per size), one message at a time, in this Node process (WebCrypto, OpenSSL).`,
    ],
  };
  const rotationTable: Table = {
    title: 'Key rotation after a removal, per remaining member',
    headers: ['Room size before removal', 'Distributions', 'Seal my new key to the others, ms', 'Open the others’ new keys, ms', 'Total ms'],
    rows: rotations.map((rotation) => [
      String(rotation.roomSize),
      String(rotation.distributions),
      fmtFixed(rotation.sealMs, 1),
      fmtFixed(rotation.openMs, 1),
      fmtFixed(rotation.sealMs + rotation.openMs, 1),
    ]),
    notes: [
      `Median of ${figures.rotationRuns} run(s) per size. Each remaining member seals one RSA-OAEP + RSA-PSS distribution per other remaining member and opens one from each: linear in room size, as in Signal groups and Megolm; it happens once per leave or removal, not per message.`,
    ],
  };
  const m = figures.membership;
  const membershipTable: Table = {
    title: `Membership in a room of ${m.roomSize} (protocol v2)`,
    headers: ['Operation', 'ms', 'Envelope bytes'],
    rows: [
      ['Commit (a settings change): a share of the new epoch secret sealed to each member, the entry signed', fmtFixed(m.commitMs, 0), fmtInt(m.commitBytes)],
      ['Open that commit as a member: entry and signature, every recipient, its own share', fmtFixed(m.openCommitMs, 0), ''],
      ['Seal a welcome: the whole log, the current secrets part', fmtFixed(m.sealWelcomeMs, 0), fmtInt(m.welcomeBytes)],
      ['Check a welcome as the newcomer: every entry back to the genesis, its share, the adder', fmtFixed(m.openWelcomeMs, 0), ''],
    ],
    notes: ['One run each, printed for context (no target): a commit happens once per membership or settings change, a welcome once per newcomer.'],
  };
  const unlockTable: Table = {
    title: 'Identity',
    headers: ['Operation', 'ms'],
    rows: [
      [`Unlock (PBKDF2-SHA-256 × ${fmtInt(figures.iterations)}, unwrap and import both private keys)`, fmtFixed(figures.unlockMs, 0)],
      ['Generate (two RSA-3072 key pairs)', fmtFixed(figures.identityMs, 0)],
    ],
  };
  const verdicts: Verdict[] = [
    {
      figure: `Group-message seal cost, room ${largest.roomSize} vs ${smallest.roomSize}`,
      value: `${fmtRatio(sealGrowth)} (${fmtFixed(largest.sealMs)} vs ${fmtFixed(smallest.sealMs)} ms)`,
      target: `flat in room size (≤ ${FLAT_TOLERANCE}×)`,
      met: sealGrowth <= FLAT_TOLERANCE,
    },
    {
      figure: 'Group-message envelope size vs room size',
      value: envelopeFlat ? `${fmtInt(smallest.envelopeBytes)} bytes at every size` : sizes.map((size) => `${size.roomSize}: ${size.envelopeBytes}`).join(', '),
      target: 'independent of member count',
      met: envelopeFlat,
    },
    {
      figure: `Naive scheme seal cost at room ${largest.roomSize}`,
      value: `${fmtFixed(largest.naiveSealMs)} ms, ${fmtInt(largest.naiveEnvelopeBytes)} bytes`,
      target: 'context',
    },
    { figure: `Membership commit, room ${m.roomSize}`, value: `${fmtFixed(m.commitMs, 0)} ms (open ${fmtFixed(m.openCommitMs, 0)} ms)`, target: 'context' },
    { figure: `Newcomer's welcome check, room ${m.roomSize}`, value: `${fmtFixed(m.openWelcomeMs, 0)} ms`, target: 'context' },
    { figure: 'Identity unlock', value: `${fmtFixed(figures.unlockMs, 0)} ms`, target: 'context (PBKDF2 at ≥ 600,000)' },
  ];
  return {
    name: 'crypto',
    title: 'Client cryptography',
    status: 'ok',
    tables: [table, rotationTable, membershipTable, unlockTable],
    verdicts,
    json: {
      payloadBytes: PAYLOAD_BYTES,
      sealMs: byRoom((size) => size.sealMs),
      openMs: byRoom((size) => size.openMs),
      envelopeBytes: byRoom((size) => size.envelopeBytes),
      naive: {
        sealMs: byRoom((size) => size.naiveSealMs),
        openMs: byRoom((size) => size.naiveOpenMs),
        envelopeBytes: byRoom((size) => size.naiveEnvelopeBytes),
      },
      rotationAfterRemovalMs: Object.fromEntries(
        rotations.map((rotation) => [String(rotation.roomSize), { sealMs: rotation.sealMs, openMs: rotation.openMs, distributions: rotation.distributions }]),
      ),
      membership: m,
      unlockMs: figures.unlockMs,
      pbkdf2Iterations: figures.iterations,
      identityGenerationMs: figures.identityMs,
    },
  };
}
