/**
 * Serving the web app from its file table (web-files.ts): the precompressed copy the
 * client accepts, strong ETags and 304s, a year of caching for hashed assets and
 * revalidation for the rest, and the SPA fallback. The security headers are set before
 * any of this runs (http.ts), so every answer here carries them, 304s and errors included.
 */
import { createReadStream, existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseEncoding, matchesIfNoneMatch } from './negotiation.js';
import { CONTENT_CODINGS, INDEX_FILE, NO_CACHE, type ContentCoding, type WebFile, type WebFiles } from './web-files.js';

/** The package's own directory, whether running from src/ (tests) or dist/ (built). */
const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HTML = 'text/html; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';

/**
 * The web app directory: an explicit one, else dist/web inside the package (what
 * `npm pack` ships), else the workspace's apps/web/dist, else none.
 */
export function resolveWebRoot(explicit: string | undefined): string | undefined {
  if (explicit !== undefined) return resolve(explicit);
  const candidates = [join(PACKAGE_DIR, 'dist', 'web'), join(PACKAGE_DIR, '..', '..', 'apps', 'web', 'dist')];
  return candidates.find((dir) => existsSync(join(dir, INDEX_FILE)));
}

function contentSecurityPolicy(connectSrc: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    ["connect-src 'self'", ...connectSrc].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers on every HTTP response of the relay (DESIGN.md §3.10). */
export function securityHeaders(connectSrc: readonly string[]): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(connectSrc),
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    // The camera is for scanning invite QR codes; nothing else is needed.
    'Permissions-Policy': 'camera=(self), microphone=(), geolocation=(), payment=(), usb=()',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sealroom relay</title></head>
<body><h1>Sealroom relay</h1>
<p>This relay is running, but the web app is not built. Build it with
<code>pnpm run build</code> in the Sealroom workspace, or pass <code>--web-root DIR</code>.</p>
</body></html>
`;

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': NO_CACHE });
  res.end(head ? undefined : body);
}

/**
 * The file a path names: itself, `index.html` for a directory path, and for an unknown
 * path without a file extension the app's `index.html` (client-side routes). An unknown
 * file is undefined (404). Lookups are in the table only, so no path reaches outside it.
 */
function lookup(files: WebFiles, decoded: string): WebFile | undefined {
  const file = files.get(decoded.endsWith('/') ? `${decoded}${INDEX_FILE}` : decoded);
  if (file !== undefined) return file;
  return extname(decoded) === '' ? files.get(`/${INDEX_FILE}`) : undefined;
}

/** Serves the built app (or, with no build, a page saying so) for a GET or HEAD. */
export function serveStatic(files: WebFiles | undefined, req: IncomingMessage, res: ServerResponse, pathname: string): void {
  const head = req.method === 'HEAD';
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    send(res, 400, TEXT, 'Bad request\n', head);
    return;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) {
    send(res, 400, TEXT, 'Bad request\n', head);
    return;
  }
  const file = files === undefined ? undefined : lookup(files, decoded);
  if (file === undefined) {
    if (files?.get(`/${INDEX_FILE}`) === undefined && extname(decoded) === '') send(res, 200, HTML, NOT_BUILT_PAGE, head);
    else send(res, 404, TEXT, 'Not found\n', head);
    return;
  }
  const available = CONTENT_CODINGS.filter((coding) => file.encoded[coding] !== undefined);
  const coding: ContentCoding | undefined = chooseEncoding(req.headers['accept-encoding'], available);
  const chosen = coding === undefined ? file.identity : file.encoded[coding]!;
  // What a 304 must repeat of the 200 it stands for (RFC 9110 §15.4.5).
  res.setHeader('ETag', chosen.etag);
  res.setHeader('Cache-Control', file.cacheControl);
  if (available.length > 0) res.setHeader('Vary', 'Accept-Encoding');
  if (matchesIfNoneMatch(req.headers['if-none-match'], chosen.etag)) {
    res.writeHead(304);
    res.end();
    return;
  }
  res.writeHead(200, {
    'Content-Type': file.contentType,
    'Content-Length': chosen.bytes,
    ...(coding !== undefined ? { 'Content-Encoding': coding } : {}),
  });
  if (head || chosen.bytes === 0) {
    res.end();
    return;
  }
  // The table was read at start (or at the last SIGHUP); a file removed since then ends
  // the response early rather than answering from another build.
  const stream = createReadStream(chosen.path, { start: 0, end: chosen.bytes - 1 });
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
