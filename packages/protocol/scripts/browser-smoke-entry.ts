/** Runs in Chromium (bundled by browser-smoke.mjs): the protocol's round trips on the browser's WebCrypto. */
import * as p from '../src/index.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const weak = { iterations: 1_000, dangerouslyAllowWeakKdfForTests: true };

async function run(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const t0 = globalThis.performance.now();
  const a = await p.wrapIdentity(await p.generateIdentity('Alice'), 'pw', weak);
  const b = await p.wrapIdentity(await p.generateIdentity('Bob'), 'pw', weak);
  out.keygenMs = Math.round(globalThis.performance.now() - t0);
  out.wrongPassword = (await p.unwrapIdentity(a.wrapped, 'nope')).ok === false;
  const t1 = globalThis.performance.now();
  const unlocked = await p.unwrapIdentity(JSON.parse(JSON.stringify(a.wrapped)), 'pw');
  out.unwrapOk = unlocked.ok && unlocked.unlocked.signingKey.extractable === false;
  const shipped = await p.changePassword(a.wrapped, 'pw', 'pw2');
  out.pbkdf2DefaultMs = Math.round(globalThis.performance.now() - t1);
  out.changePasswordOk = shipped.ok && shipped.wrapped.kdf.iterations === p.DEFAULT_PBKDF2_ITERATIONS;
  const atRest = await p.sealAtRest(a.unlocked.storageKey, 'l', enc('x'));
  out.atRest = (await p.openAtRest(a.unlocked.storageKey, 'l', atRest)).ok;

  const secret = p.createRoomSecret();
  const keys = await p.deriveRoomKeys(secret);
  const invite = p.parseInviteV1(p.formatInviteV1({ secret, creatorId: a.unlocked.public.id, baseUrl: globalThis.location.href }));
  out.invite = invite.ok && p.equalBytes(invite.invite.secret, secret);
  out.admissionMacBytes = (await p.admissionProof(keys.admissionKey, keys.roomId, new Uint8Array(32))).length;
  const join = await p.sealJoinAnnouncement({ roomKeys: keys, me: a.unlocked });
  const joined = await p.openJoinAnnouncement({ roomKeys: keys, envelope: join.envelope });
  out.join = joined.ok;
  const mA = await p.roomMember(keys, a.unlocked.public);
  const mB = await p.roomMember(keys, b.unlocked.public);
  const sk = p.createSenderKey({ now: 0 });
  const dist = await p.sealSenderKeyDistributionV1({ roomKeys: keys, me: a.unlocked, recipient: mB, senderKey: sk });
  const got = await p.openSenderKeyDistributionV1({ roomKeys: keys, me: b.unlocked, sender: mA, envelope: dist.envelope, ring: p.emptySenderKeyRing() });
  out.distribution = got.ok;
  if (got.ok) {
    const t2 = globalThis.performance.now();
    const m = await p.sealGroupMessage({ roomKeys: keys, me: a.unlocked, senderKey: sk, payload: enc('hello') });
    out.sealGroupMs = Math.round((globalThis.performance.now() - t2) * 10) / 10;
    const opened = await p.openGroupMessage({ roomKeys: keys, sender: mA, envelope: m.envelope, ring: got.ring });
    out.group = opened.ok && dec(opened.payload) === 'hello';
    if (opened.ok) out.replay = (await p.openGroupMessage({ roomKeys: keys, sender: mA, envelope: m.envelope, ring: opened.ring })).ok === false;
  }
  const dm = await p.sealDirectMessage({ roomKeys: keys, me: a.unlocked, recipient: mB, payload: enc('dm') });
  const dmOpened = await p.openDirectMessage({ roomKeys: keys, me: b.unlocked, sender: mA, envelope: dm.envelope });
  out.direct = dmOpened.ok && dec(dmOpened.payload) === 'dm';
  const ctl = await p.sealControl({ roomKeys: keys, me: a.unlocked, action: { kind: 'remove', target: b.unlocked.public.id } });
  out.control = (await p.openControl({ roomKeys: keys, sender: mA, envelope: ctl.envelope, creatorId: a.unlocked.public.id })).ok;
  const chunk = new Uint8Array(256 * 1024).fill(7);
  const digest = new p.FileDigest(chunk.length, chunk.length);
  await digest.add(0, chunk);
  const manifest = p.createFileManifestV1({ name: 'f', type: 'x/y', size: chunk.length, digest: (await digest.finish())!, chunkSize: chunk.length });
  const fk = await p.importFileKey(manifest);
  const sealed = await p.sealFileChunkV1({ roomKeys: keys, senderMemberId: mA.memberId, manifest, fileKey: fk, index: 0, data: chunk });
  out.fileChunk = (await p.openFileChunkV1({ roomKeys: keys, sender: mA, manifest, fileKey: fk, envelope: sealed })).ok;
  // Protocol v2: a room, an add by commit with a welcome, a group message in the new epoch.
  const room = await p.createRoom({ me: a.unlocked, name: 'Smoke' });
  const lobbyKeys = await p.deriveLobbyKeys(room.linkSecret);
  const knock = await p.sealKnock({ lobbyKeys, me: b.unlocked });
  const knocked = await p.openKnock({ lobbyKeys, envelope: knock.envelope });
  const added = knocked.ok
    ? await p.createCommit({
        me: a.unlocked,
        state: room.state,
        epochKeys: room.epochKeys,
        linkSecret: room.linkSecret,
        action: { kind: 'add', identity: knocked.identity, via: 'link' },
      })
    : undefined;
  if (added?.ok) {
    const welcome = await p.sealWelcome({
      lobbyKeys,
      me: a.unlocked,
      knockId: knock.knockId,
      knocker: b.unlocked.public,
      state: added.state,
      entries: [room.genesis, added.entry],
      secrets: added.secrets,
      epochSecret: added.epochSecret,
      linkSecret: added.linkSecret,
    });
    const joined = await p.openWelcome({ lobbyKeys, me: b.unlocked, knockId: knock.knockId, roomId: room.roomId, envelope: welcome.envelope });
    out.v2Welcome = joined.ok && p.equalBytes(joined.epochKeys.relayRoomId, added.epochKeys.relayRoomId);
    const roster = await p.loadRoster(added.state, added.epochKeys);
    const key = p.createSenderKey({ now: 0 });
    const bobMember = roster.byIdentityId.get(p.toBase64Url(b.unlocked.public.id))!;
    const dist2 = await p.sealSenderKeyDistribution({ keys: added.epochKeys, me: a.unlocked, recipient: bobMember, senderKey: key });
    const ring2 = await p.openSenderKeyDistribution({ keys: added.epochKeys, roster, me: b.unlocked, envelope: dist2.envelope, ring: p.emptySenderKeyRing() });
    const g = await p.sealGroup({ keys: added.epochKeys, me: a.unlocked, senderKey: key, payload: enc('v2') });
    const opened2 = ring2.ok ? await p.openGroup({ keys: added.epochKeys, roster, envelope: g.envelope, ring: ring2.ring }) : undefined;
    out.v2Group = opened2?.ok === true && dec(opened2.payload) === 'v2';
  } else {
    out.v2Welcome = false;
  }
  const sn1 = await p.computeSafetyNumber(a.unlocked.public, b.unlocked.public);
  const sn2 = await p.computeSafetyNumber(b.unlocked.public, a.unlocked.public);
  out.safetyNumber = sn1.digits === sn2.digits && p.compareSafetyNumber(sn1, sn2.scannable).ok;
  return out;
}

(globalThis as unknown as { smoke: () => Promise<Record<string, unknown>> }).smoke = run;
