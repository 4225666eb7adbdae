/**
 * Files: a manifest sent as a signed group or direct message (content kind "file-manifest")
 * and chunks encrypted under the file key with the file id and chunk index in the associated
 * data.
 *
 * Chunks are not RSA-signed: only holders of the manifest (which is signed by the sender) know
 * the file key, so nobody outside the manifest's audience can forge a chunk; the GCM tag binds
 * each chunk to its file id, index and room; and the signed manifest fixes the chunk count,
 * every chunk's length and the file digest, which the receiver checks before offering the
 * file. A co-recipient of a group manifest could substitute a chunk, but the digest catches it.
 *
 * WebCrypto has no streaming hash, so the file digest is a hash list:
 *   digest = SHA-256("sealroom/file-digest/v1" ‖ u64 size ‖ SHA-256(chunk 0) ‖ … ‖ SHA-256(chunk n−1))
 * computed with one-shot SHA-256 per chunk and never needing the whole file in memory.
 */
import {
  AES_GCM_IV_BYTES,
  AES_KEY_BYTES,
  DEFAULT_FILE_CHUNK_BYTES,
  FILE_ID_BYTES,
  MAX_FILE_CHUNK_BYTES,
  MAX_FILE_NAME_BYTES,
  MAX_FILE_TYPE_BYTES,
  PROTOCOL_VERSION,
  SHA256_BYTES,
  U64_BYTES,
} from './constants.js';
import { Reader, concat, equalBytes, fromUtf8, randomBytes, readU64, u16, u32, u64, u8, utf8, type Bytes } from './bytes.js';
import { encodeHeader } from './codec.js';
import { decodeFor, neverThrows, newMessageId } from './envelope.js';
import { fail, type EnvelopeErrorCode, type Result } from './errors.js';
import type { RoomKeys, RoomMember } from './room-keys.js';
import { gcmDecrypt, gcmEncrypt, importAesKey, sha256 } from './webcrypto.js';

/** Label prefixed to the file digest's hash list. */
export const LABEL_FILE_DIGEST = 'sealroom/file-digest/v1';

/** Everything a receiver needs to fetch, decrypt and check a file. Contains the file key. */
export interface FileManifest {
  /** 16 random bytes. */
  fileId: Uint8Array;
  /** File name (untrusted text). */
  name: string;
  /** MIME type as declared by the sender (untrusted). */
  type: string;
  /** Plaintext size in bytes. */
  size: number;
  /** Plaintext bytes per chunk (the last chunk may be shorter). */
  chunkSize: number;
  /** ceil(size / chunkSize); 0 for an empty file. */
  chunkCount: number;
  /** File digest (hash list, see module docs), 32 bytes. */
  digest: Uint8Array;
  /** AES-256-GCM key for the chunks, 32 random bytes. */
  fileKey: Uint8Array;
}

/** Largest file size representable exactly (2^53 − 1 bytes). */
const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;

