/**
 * Files v2 (PROTOCOL.md B.13). The manifest (content kind 0x02) goes out as a group or
 * direct message and the chunks follow at once; after the last chunk the sender sends a
 * digest trailer (content kind 0x03) the same way. Chunks are their own outer kind, bound by
 * AES-GCM to their file id and index under the file key that only the manifest's audience
 * holds; the signed trailer's digest (the v1 hash list, files.ts `FileDigest`) catches a
 * co-recipient who forged a chunk.
 *
 *   manifest = u8(2) ‖ fileId(16) ‖ u64(size) ‖ u32(chunkSize) ‖ u32(chunkCount) ‖ fileKey(32) ‖ vec16(name) ‖ vec16(type)
 *   trailer  = u8(1) ‖ fileId(16) ‖ digest(32)
 *   chunk    = u8(2) ‖ u8(0x02) ‖ fileId(16) ‖ u32(index) ‖ iv(12) ‖ GCM(fileKey, iv, aad = first 22 bytes, plaintext)
 */
import {
  AES_GCM_IV_BYTES,
  AES_GCM_TAG_BYTES,
  AES_KEY_BYTES,
  DEFAULT_FILE_CHUNK_BYTES,
  FILE_ID_BYTES,
  MAX_FILE_CHUNK_BYTES,
  MAX_FILE_NAME_BYTES,
  MAX_FILE_TYPE_BYTES,
  SHA256_BYTES,
  U64_BYTES,
} from './constants.js';
import { ENVELOPE_KIND, PROTOCOL_VERSION, SEALED_HEADER_BYTES } from './constants-v2.js';
import { Reader, concat, equalBytes, fromUtf8, randomBytes, readU32, readU64, u16, u32, u64, u8, utf8, type Bytes } from './bytes.js';
import { fail, type Result, type SealedErrorCode } from './errors.js';
import { chunkLength } from './file-digest.js';
import { gcmDecrypt, gcmEncrypt, importAesKey } from './webcrypto.js';

/** Format byte of the digest trailer. */
export const FILE_DIGEST_FORMAT = 0x01;
/** Chunk index: u32. */
const CHUNK_INDEX_BYTES = 4;
/** Bytes a chunk's AAD covers: version, kind, file id, index. */
const CHUNK_AAD_BYTES = SEALED_HEADER_BYTES + FILE_ID_BYTES + CHUNK_INDEX_BYTES;
/** A chunk envelope around its plaintext: header, file id, index, IV, tag (50 bytes). */
export const FILE_CHUNK_OVERHEAD_BYTES = CHUNK_AAD_BYTES + AES_GCM_IV_BYTES + AES_GCM_TAG_BYTES;
const TRAILER_BYTES = 1 + FILE_ID_BYTES + SHA256_BYTES;

/** Everything a receiver needs to fetch and decrypt a file. Contains the file key. */
export interface FileManifest {
  /** 16 random bytes. */
  fileId: Uint8Array;
  /** File name and MIME type as the sender declared them (untrusted text). */
  name: string;
  type: string;
  /** Plaintext size in bytes, plaintext bytes per chunk (the last may be shorter), ⌈size / chunkSize⌉. */
  size: number;
  chunkSize: number;
  chunkCount: number;
  /** AES-256-GCM key of the chunks, 32 random bytes. */
  fileKey: Uint8Array;
}

/** A new manifest with a random file id and file key. Send it, then the chunks, then the trailer. */
export function createFileManifest(options: { name: string; type: string; size: number; chunkSize?: number }): FileManifest {
  const chunkSize = options.chunkSize ?? DEFAULT_FILE_CHUNK_BYTES;
  if (!Number.isSafeInteger(options.size) || options.size < 0) throw new RangeError('bad file size');
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_FILE_CHUNK_BYTES) throw new RangeError('bad chunk size');
  if (utf8(options.name).length > MAX_FILE_NAME_BYTES || utf8(options.type).length > MAX_FILE_TYPE_BYTES) throw new RangeError('file name or type too long');
  return {
    fileId: randomBytes(FILE_ID_BYTES),
    name: options.name,
    type: options.type,
    size: options.size,
    chunkSize,
    chunkCount: Math.ceil(options.size / chunkSize),
    fileKey: randomBytes(AES_KEY_BYTES),
  };
}

