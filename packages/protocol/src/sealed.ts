/**
 * The outer sealed form of v2 envelopes (PROTOCOL.md B.10) and the structure of every inner
 * type. The relay sees two bytes and a length; everything else — type, sender, recipient,
 * signature — is under AES-GCM with the epoch's envelope key (scope = group context) or the
 * lobby key (scope = lobby relay room id):
 *
 *   sealed = u8(2) ‖ u8(0x01) ‖ iv(12) ‖ GCM(K, iv, aad = u8(2) ‖ u8(0x01) ‖ scope(32), inner)
 *
 * Signatures of epoch-room inner types are `PSS(sender, "sealroom/v2/signature" ‖ scope ‖
 * inner[0 .. signature))`: inside the encryption, so nobody without K can test them against
 * a public key, and bound to the epoch's group context.
 */
import {
  AES_GCM_IV_BYTES,
  AES_GCM_TAG_BYTES,
  CHAIN_KEY_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_SIGNATURE_BYTES,
  MEMBER_ID_BYTES,
  MESSAGE_ID_BYTES,
  MIN_SIGNATURE_BYTES,
} from './constants.js';
import {
  CONTENT_KIND,
  ENVELOPE_KIND,
  INNER_TYPE,
  KNOCK_ID_BYTES,
  LABEL_V2_SIGNATURE,
  MAX_ENTRY_BYTES,
  PROTOCOL_VERSION,
  SEALED_HEADER_BYTES,
  type ContentKind,
  type InnerType,
} from './constants-v2.js';
import { Reader, bytes, concat, equalBytes, randomBytes, u16, u8, utf8, type Bytes } from './bytes.js';
import type { EpochKeys, LobbyKeys } from './epoch-keys.js';
import { fail, type Result, type SealedErrorCode } from './errors.js';
import type { LocalIdentity, PublicIdentity } from './identity.js';
import { MAX_IDENTITY_ENCODING_BYTES } from './log-actions.js';
import { gcmDecrypt, gcmEncrypt, pssSign, pssVerify } from './webcrypto.js';

/** Shortest sealed envelope: header, IV and an empty ciphertext's tag. */
export const MIN_SEALED_BYTES = SEALED_HEADER_BYTES + AES_GCM_IV_BYTES + AES_GCM_TAG_BYTES;
/** Longest RSA-OAEP ciphertext accepted (same bound as signatures). */
const MAX_OAEP_BYTES = MAX_SIGNATURE_BYTES;
/** Longest secrets part: a u16 count of shares (id, vec16 OAEP) and the sealed link state. */
const MAX_SECRETS_BYTES = 2 + 0xffff * (MEMBER_ID_BYTES + 2 + MAX_OAEP_BYTES) + AES_GCM_IV_BYTES + CHAIN_KEY_BYTES + AES_GCM_TAG_BYTES;

const TYPE_BY_BYTE = new Map<number, InnerType>(Object.entries(INNER_TYPE).map(([name, byte]) => [byte, name as InnerType]));
const CONTENT_BY_BYTE = new Map<number, ContentKind>(Object.entries(CONTENT_KIND).map(([name, byte]) => [byte, name as ContentKind]));
const LOBBY_TYPES = new Set<InnerType>(['knock', 'welcome', 'decline']);

/** The keys of an epoch room or of a lobby: both seal envelopes. */
export type SealingKeys = EpochKeys | LobbyKeys;

function keyAndScope(keys: SealingKeys): { key: CryptoKey; scope: Uint8Array } {
  return keys.kind === 'epoch' ? { key: keys.envelopeKey, scope: keys.context } : { key: keys.lobbyKey, scope: keys.relayRoomId };
}

function outerAad(scope: Uint8Array): Bytes {
  return concat(u8(PROTOCOL_VERSION), u8(ENVELOPE_KIND.sealed), scope);
}

/** @internal Seals an inner plaintext (type byte first) for an epoch room or a lobby. */
export async function sealInner(keys: SealingKeys, inner: Uint8Array): Promise<Bytes> {
  const { key, scope } = keyAndScope(keys);
  const iv = randomBytes(AES_GCM_IV_BYTES);
  const ciphertext = await gcmEncrypt(key, iv, outerAad(scope), inner);
  return concat(u8(PROTOCOL_VERSION), u8(ENVELOPE_KIND.sealed), iv, ciphertext);
}

