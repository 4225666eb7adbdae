/** Byte helpers: concatenation, big-endian integers, base64url, UTF-8, equality. */

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** A Uint8Array whose buffer is a plain ArrayBuffer, as WebCrypto's BufferSource requires. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** Copy into a fresh ArrayBuffer-backed array when needed (WebCrypto wants BufferSource). */
export function bytes(data: Uint8Array): Bytes {
  return data.buffer instanceof ArrayBuffer ? (data as Bytes) : new Uint8Array(data);
}

export function concat(...parts: readonly Uint8Array[]): Bytes {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function utf8(text: string): Bytes {
  return encoder.encode(text);
}

/** Strict UTF-8 decoding: `undefined` on malformed input instead of U+FFFD. */
export function fromUtf8(data: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(data);
  } catch {
    return undefined;
  }
}

export function u8(value: number): Bytes {
  return new Uint8Array([value & 0xff]);
}

export function u16(value: number): Bytes {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, value);
  return out;
}

export function u32(value: number): Bytes {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/** u64 from a safe integer (≤ 2^53 − 1). */
export function u64(value: number): Bytes {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

export function readU16(data: Uint8Array, offset: number): number {
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint16(offset);
}

export function readU32(data: Uint8Array, offset: number): number {
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(offset);
}

/** Reads a u64; returns undefined when it exceeds Number.MAX_SAFE_INTEGER. */
export function readU64(data: Uint8Array, offset: number): number | undefined {
  const value = new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(offset);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value);
}

/** Byte equality that does not stop at the first difference. Not a secret-comparison
 * primitive for remote timing attackers in JS, but avoids the obvious early exit. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Lexicographic byte comparison. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_INDEX = new Map<string, number>([...B64URL].map((c, i) => [c, i]));

/** base64url without padding (RFC 4648 §5). */
export function toBase64Url(data: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < data.length; i += 3) {
    const n = ((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0);
    out += B64URL[(n >> 18) & 63]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!;
  }
  const rest = data.length - i;
  if (rest === 1) {
    const n = (data[i] ?? 0) << 16;
    out += B64URL[(n >> 18) & 63]! + B64URL[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = ((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8);
    out += B64URL[(n >> 18) & 63]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]!;
  }
  return out;
}

/** Strict base64url decoding: no padding, no other alphabet, canonical trailing bits.
 * Returns undefined on anything else. */
export function fromBase64Url(text: string): Bytes | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (const c of text) {
    const v = B64URL_INDEX.get(c);
    if (v === undefined) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Non-zero leftover bits mean a non-canonical encoding; refuse it so each byte string
  // has exactly one text form.
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

export function toHex(data: Uint8Array): string {
  let out = '';
  for (const b of data) out += b.toString(16).padStart(2, '0');
  return out;
}

export function randomBytes(length: number): Bytes {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/** A cursor over untrusted bytes; every read is bounds-checked and returns undefined past the end. */
export class Reader {
  offset = 0;
  constructor(readonly data: Uint8Array) {}

  get remaining(): number {
    return this.data.length - this.offset;
  }

  take(length: number): Bytes | undefined {
    if (length < 0 || this.offset + length > this.data.length) return undefined;
    const out = this.data.slice(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  u8(): number | undefined {
    if (this.offset + 1 > this.data.length) return undefined;
    return this.data[this.offset++];
  }

  u16(): number | undefined {
    if (this.offset + 2 > this.data.length) return undefined;
    const v = readU16(this.data, this.offset);
    this.offset += 2;
    return v;
  }

  u32(): number | undefined {
    if (this.offset + 4 > this.data.length) return undefined;
    const v = readU32(this.data, this.offset);
    this.offset += 4;
    return v;
  }

  /** Length-prefixed (u16) field with an upper bound. */
  vec16(max: number): Bytes | undefined {
    const length = this.u16();
    if (length === undefined || length > max) return undefined;
    return this.take(length);
  }

  /** Length-prefixed (u32) field with an upper bound. */
  vec32(max: number): Bytes | undefined {
    const length = this.u32();
    if (length === undefined || length > max) return undefined;
    return this.take(length);
  }

  rest(): Bytes {
    const out = this.data.slice(this.offset);
    this.offset = this.data.length;
    return out;
  }

  /** The rest as a view of the input, not a copy: for large fields used at once (and copied) by WebCrypto. */
  restView(): Bytes {
    // Decoders are handed bytes off the network, never a SharedArrayBuffer.
    const out = this.data.subarray(this.offset) as Bytes;
    this.offset = this.data.length;
    return out;
  }
}
