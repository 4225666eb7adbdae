// What a first visit to the relay's web app costs on the wire: the page, then everything
// it loads before the app runs (its scripts, module preloads, stylesheets and icon), each
// requested as a browser does with `Accept-Encoding: br, gzip`, and again with gzip only
// and with no compression, to show what the precompressed copies save. Bytes are counted
// as they arrive: headers and the (still encoded) body.
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { BenchContext } from '../context.js';
import { fmtKiB, type Table } from '../report.js';
import { startServer } from '../servers.js';

/** What Chromium sends on a first visit over https (it adds zstd, which the relay does not make). */
export const BROWSER_ACCEPT_ENCODING = 'br, gzip';

export interface WireFetch {
  readonly path: string;
  readonly status: number;
  readonly encoding: string;
  /** Status line and headers, as sent. */
  readonly headerBytes: number;
  /** The body as sent (compressed when `encoding` is not identity). */
  readonly bodyBytes: number;
}

export interface FirstVisit {
  readonly acceptEncoding: string;
  readonly fetches: readonly WireFetch[];
  readonly bodyBytes: number;
  readonly totalBytes: number;
}

interface Response {
  readonly fetch: WireFetch;
  readonly body: Buffer;
}

function get(base: string, path: string, acceptEncoding: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers = acceptEncoding === '' ? {} : { 'Accept-Encoding': acceptEncoding };
    const req = request(new URL(path, base), { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        // `HTTP/1.1 200 OK\r\n`, each `Name: value\r\n`, and the blank line.
        const statusLine = `HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}\r\n`.length;
        let headerBytes = statusLine + 2;
        for (let i = 0; i < res.rawHeaders.length; i += 2) headerBytes += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`.length;
        const encoding = res.headers['content-encoding'] ?? 'identity';
        resolve({ fetch: { path, status: res.statusCode ?? 0, encoding, headerBytes, bodyBytes: body.length }, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function decode(response: Response): string {
  if (response.fetch.encoding === 'br') return brotliDecompressSync(response.body).toString('utf8');
  if (response.fetch.encoding === 'gzip') return gunzipSync(response.body).toString('utf8');
  return response.body.toString('utf8');
}

/** The same-origin resources a page makes the browser load before its script runs. */
export function initialResources(html: string): string[] {
  const found = new Set<string>();
  for (const m of html.matchAll(/<script\b[^>]*\ssrc="([^"]+)"/gu)) found.add(m[1]!);
  for (const m of html.matchAll(/<link\b[^>]*>/gu)) {
    const tag = m[0];
    const rel = /\srel="([^"]+)"/u.exec(tag)?.[1] ?? '';
    const href = /\shref="([^"]+)"/u.exec(tag)?.[1];
    if (href !== undefined && /\b(?:modulepreload|stylesheet|icon)\b/u.test(rel)) found.add(href);
  }
  return [...found].filter((path) => path.startsWith('/') && !path.startsWith('//'));
}

/** Loads `/` and what it names, from a relay at `base`, as a browser with `acceptEncoding` would. */
export async function measureFirstVisit(base: string, acceptEncoding: string): Promise<FirstVisit> {
  const page = await get(base, '/', acceptEncoding);
  if (page.fetch.status !== 200) throw new Error(`GET / answered ${page.fetch.status}`);
  const rest = await Promise.all(initialResources(decode(page)).map((path) => get(base, path, acceptEncoding)));
  const failed = rest.find((response) => response.fetch.status !== 200);
  if (failed) throw new Error(`GET ${failed.fetch.path} answered ${failed.fetch.status}`);
  const fetches = [page, ...rest].map((response) => response.fetch);
  const bodyBytes = fetches.reduce((sum, f) => sum + f.bodyBytes, 0);
  return { acceptEncoding, fetches, bodyBytes, totalBytes: bodyBytes + fetches.reduce((sum, f) => sum + f.headerBytes, 0) };
}

/** A first visit with the browser's Accept-Encoding, with gzip only, and with none. */
export interface WireFigures {
  readonly browser: FirstVisit;
  readonly gzip: FirstVisit;
  readonly identity: FirstVisit;
}

export async function measureWire(context: BenchContext): Promise<WireFigures> {
  const relay = await startServer('relay', { relayArgs: context.relay.benchArgs });
  try {
    return {
      browser: await measureFirstVisit(relay.httpUrl, BROWSER_ACCEPT_ENCODING),
      gzip: await measureFirstVisit(relay.httpUrl, 'gzip'),
      identity: await measureFirstVisit(relay.httpUrl, ''),
    };
  } finally {
    await relay.stop();
  }
}

export function wireTable(wire: WireFigures): Table {
  const rows = wire.browser.fetches.map((f) => {
    const plain = wire.identity.fetches.find((other) => other.path === f.path);
    return [f.path, f.encoding, fmtKiB(f.bodyBytes), plain ? fmtKiB(plain.bodyBytes) : 'n/a'];
  });
  const total = (visit: FirstVisit) => `${fmtKiB(visit.totalBytes)} (bodies ${fmtKiB(visit.bodyBytes)})`;
  rows.push(
    [`**First visit, Accept-Encoding: ${BROWSER_ACCEPT_ENCODING}**`, '', total(wire.browser), ''],
    ['First visit, Accept-Encoding: gzip', '', total(wire.gzip), ''],
    ['First visit, no compression', '', total(wire.identity), ''],
  );
  return {
    title: 'First visit on the wire',
    headers: ['Resource', 'Sent as', 'Bytes sent', 'Uncompressed'],
    rows,
    notes: [
      "GET / from the relay (a child process serving apps/web/dist), then every same-origin script, module preload, stylesheet and icon the page names, each with the request's Accept-Encoding; totals count status lines, headers and bodies as sent. Lazy chunks (dialogs, the chat screen, password dictionaries) load later and are not counted.",
      'The relay sends the brotli or gzip copy made at build time (apps/web/scripts/precompress.mjs); a repeat visit revalidates index.html with its ETag (a 304, no body) and takes hashed assets from the cache without asking.',
    ],
  };
}