/** A decoded inner plaintext. Fields are present by type; nothing is verified but the outer tag. */
export interface DecodedInner {
  type: InnerType;
  /** The whole inner plaintext. */
  inner: Bytes;
  sender?: Bytes;
  messageId?: Bytes;
  recipient?: Bytes;
  keyId?: number;
  sequence?: number;
  content?: ContentKind;
  /** leave: the epoch it names. */
  epoch?: number;
  wrappedKey?: Bytes;
  iv?: Bytes;
  ciphertext?: Bytes;
  /** group, direct: the inner bytes the message AAD covers after the context. */
  aadInner?: Bytes;
  /** Signed types: inner bytes before the signature's length prefix; and the signature. */
  signed?: Bytes;
  signature?: Bytes;
  /** commit */
  entry?: Bytes;
  secrets?: Bytes;
  /** lobby types */
  knockId?: Bytes;
  identity?: Bytes;
  reason?: number;
}

/** @internal Structural decoding of an inner plaintext. Never throws. */
export function decodeInner(inner: Uint8Array, where: 'epoch' | 'lobby'): Result<{ decoded: DecodedInner }, SealedErrorCode> {
  if (inner.length === 0) return fail('BAD_LENGTH');
  const type = TYPE_BY_BYTE.get(inner[0]!);
  if (type === undefined || LOBBY_TYPES.has(type) !== (where === 'lobby')) return fail('BAD_TYPE');
  const r = new Reader(inner);
  r.u8();
  const d: DecodedInner = { type, inner: bytes(inner) };
  const signature = (): boolean => {
    const end = r.offset;
    const sig = r.vec16(MAX_SIGNATURE_BYTES);
    if (sig === undefined || sig.length < MIN_SIGNATURE_BYTES) return false;
    d.signed = d.inner.slice(0, end);
    d.signature = sig;
    return true;
  };
  const ciphertext = (): Bytes | undefined => {
    const ct = r.vec32(MAX_PAYLOAD_BYTES + AES_GCM_TAG_BYTES);
    return ct !== undefined && ct.length >= AES_GCM_TAG_BYTES ? ct : undefined;
  };
  const oaep = (): Bytes | undefined => {
    const ct = r.vec16(MAX_OAEP_BYTES);
    return ct !== undefined && ct.length >= MIN_SIGNATURE_BYTES ? ct : undefined;
  };
  const content = (): ContentKind | undefined | null => {
    const raw = r.u8();
    return raw === undefined ? null : CONTENT_BY_BYTE.get(raw);
  };
  let ok: boolean;
  let badContent = false;
  switch (type) {
    case 'commit':
      d.entry = r.vec32(MAX_ENTRY_BYTES);
      d.secrets = r.vec32(MAX_SECRETS_BYTES);
      ok = d.entry !== undefined && d.secrets !== undefined;
      break;
    case 'sender-key':
      d.sender = r.take(MEMBER_ID_BYTES);
      d.messageId = r.take(MESSAGE_ID_BYTES);
      d.recipient = r.take(MEMBER_ID_BYTES);
      d.keyId = r.u32();
      d.wrappedKey = oaep();
      ok =
        d.sender !== undefined && d.messageId !== undefined && d.recipient !== undefined && d.keyId !== undefined && d.wrappedKey !== undefined && signature();
      break;
    case 'group': {
      d.sender = r.take(MEMBER_ID_BYTES);
      d.messageId = r.take(MESSAGE_ID_BYTES);
      d.keyId = r.u32();
      d.sequence = r.u32();
      const kind = content();
      d.aadInner = d.inner.slice(0, r.offset);
      d.iv = r.take(AES_GCM_IV_BYTES);
      d.ciphertext = ciphertext();
      ok =
        d.sender !== undefined &&
        d.messageId !== undefined &&
        d.keyId !== undefined &&
        d.sequence !== undefined &&
        kind !== null &&
        d.iv !== undefined &&
        d.ciphertext !== undefined &&
        signature();
      if (kind === undefined) badContent = true;
      else if (kind !== null) d.content = kind;
      break;
    }
    case 'direct': {
      d.sender = r.take(MEMBER_ID_BYTES);
      d.messageId = r.take(MESSAGE_ID_BYTES);
      d.recipient = r.take(MEMBER_ID_BYTES);
      const kind = content();
      d.aadInner = d.inner.slice(0, r.offset);
      d.wrappedKey = oaep();
      d.iv = r.take(AES_GCM_IV_BYTES);
      d.ciphertext = ciphertext();
      ok =
        d.sender !== undefined &&
        d.messageId !== undefined &&
        d.recipient !== undefined &&
        kind !== null &&
        d.wrappedKey !== undefined &&
        d.iv !== undefined &&
        d.ciphertext !== undefined &&
        signature();
      if (kind === undefined) badContent = true;
      else if (kind !== null) d.content = kind;
      break;
    }
    case 'leave':
      d.sender = r.take(MEMBER_ID_BYTES);
      d.messageId = r.take(MESSAGE_ID_BYTES);
      d.epoch = r.u32();
      ok = d.sender !== undefined && d.messageId !== undefined && d.epoch !== undefined && signature();
      break;
    case 'knock':
      d.knockId = r.take(KNOCK_ID_BYTES);
      d.identity = r.vec16(MAX_IDENTITY_ENCODING_BYTES);
      ok = d.knockId !== undefined && d.identity !== undefined && signature();
      break;
    case 'welcome':
      d.knockId = r.take(KNOCK_ID_BYTES);
      d.wrappedKey = oaep();
      d.iv = r.take(AES_GCM_IV_BYTES);
      d.ciphertext = ciphertext();
      ok = d.knockId !== undefined && d.wrappedKey !== undefined && d.iv !== undefined && d.ciphertext !== undefined;
      break;
    case 'decline':
      d.knockId = r.take(KNOCK_ID_BYTES);
      d.reason = r.u8();
      ok = d.knockId !== undefined && d.reason !== undefined;
      break;
  }
  if (!ok || r.remaining !== 0) return fail('BAD_LENGTH', type);
  if (badContent) return fail('BAD_ENCODING', 'content kind');
  return { ok: true, decoded: d };
}

