/**
 * The web app's files, read once into a table: for each URL path its type, its caching
 * policy and its representations (the file itself, and the brotli and gzip copies the web
 * build writes beside it), each with a strong ETag from a hash of its bytes.
 *
 * Reading the directory once (at start, and again on SIGHUP) means no file system call
 * decides what a request gets, and every relay process serving the same build gives the
 * same ETags: they come from the bytes, not from sizes and modification times, which
 * differ from one install or container layer to the next.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';

/** A content coding the relay can send, in the order it prefers them (smallest first). */
export const CONTENT_CODINGS = ['br', 'gzip'] as const;
export type ContentCoding = (typeof CONTENT_CODINGS)[number];

/** The suffix the web build gives each precompressed copy (apps/web/scripts/precompress.mjs). */
const CODING_SUFFIX: Record<ContentCoding, string> = { br: '.br', gzip: '.gz' };

/** Hashed build output never changes under the same name: cache it for a year. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
/** Everything else is revalidated on every use (a 304 when unchanged). */
export const NO_CACHE = 'no-cache';
/** Vite writes content-hashed names under this directory only. */
const HASHED_DIR = 'assets';
export const INDEX_FILE = 'index.html';

/** Bytes of SHA-256 kept in an ETag: 128 bits, ample to tell builds apart. */
const ETAG_HASH_BYTES = 16;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
};
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** One set of bytes the relay may send for a URL: the file, or a compressed copy of it. */
export interface Representation {
  readonly path: string;
  readonly bytes: number;
  /** Strong: a quoted hash of exactly these bytes. */
  readonly etag: string;
}

export interface WebFile {
  readonly contentType: string;
  readonly cacheControl: string;
  readonly identity: Representation;
  /** The precompressed copies present beside the file. */
  readonly encoded: Partial<Record<ContentCoding, Representation>>;
}

export interface WebFiles {
  readonly root: string;
  readonly count: number;
  /** The file for a decoded URL path such as `/assets/index-abc.js`. */
  get(urlPath: string): WebFile | undefined;
}

async function representation(path: string): Promise<Representation> {
  const data = await readFile(path);
  const hash = createHash('sha256').update(data).digest().subarray(0, ETAG_HASH_BYTES).toString('base64url');
  return { path, bytes: data.length, etag: `"${hash}"` };
}

/** Dot files and dot directories (`.git`, `.env`) are never served. */
function isHidden(relativePath: string): boolean {
  return relativePath.split(sep).some((part) => part.startsWith('.'));
}

/**
 * Reads every regular file under `root` (symbolic links are not followed). A `.br` or
 * `.gz` file beside a file of the same name is that file's compressed copy, not a page of
 * its own.
 */
export async function readWebFiles(rootDir: string): Promise<WebFiles> {
  const root = resolve(rootDir);
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  const present = new Set(entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name)));
  const copies = new Set<string>();
  for (const path of present) {
    for (const coding of CONTENT_CODINGS) {
      const suffix = CODING_SUFFIX[coding];
      if (path.endsWith(suffix) && present.has(path.slice(0, -suffix.length))) copies.add(path);
    }
  }
  const table = new Map<string, WebFile>();
  for (const path of present) {
    const rel = relative(root, path);
    if (copies.has(path) || isHidden(rel)) continue;
    const encoded: Partial<Record<ContentCoding, Representation>> = {};
    for (const coding of CONTENT_CODINGS) {
      const copy = `${path}${CODING_SUFFIX[coding]}`;
      if (copies.has(copy)) encoded[coding] = await representation(copy);
    }
    const hashed = rel.startsWith(HASHED_DIR + sep);
    table.set(`/${rel.split(sep).join('/')}`, {
      contentType: CONTENT_TYPES[extname(path).toLowerCase()] ?? DEFAULT_CONTENT_TYPE,
      cacheControl: hashed ? IMMUTABLE_CACHE : NO_CACHE,
      identity: await representation(path),
      encoded,
    });
  }
  return { root, count: table.size, get: (urlPath) => table.get(urlPath) };
}
