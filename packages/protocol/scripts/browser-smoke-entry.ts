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

  const chunk = new Uint8Array(256 * 1024).fill(7);
  const manifest = p.createFileManifest({ name: 'f', type: 'x/y', size: chunk.length, chunkSize: chunk.length });
  const fk = await p.importFileKey(manifest);
  const sealed = await p.sealFileChunk({ manifest, fileKey: fk, index: 0, data: chunk });
  out.fileChunk = (await p.openFileChunk({ manifest, fileKey: fk, envelope: sealed })).ok;
  const digest = new p.FileDigest(chunk.length, chunk.length);
  await digest.add(0, chunk);
  out.fileDigest = (await digest.finish())?.length === 32;
  // A room, an add by commit with a welcome, a group message in the new epoch.
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
    out.admissionMacBytes = (await p.admissionProof(added.epochKeys.admissionKey, added.epochKeys.relayRoomId, new Uint8Array(32))).length;
    const roster = await p.loadRoster(added.state, added.epochKeys);
    const key = p.createSenderKey({ now: 0 });
    const bobMember = roster.byIdentityId.get(p.toBase64Url(b.unlocked.public.id))!;
    const dist2 = await p.sealSenderKeyDistribution({ keys: added.epochKeys, me: a.unlocked, recipient: bobMember, senderKey: key });
    const ring2 = await p.openSenderKeyDistribution({ keys: added.epochKeys, roster, me: b.unlocked, envelope: dist2.envelope, ring: p.emptySenderKeyRing() });
    const t2 = globalThis.performance.now();
    const g = await p.sealGroup({ keys: added.epochKeys, me: a.unlocked, senderKey: key, payload: enc('v2') });
    out.sealGroupMs = Math.round((globalThis.performance.now() - t2) * 10) / 10;
    const opened2 = ring2.ok ? await p.openGroup({ keys: added.epochKeys, roster, envelope: g.envelope, ring: ring2.ring }) : undefined;
    out.v2Group = opened2?.ok === true && dec(opened2.payload) === 'v2';
    if (opened2?.ok === true) out.replay = (await p.openGroup({ keys: added.epochKeys, roster, envelope: g.envelope, ring: opened2.ring })).ok === false;
    const dm = await p.sealDirect({ keys: added.epochKeys, me: a.unlocked, recipient: bobMember, payload: enc('dm') });
    const dmOpened = await p.openDirect({ keys: added.epochKeys, roster, me: b.unlocked, envelope: dm.envelope });
    out.direct = dmOpened.ok && dec(dmOpened.payload) === 'dm';
  } else {
    out.v2Welcome = false;
  }
  const sn1 = await p.computeSafetyNumber(a.unlocked.public, b.unlocked.public);
  const sn2 = await p.computeSafetyNumber(b.unlocked.public, a.unlocked.public);
  out.safetyNumber = sn1.digits === sn2.digits && p.compareSafetyNumber(sn1, sn2.scannable).ok;
  return out;
}

(globalThis as unknown as { smoke: () => Promise<Record<string, unknown>> }).smoke = run;
