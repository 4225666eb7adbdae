// A room of many members for the crypto section, without generating an RSA-3072 pair per
// member (a second each). An identity is an encryption key and a signing key; a pool of k
// generated identities gives k·(k − 1) distinct identities by pairing one identity's
// encryption key with another's signing key, each usable with the matching private keys.
// RSA operations cost the same whichever key they use, so the timings are those of a real
// room of that size. Everything else — the genesis, one add commit per member (each with a
// share of the epoch secret for every member so far), the roster — is the real protocol.
import type * as Protocol from '@sealroom/protocol';

type ProtocolModule = typeof Protocol;

export interface SyntheticRoom {
  /** Members in the order they were added; member 0 created the room. */
  members: Protocol.LocalIdentity[];
  /** The whole log and the state, keys and secrets after it. */
  entries: Uint8Array[];
  state: Protocol.LogState;
  epochKeys: Protocol.EpochKeys;
  epochSecret: Uint8Array;
  linkSecret: Uint8Array;
  secrets: Uint8Array;
  roster: Protocol.EpochRoster;
}

/** Every pairing of one pool identity's encryption key with another's signing key. */
export async function pairIdentities(p: ProtocolModule, pool: readonly Protocol.LocalIdentity[], count: number): Promise<Protocol.LocalIdentity[]> {
  const out: Protocol.LocalIdentity[] = [];
  for (const enc of pool) {
    for (const sig of pool) {
      if (enc === sig || out.length >= count) continue;
      const imported = await p.importPublicIdentityJson({
        v: 1,
        displayName: `member ${out.length}`,
        encryptionSpki: p.toBase64Url(enc.public.encryptionSpki),
        signingSpki: p.toBase64Url(sig.public.signingSpki),
      });
      if (!imported.ok) throw new Error(`synthetic identity refused: ${imported.code}`);
      out.push({ public: imported.identity, decryptionKey: enc.decryptionKey, signingKey: sig.signingKey });
    }
  }
  if (out.length < count) throw new Error(`a pool of ${pool.length} identities makes only ${out.length} members`);
  return out;
}

/** A room whose creator added every other member, one commit each. */
export async function buildRoom(p: ProtocolModule, members: readonly Protocol.LocalIdentity[]): Promise<SyntheticRoom> {
  const creator = members[0]!;
  const created = await p.createRoom({ me: creator, name: 'bench room' });
  let state = created.state;
  let epochKeys = created.epochKeys;
  let epochSecret = created.epochSecret;
  let linkSecret = created.linkSecret;
  let secrets: Uint8Array = new Uint8Array(0);
  const entries: Uint8Array[] = [created.genesis];
  for (const member of members.slice(1)) {
    const commit = await p.createCommit({ me: creator, state, epochKeys, linkSecret, action: { kind: 'add', identity: member.public, via: 'member' } });
    if (!commit.ok) throw new Error(`add refused: ${commit.code}`);
    ({ state, epochKeys, epochSecret, linkSecret, secrets } = commit);
    entries.push(commit.entry);
  }
  return { members: [...members], entries, state, epochKeys, epochSecret, linkSecret, secrets, roster: await p.loadRoster(state, epochKeys) };
}
