import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectJoined, newRoom, TestClient } from './helpers/client.js';
import { rawRequest, statusOf } from './helpers/http.js';
import { useRelays } from './helpers/relay.js';

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

describe('HTTP', () => {
  const { start, track } = useRelays();
  let web: string;
  let secret: string;

  beforeAll(() => {
    const base = mkdtempSync(join(tmpdir(), 'sealroom-web-'));
    web = join(base, 'web');
    secret = join(base, 'secret.txt');
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>Sealroom</title>');
    writeFileSync(join(web, 'assets', 'app-3f2a1b.js'), 'console.log(1)');
    writeFileSync(join(web, 'assets', 'app-3f2a1b.css'), 'body{}');
    writeFileSync(join(web, 'favicon.svg'), '<svg/>');
    writeFileSync(secret, 'do not serve');
  });
  afterAll(() => rmSync(join(web, '..'), { recursive: true, force: true }));

  it('GET /healthz answers a small JSON of counts', async () => {
    const relay = await start();
    const client = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await client.join(newRoom()));
    const res = await fetch(`${relay.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ status: 'ok', connections: 1, rooms: 1, retainedEnvelopes: 0, retainedBytes: 0 });
  });

  it('GET /metrics is Prometheus text with the documented series and no room ids', async () => {
    const relay = await start();
    const room = newRoom();
    const a = track(await TestClient.connect(relay.wsUrl));
    const b = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await a.join(room));
    expectJoined(await b.join(room));
    await a.publish(room, Buffer.alloc(100, 7));
    await b.frame('deliver');
    a.send({ v: 2, t: 'nope' });
    await a.error('UNKNOWN_TYPE');
    const res = await fetch(`${relay.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('sealroom_connections')).toBe(2);
    expect(value('sealroom_rooms')).toBe(1);
    expect(value('sealroom_envelopes_in_total')).toBe(1);
    expect(value('sealroom_envelope_bytes_in_total')).toBe(100);
    expect(value('sealroom_envelopes_out_total')).toBe(1);
    expect(value('sealroom_envelope_bytes_out_total')).toBe(100);
    expect(value('sealroom_retained_envelopes')).toBe(1);
    expect(value('sealroom_retained_bytes')).toBe(100);
    expect(text).toMatch(/^sealroom_refusals_total\{reason="UNKNOWN_TYPE"\} 1$/m);
    expect(text).not.toContain(room.key);
    // A private registry: no process_* or nodejs_* defaults from prom-client's global one.
    expect(text).not.toMatch(/^nodejs_/m);
  });

  it('serves the web app with security headers, types, caching and SPA fallback', async () => {
    const relay = await start({ webRoot: web });
    const index = await fetch(`${relay.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(await index.text()).toContain('<title>Sealroom</title>');
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(index.headers.get(name)).toBe(value);
    expect(index.headers.get('permissions-policy')).toMatch(/camera=\(self\)/);

    const js = await fetch(`${relay.url}/assets/app-3f2a1b.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${relay.url}/assets/app-3f2a1b.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await fetch(`${relay.url}/favicon.svg`)).headers.get('content-type')).toBe('image/svg+xml');

    const route = await fetch(`${relay.url}/room/abc`);
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<title>Sealroom</title>');
    expect((await fetch(`${relay.url}/assets/missing.js`)).status).toBe(404);

    const head = await fetch(`${relay.url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect((await fetch(`${relay.url}/`, { method: 'POST' })).status).toBe(405);

    // Every response carries the headers, errors included.
    for (const path of ['/healthz', '/metrics', '/nope.png']) {
      const res = await fetch(`${relay.url}${path}`);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name)).toBe(value);
    }
  });

  it('never serves files outside the web root', async () => {
    const relay = await start({ webRoot: web });
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%5csecret.txt', '/x%00.js']) {
      const response = await rawRequest(relay.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(response).not.toContain('do not serve');
      expect([400, 404]).toContain(statusOf(response));
    }
  });

  it('shows a page saying the app is not built when there is none, and adds --connect-src to the CSP', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sealroom-empty-'));
    try {
      const relay = await start({ webRoot: empty, connectSrc: ['wss://relay.example.org'] });
      const res = await fetch(`${relay.url}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/web app is not built/);
      expect(res.headers.get('content-security-policy')).toContain("connect-src 'self' wss://relay.example.org;");
      expect((await fetch(`${relay.url}/ws`)).status).toBe(426);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('serves https and wss with --tls-cert/--tls-key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealroom-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const { readFileSync } = await import('node:fs');
      const relay = await start({ tls: { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') } });
      expect(relay.url).toMatch(/^https:\/\//);
      expect(relay.wsUrl).toMatch(/^wss:\/\/.*\/ws$/);
      const body = await new Promise<string>((resolve, reject) => {
        request(`${relay.url}/healthz`, { rejectUnauthorized: false }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        })
          .on('error', reject)
          .end();
      });
      expect(JSON.parse(body)).toMatchObject({ status: 'ok' });
      const client = track(await TestClient.connect(relay.wsUrl, { rejectUnauthorized: false }));
      expectJoined(await client.join(newRoom()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
