import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRaw, rawRequest, SECURITY_HEADERS, statusOf, type BodyResponse } from './helpers/http.js';
import { useRelays } from './helpers/relay.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** A strong validator: quoted, no `W/`, 128 bits of hash in base64url. */
const STRONG_ETAG = /^"[A-Za-z0-9_-]{22}"$/;

/** A page and a script large enough for compression to pay, with the build's copies beside them. */
const INDEX = `<!doctype html><title>Sealroom</title>${'<p>padding so the copies are smaller</p>'.repeat(40)}`;
const SCRIPT = `export const app = ${JSON.stringify('x'.repeat(2000))};\n${'console.log("sealroom");\n'.repeat(50)}`;

function expectSecurityHeaders(res: BodyResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers[name], `${name} on a ${res.status}`).toBe(value);
}

describe('static files: precompressed copies, strong ETags, 304s', () => {
  const { start } = useRelays();
  let base: string;
  let web: string;

  const file = (path: string): Buffer => readFileSync(join(web, path));

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'sealroom-static-'));
    web = join(base, 'web');
    mkdirSync(join(web, 'assets'), { recursive: true });
    const write = (path: string, text: string, copies: boolean): void => {
      writeFileSync(join(web, path), text);
      if (!copies) return;
      writeFileSync(join(web, `${path}.br`), brotliCompressSync(text));
      writeFileSync(join(web, `${path}.gz`), gzipSync(text));
    };
    write('index.html', INDEX, true);
    write('assets/app-3f2a1b.js', SCRIPT, true);
    write('assets/plain-9c8d7e.css', 'body{margin:0}', false);
    write('favicon.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>', false);
    write('.env', 'SECRET=1', false);
    writeFileSync(join(base, 'outside.txt'), 'do not serve');
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('answers Accept-Encoding: br with the brotli copy and a strong ETag, then 304 on revalidation', async () => {
    const relay = await start({ webRoot: web });
    const url = `${relay.url}/assets/app-3f2a1b.js`;
    const first = await getRaw(url, { 'Accept-Encoding': 'br, gzip' });
    expect(first.status).toBe(200);
    expect(first.headers['content-encoding']).toBe('br');
    expect(first.body.equals(file('assets/app-3f2a1b.js.br'))).toBe(true);
    expect(brotliDecompressSync(first.body).toString()).toBe(SCRIPT);
    expect(first.headers['content-length']).toBe(String(file('assets/app-3f2a1b.js.br').length));
    expect(first.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(first.headers['cache-control']).toBe(IMMUTABLE);
    expect(first.headers.vary).toBe('Accept-Encoding');
    const etag = first.headers.etag!;
    expect(etag).toMatch(STRONG_ETAG);
    expectSecurityHeaders(first);

    const again = await getRaw(url, { 'Accept-Encoding': 'br, gzip', 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    // A 304 repeats the validator and the caching headers of the 200 it stands for.
    expect(again.headers.etag).toBe(etag);
    expect(again.headers['cache-control']).toBe(IMMUTABLE);
    expect(again.headers.vary).toBe('Accept-Encoding');
    expect(again.headers['content-encoding']).toBeUndefined();
    expectSecurityHeaders(again);
  });

  it('answers gzip with the gzip copy and identity with the file, each with its own ETag', async () => {
    const relay = await start({ webRoot: web });
    const url = `${relay.url}/assets/app-3f2a1b.js`;
    const br = await getRaw(url, { 'Accept-Encoding': 'br' });
    const gzip = await getRaw(url, { 'Accept-Encoding': 'gzip' });
    const identity = await getRaw(url);
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.body.equals(file('assets/app-3f2a1b.js.gz'))).toBe(true);
    expect(gunzipSync(gzip.body).toString()).toBe(SCRIPT);
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.body.toString()).toBe(SCRIPT);
    expect(identity.headers['content-length']).toBe(String(Buffer.byteLength(SCRIPT)));
    expect(identity.headers.vary).toBe('Accept-Encoding');
    const etags = [br, gzip, identity].map((res) => res.headers.etag);
    for (const etag of etags) expect(etag).toMatch(STRONG_ETAG);
    expect(new Set(etags).size).toBe(3);

    expect((await getRaw(url, { 'Accept-Encoding': 'gzip', 'If-None-Match': gzip.headers.etag! })).status).toBe(304);
    expect((await getRaw(url, { 'If-None-Match': identity.headers.etag! })).status).toBe(304);
    // The brotli copy's validator does not stand for the gzip copy.
    const other = await getRaw(url, { 'Accept-Encoding': 'gzip', 'If-None-Match': br.headers.etag! });
    expect(other.status).toBe(200);
    expect(other.headers['content-encoding']).toBe('gzip');
  });

  it('follows the client weights: refused codings are not sent, identity wins only by weight', async () => {
    const relay = await start({ webRoot: web });
    const url = `${relay.url}/assets/app-3f2a1b.js`;
    const encodingFor = async (accept: string) => (await getRaw(url, { 'Accept-Encoding': accept })).headers['content-encoding'];
    expect(await encodingFor('gzip, deflate, br, zstd')).toBe('br');
    expect(await encodingFor('br;q=0, gzip')).toBe('gzip');
    expect(await encodingFor('br;q=0.2, gzip;q=0.8')).toBe('gzip');
    expect(await encodingFor('br;q=0, gzip;q=0')).toBeUndefined();
    expect(await encodingFor('identity, gzip;q=0.5')).toBeUndefined();
    expect(await encodingFor('identity;q=0.5, gzip')).toBe('gzip');
    expect(await encodingFor('deflate')).toBeUndefined();
    expect(await encodingFor('*')).toBe('br');
  });

  it('serves index.html with no-cache for / and every client-side route, with the same validator', async () => {
    const relay = await start({ webRoot: web });
    const root = await getRaw(`${relay.url}/`, { 'Accept-Encoding': 'br' });
    expect(root.status).toBe(200);
    expect(root.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(root.headers['cache-control']).toBe('no-cache');
    expect(root.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(root.body).toString()).toBe(INDEX);
    const route = await getRaw(`${relay.url}/room/abc`, { 'Accept-Encoding': 'br' });
    expect(route.status).toBe(200);
    expect(route.headers.etag).toBe(root.headers.etag);
    expect(route.headers['cache-control']).toBe('no-cache');
    // A client-side route under /assets/ is still the page, never cached as immutable.
    const underAssets = await getRaw(`${relay.url}/assets/route`, { 'Accept-Encoding': 'br' });
    expect(underAssets.headers['cache-control']).toBe('no-cache');
    const revalidated = await getRaw(`${relay.url}/room/abc`, { 'Accept-Encoding': 'br', 'If-None-Match': root.headers.etag! });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers['cache-control']).toBe('no-cache');
    expectSecurityHeaders(revalidated);
  });

  it('reads If-None-Match as a list, compares weakly and takes *', async () => {
    const relay = await start({ webRoot: web });
    const url = `${relay.url}/favicon.svg`;
    const etag = (await getRaw(url)).headers.etag!;
    const statusWith = async (ifNoneMatch: string) => (await getRaw(url, { 'If-None-Match': ifNoneMatch })).status;
    expect(await statusWith(`"other", ${etag}`)).toBe(304);
    expect(await statusWith(`W/${etag}`)).toBe(304);
    expect(await statusWith('*')).toBe(304);
    expect(await statusWith('"other"')).toBe(200);
    expect(await statusWith(etag.slice(1, -1))).toBe(200);
    expect(await statusWith(`"${etag.slice(1, -1)}x"`)).toBe(200);
  });

  it('answers HEAD with the headers of the GET and no body', async () => {
    const relay = await start({ webRoot: web });
    const get = await getRaw(`${relay.url}/assets/app-3f2a1b.js`, { 'Accept-Encoding': 'gzip' });
    const head = await getRaw(`${relay.url}/assets/app-3f2a1b.js`, { 'Accept-Encoding': 'gzip' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    for (const name of ['content-length', 'content-encoding', 'etag', 'cache-control', 'vary', 'content-type'])
      expect(head.headers[name]).toBe(get.headers[name]);
    expectSecurityHeaders(head);
  });

  it('serves a file without copies as it is, with no Vary, and never a dot file or anything outside the root', async () => {
    const relay = await start({ webRoot: web });
    const css = await getRaw(`${relay.url}/assets/plain-9c8d7e.css`, { 'Accept-Encoding': 'br, gzip' });
    expect(css.status).toBe(200);
    expect(css.headers['content-encoding']).toBeUndefined();
    expect(css.headers.vary).toBeUndefined();
    expect(css.body.toString()).toBe('body{margin:0}');
    expect(css.headers['cache-control']).toBe(IMMUTABLE);
    // A dot file is not in the table: its path is a client-side route like any other.
    expect((await getRaw(`${relay.url}/.env`)).body.toString()).toBe(INDEX);
    expect((await getRaw(`${relay.url}/assets/app-3f2a1b.js.br`)).status).toBe(404);
    for (const path of ['/../outside.txt', '/%2e%2e/outside.txt', '/assets/..%2f..%2foutside.txt']) {
      const response = await rawRequest(relay.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(response).not.toContain('do not serve');
      expect([400, 404]).toContain(statusOf(response));
    }
  });

  it('puts the security headers on every answer: files, 304, 404, 400, 405, 426, /healthz, /metrics', async () => {
    const relay = await start({ webRoot: web });
    const etag = (await getRaw(`${relay.url}/`)).headers.etag!;
    const answers = [
      await getRaw(`${relay.url}/`),
      await getRaw(`${relay.url}/`, { 'If-None-Match': etag }),
      await getRaw(`${relay.url}/assets/missing-000000.js`),
      await getRaw(`${relay.url}/%E0%A4%A`),
      await getRaw(`${relay.url}/ws`),
      await getRaw(`${relay.url}/healthz`),
      await getRaw(`${relay.url}/metrics`),
    ];
    expect(answers.map((res) => res.status)).toEqual([200, 304, 404, 400, 426, 200, 200]);
    for (const res of answers) expectSecurityHeaders(res);
    const post = await rawRequest(relay.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    expect(statusOf(post)).toBe(405);
    expect(post).toContain(`Content-Security-Policy: ${SECURITY_HEADERS['content-security-policy']}`);
  });

  it('gives the same ETags on every process serving the same build', async () => {
    const a = await start({ webRoot: web });
    const b = await start({ webRoot: web });
    for (const path of ['/', '/assets/app-3f2a1b.js']) {
      for (const accept of ['br', 'gzip', '']) {
        const [fromA, fromB] = await Promise.all([
          getRaw(`${a.url}${path}`, { 'Accept-Encoding': accept }),
          getRaw(`${b.url}${path}`, { 'Accept-Encoding': accept }),
        ]);
        expect(fromA.headers.etag).toBe(fromB.headers.etag);
      }
    }
  });

  it('serves a new build after reload(), and until then the build it read', async () => {
    const dir = join(base, 'rebuilt');
    mkdirSync(dir);
    writeFileSync(join(dir, 'index.html'), '<title>one</title>');
    const relay = await start({ webRoot: dir });
    const before = await getRaw(`${relay.url}/`);
    expect(before.body.toString()).toBe('<title>one</title>');
    writeFileSync(join(dir, 'new.txt'), 'new');
    expect((await getRaw(`${relay.url}/new.txt`)).status).toBe(404);
    writeFileSync(join(dir, 'index.html'), '<title>two</title>');
    expect(await relay.reload()).toEqual({ ok: true });
    const after = await getRaw(`${relay.url}/`, { 'If-None-Match': before.headers.etag! });
    expect(after.status).toBe(200);
    expect(after.body.toString()).toBe('<title>two</title>');
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect((await getRaw(`${relay.url}/new.txt`)).body.toString()).toBe('new');
  });
});