/** The manifest's bytes: the payload of a group or direct message with content "file-manifest". */
export function encodeFileManifest(manifest: FileManifest): Uint8Array {
  const name = utf8(manifest.name);
  const type = utf8(manifest.type);
  return concat(
    u8(PROTOCOL_VERSION),
    manifest.fileId,
    u64(manifest.size),
    u32(manifest.chunkSize),
    u32(manifest.chunkCount),
    manifest.fileKey,
    u16(name.length),
    name,
    u16(type.length),
    type,
  );
}

/** Decodes and checks a manifest (version, lengths, UTF-8, consistent chunking). Never throws. */
export function decodeFileManifest(data: Uint8Array): Result<{ manifest: FileManifest }, SealedErrorCode> {
  const r = new Reader(data);
  const version = r.u8();
  if (version === undefined) return fail('BAD_LENGTH');
  if (version !== PROTOCOL_VERSION) return fail('BAD_VERSION');
  const fileId = r.take(FILE_ID_BYTES);
  const sizeBytes = r.take(U64_BYTES);
  const chunkSize = r.u32();
  const chunkCount = r.u32();
  const fileKey = r.take(AES_KEY_BYTES);
  const nameBytes = r.vec16(MAX_FILE_NAME_BYTES);
  const typeBytes = r.vec16(MAX_FILE_TYPE_BYTES);
  if (
    fileId === undefined ||
    sizeBytes === undefined ||
    chunkSize === undefined ||
    chunkCount === undefined ||
    fileKey === undefined ||
    nameBytes === undefined ||
    typeBytes === undefined ||
    r.remaining !== 0
  ) {
    return fail('BAD_LENGTH');
  }
  const size = readU64(sizeBytes, 0);
  const name = fromUtf8(nameBytes);
  const type = fromUtf8(typeBytes);
  if (size === undefined || name === undefined || type === undefined) return fail('BAD_ENCODING');
  if (chunkSize < 1 || chunkSize > MAX_FILE_CHUNK_BYTES || chunkCount !== Math.ceil(size / chunkSize)) return fail('BAD_ENCODING', 'chunking');
  return { ok: true, manifest: { fileId, name, type, size, chunkSize, chunkCount, fileKey } };
}

/** The digest trailer's bytes: the payload of a message with content "file-digest". */
export function encodeFileDigest(trailer: { fileId: Uint8Array; digest: Uint8Array }): Uint8Array {
  if (trailer.fileId.length !== FILE_ID_BYTES || trailer.digest.length !== SHA256_BYTES) throw new RangeError('file id is 16 bytes, digest 32');
  return concat(u8(FILE_DIGEST_FORMAT), trailer.fileId, trailer.digest);
}

/** Decodes a digest trailer. Never throws. Accept it only from the manifest's sender. */
export function decodeFileDigest(data: Uint8Array): Result<{ fileId: Uint8Array; digest: Uint8Array }, SealedErrorCode> {
  if (data.length !== TRAILER_BYTES) return fail('BAD_LENGTH');
  if (data[0] !== FILE_DIGEST_FORMAT) return fail('BAD_VERSION');
  return { ok: true, fileId: data.slice(1, 1 + FILE_ID_BYTES), digest: data.slice(1 + FILE_ID_BYTES) };
}

/** Imports a file key once per file (AES-GCM, non-extractable). */
export function importFileKey(manifest: { fileKey: Uint8Array }): Promise<CryptoKey> {
  return importAesKey(manifest.fileKey);
}

/** Options of {@link sealFileChunk} and {@link sealFileChunkParts}. */
export interface SealFileChunkOptions {
  manifest: FileManifest;
  fileKey: CryptoKey;
  index: number;
  /** Exactly `chunkLength(manifest, index)` bytes. */
  data: Uint8Array;
}

