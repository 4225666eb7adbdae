/**
 * Sender keys (as in Signal groups and Megolm): each member encrypts group messages under its
 * own chain, distributed to each other member by RSA-OAEP and signed. The chain ratchets
 * forward with HMAC-SHA-256 per message, so an old message key cannot be recomputed from a
 * newer chain key:
 *
 *   messageKey(n) = HMAC(chainKey(n), 0x01)     chainKey(n + 1) = HMAC(chainKey(n), 0x02)
 *
 * All state here is plain JSON data (numbers, base64url strings, arrays) so the client can
 * persist it encrypted at rest; keys are imported into WebCrypto only at the moment of use.
 * Every function returns new state instead of mutating its input: commit the new state only
 * after the call succeeds (and, for sending, before the envelope leaves).
 */
import {
  CHAIN_KEY_BYTES,
  KEY_ID_BYTES,
  MAX_FORWARD_JUMP,
  MAX_KEYS_PER_SENDER,
  MAX_MESSAGES_PER_SENDER_KEY,
  MAX_REMEMBERED_MESSAGE_IDS,
  MAX_RETIRED_SENDER_KEYS,
  MAX_SENDER_KEY_AGE_MS,
  MAX_SKIPPED_KEYS,
  RATCHET_CHAIN_KEY_INPUT,
  RATCHET_MESSAGE_KEY_INPUT,
} from './constants.js';
import { fromBase64Url, randomBytes, readU32, toBase64Url, u8, type Bytes } from './bytes.js';
import { fail, type Result } from './errors.js';
import { hmac, importHmacKey } from './webcrypto.js';

/** My sending chain in one room. Persist it after every send, before the envelope leaves. */
export interface OutboundSenderKey {
  v: 1;
  /** Random u32 naming this chain; changes on every rotation. */
  keyId: number;
  /** Chain key for message number `sequence`, base64url (32 bytes). */
  chainKey: string;
  /** Sequence number of the next message. */
  sequence: number;
  /** Caller's clock (ms since the epoch) at creation, for the age budget. */
  createdAt: number;
}

/** One member's chain as I received it. */
export interface InboundSenderKey {
  /** Member id of the owner, base64url. */
  sender: string;
  keyId: number;
  /** Chain key for sequence `next`, base64url. */
  chainKey: string;
  /** Lowest sequence not yet derived from the chain. */
  next: number;
  /** Sequence at which I received the key: anything below was "sent before you joined". */
  first: number;
  /** Message keys derived but not yet used (out-of-order delivery): [sequence, key]. Oldest first. */
  skipped: Array<[number, string]>;
  /** Recently opened message ids (base64url), oldest first. */
  seen: string[];
}

/** Everything I hold to read a room's group messages. Plain JSON data. */
export interface SenderKeyRing {
  v: 1;
  keys: InboundSenderKey[];
  /**
   * Keys dropped from `keys` (by rotation or {@link forgetSender}) as [sender, key id],
   * oldest first, at most {@link MAX_RETIRED_SENDER_KEYS}. Their distributions are refused
   * as replays. Absent in rings persisted before it existed.
   */
  retired?: Array<[string, number]>;
}

function randomKeyId(): number {
  return readU32(randomBytes(KEY_ID_BYTES), 0);
}

/** A fresh sending chain. `previous` guarantees the new key id differs from the old one. */
export function createSenderKey(options: { now: number; previous?: OutboundSenderKey }): OutboundSenderKey {
  let keyId = randomKeyId();
  while (keyId === options.previous?.keyId) keyId = randomKeyId();
  return { v: 1, keyId, chainKey: toBase64Url(randomBytes(CHAIN_KEY_BYTES)), sequence: 0, createdAt: options.now };
}

/**
 * Whether the budget of this key is spent: {@link MAX_MESSAGES_PER_SENDER_KEY} messages or
 * {@link MAX_SENDER_KEY_AGE_MS} of age. (Leaves and removals force a rotation regardless.)
 */
export function senderKeyNeedsRotation(key: OutboundSenderKey, now: number): boolean {
  return key.sequence >= MAX_MESSAGES_PER_SENDER_KEY || now - key.createdAt >= MAX_SENDER_KEY_AGE_MS;
}

export function emptySenderKeyRing(): SenderKeyRing {
  return { v: 1, keys: [] };
}

/** @internal A ring without `dropped`, whose (sender, key id) pairs are remembered as retired. */
export function retire(ring: SenderKeyRing, dropped: ReadonlySet<InboundSenderKey>, added?: InboundSenderKey): SenderKeyRing {
  const keys = ring.keys.filter((key) => !dropped.has(key));
  if (added !== undefined) keys.push(added);
  const retired = [...(ring.retired ?? []), ...[...dropped].map((key): [string, number] => [key.sender, key.keyId])].slice(-MAX_RETIRED_SENDER_KEYS);
  return retired.length === 0 ? { v: 1, keys } : { v: 1, keys, retired };
}