/**
 * What {@link peekSealed} found inside a sealed envelope. The outer AES-GCM tag verified, so it
 * was sealed by a holder of this epoch's (or lobby's) key; NOTHING else is verified: use the
 * fields only to route the envelope to its opener, never to show or trust anything.
 */
export interface SealedPeek {
  readonly type: InnerType;
  /** Epoch types except commit: the sender's member id in this epoch. */
  readonly sender?: Uint8Array;
  readonly messageId?: Uint8Array;
  /** sender-key, direct: the recipient's member id. */
  readonly recipient?: Uint8Array;
  readonly keyId?: number;
  readonly sequence?: number;
  readonly content?: ContentKind;
  /** Lobby types. */
  readonly knockId?: Uint8Array;
  /** @internal What the openers continue from. */
  readonly decoded: DecodedInner;
  /** @internal The scope it was opened under: openers refuse a peek of other keys. */
  readonly scope: Uint8Array;
}

/**
 * Opens the outer layer and decodes the inner structure. Checks, in order: length
 * (`BAD_LENGTH`), version (`BAD_VERSION`), outer kind (`BAD_TYPE`), AES-GCM tag (`BAD_TAG` —
 * also what an envelope of another epoch, room or lobby gives), inner type valid here
 * (`BAD_TYPE`), inner structure (`BAD_LENGTH`, `BAD_ENCODING`). Never throws.
 */
