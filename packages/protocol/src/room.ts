/**
 * Creating a room (PROTOCOL.md B.14.1): the genesis entry that binds the creator, the first
 * epoch secret, the first link secret. The room id is the hash of the genesis, so nobody else
 * can ever claim to have created this room.
 */
import { GENESIS_NONCE_BYTES } from './constants-v2.js';
import { fromBase64Url, randomBytes, utf8, type Bytes } from './bytes.js';
import { createEpochSecret, createLinkSecret, deriveEpochKeys, deriveLobbyKeys, membershipHash, type EpochKeys, type LobbyKeys } from './epoch-keys.js';
import { encodePublicIdentity, type LocalIdentity } from './identity.js';
import { OPEN_LINK, linkFlags, roomNameOk, timerOk, type LinkPolicy } from './log-actions.js';
import { ZERO_HASH, roomIdOf, signEntry } from './log-entry.js';
import { genesisState, type LogState } from './log-state.js';

/** A new room, as its creator holds it. Persist `genesis`, `state`, `epochSecret`, `linkSecret`. */
export interface CreatedRoom {
  /** Entry 0 of the log. */
  genesis: Uint8Array;
  roomId: Uint8Array;
  state: LogState;
  epochSecret: Uint8Array;
  epochKeys: EpochKeys;
  linkSecret: Uint8Array;
  lobbyKeys: LobbyKeys;
}

/**
 * Creates a room with me as its creator and only admin. Register `epochKeys.relayRoomId` and
 * `lobbyKeys.relayRoomId` on the relay; publish nothing else. Throws `RangeError` for a name
 * that breaks the room-name rules, a timer out of range, or a bad policy.
 */
export async function createRoom(options: { me: LocalIdentity; name: string; timerSeconds?: number; linkPolicy?: LinkPolicy }): Promise<CreatedRoom> {
  const { me, name } = options;
  const timerSeconds = options.timerSeconds ?? 0;
  const link = options.linkPolicy ?? OPEN_LINK;
  if (!roomNameOk(name)) throw new RangeError('room name refused');
  if (!timerOk(timerSeconds)) throw new RangeError('timer out of range');
  if (!Number.isSafeInteger(link.expiresAt) || link.expiresAt < 0) throw new RangeError('link expiry must be ms since 1970, or 0');
  const genesis = await signEntry(me, {
    roomId: ZERO_HASH,
    epoch: 0,
    prev: ZERO_HASH,
    author: me.public.id,
    action: {
      kind: 'genesis',
      creator: encodePublicIdentity(me.public),
      nonce: randomBytes(GENESIS_NONCE_BYTES),
      name: utf8(name),
      timerSeconds,
      linkFlags: linkFlags(link),
      linkExpiresAt: link.expiresAt,
    },
    membershipHash: await membershipHash([{ id: me.public.id, role: 'admin' }]),
    secretsHash: ZERO_HASH,
  });
  const roomId = await roomIdOf(genesis);
  const verified = await genesisState(genesis, roomId);
  if (!verified.ok) throw new Error(`own genesis refused: ${verified.code}`);
  const state = verified.state;
  const epochSecret = createEpochSecret();
  const epochKeys = await deriveEpochKeys(roomId, 0, epochSecret, verified.entryHash, fromBase64Url(state.epochs[0]!.membershipHash)! as Bytes);
  const linkSecret = createLinkSecret();
  return { genesis, roomId, state, epochSecret, epochKeys, linkSecret, lobbyKeys: await deriveLobbyKeys(linkSecret) };
}

/**
 * The keys of an epoch recorded in the state (the current one by default, or an earlier one
 * whose secret the client kept), from that epoch's secret.
 */
export function epochKeysFor(state: LogState, epochSecret: Uint8Array, epoch: number = state.epoch): Promise<EpochKeys> {
  const record = state.epochs[epoch];
  if (record === undefined) throw new RangeError(`no epoch ${epoch} in the state`);
  return deriveEpochKeys(fromBase64Url(state.roomId)!, epoch, epochSecret, fromBase64Url(record.head)!, fromBase64Url(record.membershipHash)!);
}
