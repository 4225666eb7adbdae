/**
 * Finds an identity in raw envelope bytes without knowing any key of the room, the way a
 * relay (or anyone who saw the envelopes) would try to link one person across rooms
 * (issue 13, attack 6): her identity id or public key bytes anywhere in the envelope, or an
 * RSA-PSS signature by her signing key in any length-prefixed 384…1024-byte window.
 *
 * A PSS signature is recognisable with the public key alone: `s^e mod n` is the encoded
 * message EM, whose structure (trailer 0xbc, zero top bit, DB = zeros ‖ 0x01 ‖ salt after
 * unmasking with MGF1 of H) holds by chance with probability far below 2^-2000. The
 * message that was signed is not needed.
 */
import { fromBase64Url, type PublicIdentity } from '@sealroom/protocol';

/** SHA-256 output and the PSS salt length Sealroom signs with. */
const HASH_BYTES = 32;
const SALT_BYTES = 32;
/** Trailer byte of EMSA-PSS. */
const PSS_TRAILER = 0xbc;

const subtle = globalThis.crypto.subtle;

function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function fromBigInt(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i -= 1) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

async function mgf1(seed: Uint8Array, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  for (let counter = 0, offset = 0; offset < length; counter += 1, offset += HASH_BYTES) {
    const block = new Uint8Array(seed.length + 4);
    block.set(seed);
    new DataView(block.buffer).setUint32(seed.length, counter);
    const digest = new Uint8Array(await subtle.digest('SHA-256', block));
    out.set(digest.subarray(0, Math.min(HASH_BYTES, length - offset)), offset);
  }
  return out;
}

/** What a linker needs of one identity: its id, key bytes and signing modulus. */
export interface LinkTarget {
  id: Uint8Array;
  spkis: Uint8Array[];
  n: bigint;
  e: bigint;
  modulusBits: number;
}

export async function linkTarget(identity: PublicIdentity): Promise<LinkTarget> {
  const key = await subtle.importKey('spki', identity.signingSpki as Uint8Array<ArrayBuffer>, { name: 'RSA-PSS', hash: 'SHA-256' }, true, ['verify']);
  const jwk = await subtle.exportKey('jwk', key);
  const nBytes = fromBase64Url(jwk.n!)!;
  const n = toBigInt(nBytes);
  return { id: identity.id, spkis: [identity.signingSpki, identity.encryptionSpki], n, e: toBigInt(fromBase64Url(jwk.e!)!), modulusBits: n.toString(2).length };
}

/** Whether `s` is an RSA-PSS (SHA-256, 32-byte salt) signature by the target's key, over anything. */
export async function isPssSignatureBy(target: LinkTarget, s: Uint8Array): Promise<boolean> {
  const value = toBigInt(s);
  if (value >= target.n) return false;
  const emBits = target.modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const em = fromBigInt(modPow(value, target.e, target.n), emLen);
  if (em[emLen - 1] !== PSS_TRAILER) return false;
  const maskedDb = em.subarray(0, emLen - HASH_BYTES - 1);
  const h = em.subarray(emLen - HASH_BYTES - 1, emLen - 1);
  const topBits = 8 * emLen - emBits;
  if (maskedDb[0]! >> (8 - topBits) !== 0) return false;
  const mask = await mgf1(h, maskedDb.length);
  const db = maskedDb.map((byte, i) => byte ^ mask[i]!);
  db[0]! &= 0xff >> topBits;
  const separator = db.length - SALT_BYTES - 1;
  for (let i = 0; i < separator; i += 1) if (db[i] !== 0) return false;
  return db[separator] === 0x01;
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i += 1) {
    for (let j = 0; j < needle.length; j += 1) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * What in one envelope links it to the target, if anything: `identity-id`, `public-key` or
 * `signature`. Signatures are looked for behind every big-endian u16 length prefix equal to
 * the target's signature length (the vec16 framing every Sealroom version uses), and in the
 * envelope's last bytes.
 */
export async function linkIn(target: LinkTarget, envelope: Uint8Array): Promise<'identity-id' | 'public-key' | 'signature' | undefined> {
  if (contains(envelope, target.id)) return 'identity-id';
  if (target.spkis.some((spki) => contains(envelope, spki))) return 'public-key';
  const sigBytes = Math.ceil(target.modulusBits / 8);
  const candidates = new Set<number>();
  if (envelope.length >= sigBytes) candidates.add(envelope.length - sigBytes);
  for (let i = 0; i + 2 + sigBytes <= envelope.length; i += 1) {
    if (((envelope[i]! << 8) | envelope[i + 1]!) === sigBytes) candidates.add(i + 2);
  }
  for (const offset of candidates) {
    if (await isPssSignatureBy(target, envelope.subarray(offset, offset + sigBytes))) return 'signature';
  }
  return undefined;
}