export async function peekSealed(keys: SealingKeys, envelope: Uint8Array): Promise<Result<{ peek: SealedPeek }, SealedErrorCode>> {
  try {
    if (!(envelope instanceof Uint8Array) || envelope.length < SEALED_HEADER_BYTES) return fail('BAD_LENGTH');
    if (envelope[0] !== PROTOCOL_VERSION) return fail('BAD_VERSION');
    if (envelope[1] !== ENVELOPE_KIND.sealed) return fail('BAD_TYPE', 'outer kind');
    if (envelope.length < MIN_SEALED_BYTES) return fail('BAD_LENGTH');
    const { key, scope } = keyAndScope(keys);
    const iv = envelope.subarray(SEALED_HEADER_BYTES, SEALED_HEADER_BYTES + AES_GCM_IV_BYTES);
    const inner = await gcmDecrypt(key, iv, outerAad(scope), envelope.subarray(SEALED_HEADER_BYTES + AES_GCM_IV_BYTES));
    if (inner === undefined) return fail('BAD_TAG');
    const decoded = decodeInner(inner, keys.kind);
    if (!decoded.ok) return decoded;
    const d = decoded.decoded;
    const peek: SealedPeek = {
      type: d.type,
      decoded: d,
      scope: bytes(scope).slice(),
      ...(d.sender !== undefined && { sender: d.sender }),
      ...(d.messageId !== undefined && { messageId: d.messageId }),
      ...(d.recipient !== undefined && { recipient: d.recipient }),
      ...(d.keyId !== undefined && { keyId: d.keyId }),
      ...(d.sequence !== undefined && { sequence: d.sequence }),
      ...(d.content !== undefined && { content: d.content }),
      ...(d.knockId !== undefined && { knockId: d.knockId }),
    };
    return { ok: true, peek };
  } catch {
    return fail('BAD_ENCODING', 'unexpected');
  }
}

/**
 * @internal The opener's first steps: peek (or take the caller's peek, if it was opened
 * under these keys) and insist on the expected inner type (`WRONG_TYPE`).
 */
export async function openAs(
  keys: SealingKeys,
  envelope: Uint8Array | SealedPeek,
  type: InnerType,
): Promise<Result<{ decoded: DecodedInner }, SealedErrorCode>> {
  let peek: SealedPeek;
  if (envelope instanceof Uint8Array) {
    const peeked = await peekSealed(keys, envelope);
    if (!peeked.ok) return peeked;
    peek = peeked.peek;
  } else {
    // A peek of other keys is what opening its bytes under these keys would give.
    if (typeof envelope !== 'object' || envelope === null || !equalBytes(envelope.scope, keyAndScope(keys).scope)) return fail('BAD_TAG');
    peek = envelope;
  }
  if (peek.type !== type) return fail('WRONG_TYPE', peek.type);
  return { ok: true, decoded: peek.decoded };
}

/** @internal `PSS(me, "sealroom/v2/signature" ‖ scope ‖ signed)`. */
export function signInner(me: LocalIdentity, scope: Uint8Array, signed: Uint8Array): Promise<Bytes> {
  return pssSign(me.signingKey, concat(utf8(LABEL_V2_SIGNATURE), scope, signed));
}

/** @internal */
export function verifyInner(signer: PublicIdentity, scope: Uint8Array, signed: Uint8Array, signature: Uint8Array): Promise<boolean> {
  return pssVerify(signer.verifyKey, signature, concat(utf8(LABEL_V2_SIGNATURE), scope, signed));
}

/** @internal Appends `vec16(signature)` over `signed` under the scope. */
export async function withSignature(me: LocalIdentity, scope: Uint8Array, signed: Uint8Array): Promise<Bytes> {
  const signature = await signInner(me, scope, signed);
  return concat(signed, u16(signature.length), signature);
}

/** @internal Wraps an opener so that nothing untrusted can make it throw. */
export async function neverThrows<T extends object, C extends string>(open: () => Promise<Result<T, C>>): Promise<Result<T, C | 'BAD_ENCODING'>> {
  try {
    return await open();
  } catch {
    return fail('BAD_ENCODING', 'unexpected');
  }
}

/** Content kind byte. @internal */
export function contentKindByte(kind: ContentKind): Bytes {
  return u8(CONTENT_KIND[kind]);
}

/** A fresh random message id. @internal */
export function newMessageId(): Bytes {
  return randomBytes(MESSAGE_ID_BYTES);
}
