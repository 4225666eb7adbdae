import { createReadStream, existsSync, statSync, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Hashed build output never changes under the same name: cache it for a year. */
const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
const NO_CACHE = 'no-cache';
const INDEX_FILE = 'index.html';

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
};

/** The package's own directory, whether running from src/ (tests) or dist/ (built). */
const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

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
 * Serves the built app with SPA fallback: an unknown path without a file extension
 * gets index.html (client-side routes); an unknown file is 404. Paths are decoded,
 * normalised and must stay inside the root.
 */
export function serveStatic(root: string | undefined, req: IncomingMessage, res: ServerResponse, pathname: string): void {
  const head = req.method === 'HEAD';
  if (root === undefined) {
    send(res, 200, CONTENT_TYPES['.html']!, NOT_BUILT_PAGE, head);
    return;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    send(res, 400, 'text/plain; charset=utf-8', 'Bad request\n', head);
    return;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) {
    send(res, 400, 'text/plain; charset=utf-8', 'Bad request\n', head);
    return;
  }
  const relative = decoded.endsWith('/') ? `${decoded}${INDEX_FILE}` : decoded;
  const file = resolve(root, `.${relative}`);
  if (file !== root && !file.startsWith(root + sep)) {
    send(res, 404, 'text/plain; charset=utf-8', 'Not found\n', head);
    return;
  }
  let target = file;
  let stat = statOrUndefined(target);
  if (!stat?.isFile()) {
    if (extname(decoded) !== '') {
      send(res, 404, 'text/plain; charset=utf-8', 'Not found\n', head);
      return;
    }
    target = join(root, INDEX_FILE);
    stat = statOrUndefined(target);
    if (!stat?.isFile()) {
      send(res, 200, CONTENT_TYPES['.html']!, NOT_BUILT_PAGE, head);
      return;
    }
  }
  const type = CONTENT_TYPES[extname(target).toLowerCase()] ?? 'application/octet-stream';
  const hashed = target.startsWith(join(root, 'assets') + sep);
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': stat.size,
    'Cache-Control': hashed ? IMMUTABLE_CACHE : NO_CACHE,
  });
  if (head) {
    res.end();
    return;
  }
  const stream = createReadStream(target);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