/** Drops every key of a member (identity id; after a leave or removal); they stay refused if replayed. */
export function forgetSender(ring: SenderKeyRing, identityId: Uint8Array): SenderKeyRing {
  const sender = toBase64Url(identityId);
  return retire(ring, new Set(ring.keys.filter((key) => key.sender === sender)));
}

/** Whether I hold this member's key with this id. */
export function hasSenderKey(ring: SenderKeyRing, identityId: Uint8Array, keyId: number): boolean {
  const sender = toBase64Url(identityId);
  return ring.keys.some((key) => key.sender === sender && key.keyId === keyId);
}

/** @internal */
export function wasRetired(ring: SenderKeyRing, sender: string, keyId: number): boolean {
  return ring.retired?.some(([s, k]) => s === sender && k === keyId) ?? false;
}

/** @internal One step of the chain: the message key for this position and the next chain key. */
export async function ratchetStep(chainKey: Uint8Array): Promise<{ messageKey: Bytes; nextChainKey: Bytes }> {
  const key = await importHmacKey(chainKey, ['sign']);
  const [messageKey, nextChainKey] = await Promise.all([hmac(key, u8(RATCHET_MESSAGE_KEY_INPUT)), hmac(key, u8(RATCHET_CHAIN_KEY_INPUT))]);
  return { messageKey, nextChainKey };
}

// ---- distribution -----------------------------------------------------------------------------

/**
 * @internal Adds a received chain to the ring, refusing one already held or retired (a
 * replayed distribution must not reset a chain and let old messages open again).
 */
export function acceptSenderKey(
  ring: SenderKeyRing,
  sender: string,
  keyId: number,
  sequence: number,
  chainKey: Uint8Array,
): Result<{ ring: SenderKeyRing }, 'KEY_ALREADY_KNOWN'> {
  if (ring.keys.some((key) => key.sender === sender && key.keyId === keyId) || wasRetired(ring, sender, keyId)) return fail('KEY_ALREADY_KNOWN');
  const entry: InboundSenderKey = { sender, keyId, chainKey: toBase64Url(chainKey), next: sequence, first: sequence, skipped: [], seen: [] };
  // Keep the newest few keys per sender: messages sealed just before a rotation still open.
  const own = ring.keys.filter((key) => key.sender === sender);
  const drop = new Set(own.slice(0, Math.max(0, own.length + 1 - MAX_KEYS_PER_SENDER)));
  return { ok: true, ring: retire(ring, drop, entry) };
}

/**
 * @internal The receive-window checks of B.11 for message `sequence`, in order: message id not
 * seen (`DUPLICATE`) → not before the key (`BEFORE_KEY`) → not consumed (`TOO_OLD`) → not
 * beyond the forward bound (`TOO_FAR_AHEAD`).
 */
export function checkWindow(
  state: InboundSenderKey,
  sequence: number,
  messageIdB64: string,
): 'DUPLICATE' | 'BEFORE_KEY' | 'TOO_OLD' | 'TOO_FAR_AHEAD' | undefined {
  if (state.seen.includes(messageIdB64)) return 'DUPLICATE';
  if (sequence < state.first) return 'BEFORE_KEY';
  if (sequence < state.next && !state.skipped.some(([s]) => s === sequence)) return 'TOO_OLD';
  if (sequence - state.next > MAX_FORWARD_JUMP) return 'TOO_FAR_AHEAD';
  return undefined;
}

/**
 * @internal The message key of `sequence` (which passed {@link checkWindow}) and the chain
 * state after using it: a skipped key is taken out, or the chain ratchets forward keeping
 * the keys it passes (oldest dropped past MAX_SKIPPED_KEYS). Commit the state only once the
 * message's tag verified.
 */
export async function advanceChain(state: InboundSenderKey, sequence: number, messageIdB64: string): Promise<{ messageKey: Bytes; updated: InboundSenderKey }> {
  const skippedIndex = sequence < state.next ? state.skipped.findIndex(([s]) => s === sequence) : -1;
  let messageKey: Bytes;
  let chainKey = fromBase64Url(state.chainKey)!;
  let next = state.next;
  let skipped: Array<[number, string]>;
  if (skippedIndex >= 0) {
    messageKey = fromBase64Url(state.skipped[skippedIndex]![1])!;
    skipped = state.skipped.filter((_, i) => i !== skippedIndex);
  } else {
    const fresh: Array<[number, string]> = [];
    for (; next < sequence; next += 1) {
      const step = await ratchetStep(chainKey);
      fresh.push([next, toBase64Url(step.messageKey)]);
      chainKey = step.nextChainKey;
    }
    const step = await ratchetStep(chainKey);
    messageKey = step.messageKey;
    chainKey = step.nextChainKey;
    next = sequence + 1;
    // Oldest skipped keys go first when the bound is hit: their messages become TOO_OLD.
    skipped = [...state.skipped, ...fresh].slice(-MAX_SKIPPED_KEYS);
  }
  const updated: InboundSenderKey = {
    ...state,
    chainKey: toBase64Url(chainKey),
    next,
    skipped,
    seen: [...state.seen, messageIdB64].slice(-MAX_REMEMBERED_MESSAGE_IDS),
  };
  return { messageKey, updated };
}
