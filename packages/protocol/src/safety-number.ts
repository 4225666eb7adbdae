/**
 * Safety numbers, as Signal displays them: for each identity, SHA-512 iterated 5,200 times
 * over its canonical key bytes; 30 digits from each (six 5-byte chunks, each read as a
 * big-endian 40-bit integer mod 100,000); the smaller 30-digit half first, so both sides
 * compute the same 60 digits. The scannable form carries 32 bytes of each iterated hash.
 */
import {
  LABEL_SAFETY_NUMBER,
  SAFETY_NUMBER_DIGITS,
  SAFETY_NUMBER_GROUP_DIGITS,
  SAFETY_NUMBER_HASH_BYTES,
  SAFETY_NUMBER_ITERATIONS,
  SAFETY_SCAN_HASH_BYTES,
  SAFETY_SCAN_PREFIX,
} from './constants.js';
import { bytes, compareBytes, concat, equalBytes, fromBase64Url, toBase64Url, utf8, type Bytes } from './bytes.js';
import { fail, type Result, type SafetyErrorCode } from './errors.js';
import { canonicalKeyBytes, type PublicIdentity } from './identity.js';
import { subtle } from './webcrypto.js';

export interface SafetyNumber {
  /** 60 decimal digits, no separators. */
  digits: string;
  /** The same as 12 groups of 5 digits. */
  groups: string[];
  /** Groups joined by spaces, for display. */
  display: string;
  /** Compact string for a QR code: "SRSN1:" + base64url of both 32-byte hashes, smaller first. */
  scannable: string;
}

/** Version prefix hashed first (Signal's fingerprint version field, 2 bytes). */
const FINGERPRINT_VERSION = new Uint8Array([0x00, 0x00]);
/** Bytes per 5-digit group. */
const CHUNK_BYTES = 5;
/** 10^5: each chunk yields five decimal digits. */
const CHUNK_MODULUS = 100_000n;

async function iteratedHash(identity: PublicIdentity): Promise<Bytes> {
  const key = canonicalKeyBytes(identity.encryptionSpki, identity.signingSpki);
  // The label stands in for Signal's stable identifier and domain-separates our hash.
  let hash = new Uint8Array(await subtle().digest('SHA-512', concat(FINGERPRINT_VERSION, key, utf8(LABEL_SAFETY_NUMBER), identity.id)));
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i += 1) {
    hash = new Uint8Array(await subtle().digest('SHA-512', concat(hash, key)));
  }
  return bytes(hash);
}

function digitsOf(hash: Uint8Array): string {
  let out = '';
  for (let offset = 0; offset < SAFETY_NUMBER_HASH_BYTES; offset += CHUNK_BYTES) {
    let value = 0n;
    for (let i = 0; i < CHUNK_BYTES; i += 1) value = (value << 8n) | BigInt(hash[offset + i] ?? 0);
    out += (value % CHUNK_MODULUS).toString().padStart(SAFETY_NUMBER_GROUP_DIGITS, '0');
  }
  return out;
}

/** Computes the safety number of two identities; the argument order does not matter. */
export async function computeSafetyNumber(a: PublicIdentity, b: PublicIdentity): Promise<SafetyNumber> {
  const [hashA, hashB] = await Promise.all([iteratedHash(a), iteratedHash(b)]);
  const halves = [digitsOf(hashA), digitsOf(hashB)].sort();
  const digits = halves.join('');
  const groups = digits.match(new RegExp(`.{${SAFETY_NUMBER_GROUP_DIGITS}}`, 'g')) ?? [];
  const scans = [hashA.subarray(0, SAFETY_SCAN_HASH_BYTES), hashB.subarray(0, SAFETY_SCAN_HASH_BYTES)].sort(compareBytes);
  return { digits, groups, display: groups.join(' '), scannable: SAFETY_SCAN_PREFIX + toBase64Url(concat(...scans)) };
}

/**
 * Compares a scanned or pasted code with the safety number computed here. Accepts the
 * scannable form or the 60 digits (spaces and line breaks ignored). Never throws.
 */
export function compareSafetyNumber(expected: SafetyNumber, input: string): Result<object, SafetyErrorCode> {
  const text = input.trim();
  if (text.startsWith('SRSN')) {
    if (!text.startsWith(SAFETY_SCAN_PREFIX)) return fail('BAD_VERSION');
    const scanned = fromBase64Url(text.slice(SAFETY_SCAN_PREFIX.length));
    if (scanned === undefined || scanned.length !== 2 * SAFETY_SCAN_HASH_BYTES) return fail('BAD_FORMAT');
    const mine = fromBase64Url(expected.scannable.slice(SAFETY_SCAN_PREFIX.length));
    if (mine === undefined || !equalBytes(scanned, mine)) return fail('MISMATCH');
    return { ok: true };
  }
  const digits = text.replace(/\s+/g, '');
  if (!/^[0-9]+$/.test(digits) || digits.length !== SAFETY_NUMBER_DIGITS) return fail('BAD_FORMAT');
  if (!equalBytes(utf8(digits), utf8(expected.digits))) return fail('MISMATCH');
  return { ok: true };
}