/**
 * A chunk envelope as two pieces to write one after the other (header, file id, index and
 * IV; then ciphertext and tag): a caller that copies it into a larger frame saves a copy.
 */
export async function sealFileChunkParts(options: SealFileChunkOptions): Promise<readonly [Uint8Array, Uint8Array]> {
  const { manifest, index, data } = options;
  if (!Number.isInteger(index) || index < 0 || index >= manifest.chunkCount || data.length !== chunkLength(manifest, index)) {
    throw new RangeError('chunk index or length does not match the manifest');
  }
  const aad = concat(u8(PROTOCOL_VERSION), u8(ENVELOPE_KIND.chunk), manifest.fileId, u32(index));
  const iv = randomBytes(AES_GCM_IV_BYTES);
  return [concat(aad, iv), await gcmEncrypt(options.fileKey, iv, aad, data)];
}

/** Seals chunk `index` of a file. */
export async function sealFileChunk(options: SealFileChunkOptions): Promise<Uint8Array> {
  return concat(...(await sealFileChunkParts(options)));
}

/**
 * Reads a chunk's file id and index to route it (length `BAD_LENGTH`, version `BAD_VERSION`,
 * kind `BAD_TYPE`). NOTHING is verified. Never throws.
 */
export function peekFileChunk(envelope: Uint8Array): Result<{ fileId: Uint8Array; index: number }, SealedErrorCode> {
  if (!(envelope instanceof Uint8Array) || envelope.length < SEALED_HEADER_BYTES) return fail('BAD_LENGTH');
  if (envelope[0] !== PROTOCOL_VERSION) return fail('BAD_VERSION');
  if (envelope[1] !== ENVELOPE_KIND.chunk) return fail('BAD_TYPE');
  if (envelope.length < FILE_CHUNK_OVERHEAD_BYTES) return fail('BAD_LENGTH');
  return {
    ok: true,
    fileId: envelope.slice(SEALED_HEADER_BYTES, SEALED_HEADER_BYTES + FILE_ID_BYTES),
    index: readU32(envelope, SEALED_HEADER_BYTES + FILE_ID_BYTES),
  };
}

/**
 * Opens a chunk of a file whose manifest I accepted. Checks, in order: length, version, kind
 * (peekFileChunk) → file id (`WRONG_FILE`) → index < chunk count (`BAD_LENGTH`) → AES-GCM
 * (`BAD_TAG`) → plaintext length (`BAD_LENGTH`). Never throws. Complete the file only when
 * every chunk arrived and the trailer's digest matches.
 */
export async function openFileChunk(options: {
  manifest: FileManifest;
  fileKey: CryptoKey;
  envelope: Uint8Array;
}): Promise<Result<{ index: number; data: Uint8Array }, SealedErrorCode>> {
  try {
    const { manifest, envelope } = options;
    const peeked = peekFileChunk(envelope);
    if (!peeked.ok) return peeked;
    if (!equalBytes(peeked.fileId, manifest.fileId)) return fail('WRONG_FILE');
    if (peeked.index >= manifest.chunkCount) return fail('BAD_LENGTH', 'chunk index');
    const aad = envelope.subarray(0, CHUNK_AAD_BYTES);
    const iv = envelope.subarray(CHUNK_AAD_BYTES, CHUNK_AAD_BYTES + AES_GCM_IV_BYTES);
    const data = await gcmDecrypt(options.fileKey, iv, aad, envelope.subarray(CHUNK_AAD_BYTES + AES_GCM_IV_BYTES));
    if (data === undefined) return fail('BAD_TAG');
    if (data.length !== chunkLength(manifest, peeked.index)) return fail('BAD_LENGTH', 'chunk length');
    return { ok: true, index: peeked.index, data: data as Bytes };
  } catch {
    return fail('BAD_ENCODING', 'unexpected');
  }
}