function chunkCountOf(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** Expected plaintext length of chunk `index`. */
export function chunkLength(manifest: Pick<FileManifest, 'size' | 'chunkSize' | 'chunkCount'>, index: number): number {
  if (index < 0 || index >= manifest.chunkCount) return 0;
  return index === manifest.chunkCount - 1 ? manifest.size - index * manifest.chunkSize : manifest.chunkSize;
}

/** Placeholder for a chunk whose hash is being computed. */
const PENDING_HASH = new Uint8Array(0);

/**
 * Incremental file digest over chunk hashes. Feed every chunk's plaintext with its index (any
 * order); `finish()` returns the digest once all chunks were added, else undefined.
 */
export class FileDigest {
  readonly #chunkCount: number;
  /** Chunk hashes by index. A map, not an array of chunkCount slots: the count comes from
   * an untrusted manifest (up to 2^32 − 1), memory must follow the chunks that arrive. */
  readonly #hashes = new Map<number, Uint8Array>();

  constructor(
    readonly size: number,
    readonly chunkSize: number,
  ) {
    if (!Number.isSafeInteger(size) || size < 0 || !Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_FILE_CHUNK_BYTES) {
      throw new RangeError('bad file size or chunk size');
    }
    this.#chunkCount = chunkCountOf(size, chunkSize);
  }

  async add(index: number, chunk: Uint8Array): Promise<void> {
    if (!Number.isInteger(index) || index < 0 || index >= this.#chunkCount || this.#hashes.has(index)) throw new RangeError('bad or repeated chunk index');
    // Reserve the slot before awaiting, so a concurrent add of the same index is refused.
    this.#hashes.set(index, PENDING_HASH);
    this.#hashes.set(index, await sha256(chunk));
  }

  async finish(): Promise<Uint8Array | undefined> {
    if (this.#hashes.size !== this.#chunkCount) return undefined;
    const hashes: Uint8Array[] = [];
    for (let index = 0; index < this.#chunkCount; index += 1) {
      const hash = this.#hashes.get(index);
      if (hash === undefined || hash === PENDING_HASH) return undefined;
      hashes.push(hash);
    }
    return sha256(concat(utf8(LABEL_FILE_DIGEST), u64(this.size), ...hashes));
  }
}

/**
 * A new manifest with a random file id and file key. Compute `digest` first with
 * {@link FileDigest} (one pass over the file), then send the manifest and the chunks.
 */
export function createFileManifest(options: { name: string; type: string; size: number; digest: Uint8Array; chunkSize?: number }): FileManifest {
  const chunkSize = options.chunkSize ?? DEFAULT_FILE_CHUNK_BYTES;
  if (!Number.isSafeInteger(options.size) || options.size < 0 || options.size > MAX_FILE_SIZE) throw new RangeError('bad file size');
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_FILE_CHUNK_BYTES) throw new RangeError('bad chunk size');
  if (options.digest.length !== SHA256_BYTES) throw new RangeError('digest must be 32 bytes');
  if (utf8(options.name).length > MAX_FILE_NAME_BYTES || utf8(options.type).length > MAX_FILE_TYPE_BYTES) throw new RangeError('file name or type too long');
  return {
    fileId: randomBytes(FILE_ID_BYTES),
    name: options.name,
    type: options.type,
    size: options.size,
    chunkSize,
    chunkCount: chunkCountOf(options.size, chunkSize),
    digest: options.digest,
    fileKey: randomBytes(AES_KEY_BYTES),
  };
}

/**
 * Manifest bytes (the payload of a group or direct message with content "file-manifest"):
 * u8 version ‖ 16 file id ‖ u64 size ‖ u32 chunk size ‖ u32 chunk count ‖ 32 digest ‖
 * 32 file key ‖ u16 len ‖ UTF-8 name ‖ u16 len ‖ UTF-8 type.
 */
export function encodeFileManifest(manifest: FileManifest): Uint8Array {
  const name = utf8(manifest.name);
  const type = utf8(manifest.type);
  return concat(
    u8(PROTOCOL_VERSION),
    manifest.fileId,
    u64(manifest.size),
    u32(manifest.chunkSize),
    u32(manifest.chunkCount),
    manifest.digest,
    manifest.fileKey,
    u16(name.length),
    name,
    u16(type.length),
    type,
  );
}

/** Decodes and checks a manifest (consistent sizes and counts). Never throws. */
export function decodeFileManifest(data: Uint8Array): Result<{ manifest: FileManifest }, EnvelopeErrorCode> {
  try {
    const r = new Reader(data);
    const version = r.u8();
    if (version === undefined) return fail('BAD_LENGTH');
    if (version !== PROTOCOL_VERSION) return fail('BAD_VERSION');
    const fileId = r.take(FILE_ID_BYTES);
    const sizeBytes = r.take(U64_BYTES);
    const chunkSize = r.u32();
    const chunkCount = r.u32();
    const digest = r.take(SHA256_BYTES);
    const fileKey = r.take(AES_KEY_BYTES);
    const nameBytes = r.vec16(MAX_FILE_NAME_BYTES);
    const typeBytes = r.vec16(MAX_FILE_TYPE_BYTES);
    if (
      fileId === undefined ||
      sizeBytes === undefined ||
      chunkSize === undefined ||
      chunkCount === undefined ||
      digest === undefined ||
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
    if (chunkSize < 1 || chunkSize > MAX_FILE_CHUNK_BYTES || chunkCount !== chunkCountOf(size, chunkSize)) return fail('BAD_ENCODING', 'chunking');
    return { ok: true, manifest: { fileId, name, type, size, chunkSize, chunkCount, digest, fileKey } };
  } catch {
    return fail('BAD_ENCODING');
  }
}

/** Imports the file key once per file (AES-GCM, non-extractable). */
export function importFileKey(manifest: FileManifest): Promise<CryptoKey> {
  return importAesKey(manifest.fileKey);
}

/** Options of {@link sealFileChunk} and {@link sealFileChunkParts}. */
export interface SealFileChunkOptions {
  roomKeys: RoomKeys;
  /** My member id in this room (`memberIdOf(roomKeys, me.public.id)`), computed once per file. */
  senderMemberId: Uint8Array;
  manifest: FileManifest;
  fileKey: CryptoKey;
  index: number;
  data: Uint8Array;
}

/** Seals chunk `index` of a file. `data` must be exactly {@link chunkLength} bytes. */
export async function sealFileChunk(options: SealFileChunkOptions): Promise<Uint8Array> {
  return concat(...(await sealFileChunkParts(options)));
}

/**
 * The same envelope as {@link sealFileChunk}, as two pieces to be written one after the other
 * (header, file id, index and IV; then ciphertext and tag). A caller that copies the envelope
 * into a larger frame anyway saves one copy of the chunk.
 */
export async function sealFileChunkParts(options: SealFileChunkOptions): Promise<readonly [Uint8Array, Uint8Array]> {
  const { roomKeys, manifest, index, data } = options;
  if (!Number.isInteger(index) || index < 0 || index >= manifest.chunkCount || data.length !== chunkLength(manifest, index)) {
    throw new RangeError('chunk index or length does not match the manifest');
  }
  const aad = concat(encodeHeader('file-chunk', roomKeys.roomId, options.senderMemberId, newMessageId()), manifest.fileId, u32(index));
  const iv = randomBytes(AES_GCM_IV_BYTES);
  return [concat(aad, iv), await gcmEncrypt(options.fileKey, iv, aad, data)];
}

/**
 * Opens a chunk of a file whose manifest I accepted. Checks, in order: structure → type →
 * room → header sender = the manifest's sender → file id → index < chunk count → AES-GCM tag
 * → plaintext length. Never throws. Check the whole-file digest before offering the file.
 */
export function openFileChunk(options: {
  roomKeys: RoomKeys;
  sender: RoomMember;
  manifest: FileManifest;
  fileKey: CryptoKey;
  envelope: Uint8Array;
}): Promise<Result<{ index: number; data: Uint8Array }, EnvelopeErrorCode>> {
  return neverThrows(async () => {
    const { roomKeys, manifest } = options;
    const decoded = decodeFor(options.envelope, 'file-chunk', roomKeys, options.sender);
    if (!decoded.ok) return decoded;
    const e = decoded.envelope;
    if (!equalBytes(e.fileId!, manifest.fileId)) return fail('WRONG_FILE');
    const index = e.chunkIndex!;
    if (index >= manifest.chunkCount) return fail('BAD_LENGTH', 'chunk index');
    const data = await gcmDecrypt(options.fileKey, e.iv!, e.aad, e.ciphertext);
    if (data === undefined) return fail('BAD_TAG');
    if (data.length !== chunkLength(manifest, index)) return fail('BAD_LENGTH', 'chunk length');
    return { ok: true, index, data: data as Bytes };
  });
}
