/**
 * The file digest (PROTOCOL.md B.13): WebCrypto has no streaming hash, so a file's digest is a
 * hash list, computed with one-shot SHA-256 per chunk in any order and never holding the
 * whole file in memory:
 *   digest = SHA-256("sealroom/file-digest/v1" ‖ u64 size ‖ SHA-256(chunk 0) ‖ … ‖ SHA-256(chunk n−1))
 * The sender sends it in the trailer after its last chunk (file-transfer.ts).
 */
import { MAX_FILE_CHUNK_BYTES } from './constants.js';
import { concat, u64, utf8 } from './bytes.js';
import { sha256 } from './webcrypto.js';

/** Label prefixed to the file digest's hash list. */
export const LABEL_FILE_DIGEST = 'sealroom/file-digest/v1';

function chunkCountOf(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** Expected plaintext length of chunk `index`. */
export function chunkLength(manifest: { size: number; chunkSize: number; chunkCount: number }, index: number): number {
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
