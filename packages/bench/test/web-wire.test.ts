// The first-visit measurement counts what the relay really sends: checked against the
// files on disk, byte for byte, through a relay serving a small fixture build.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { startRelay } from '@sealroom/relay';
import { afterAll, describe, expect, it } from 'vitest';
import { initialResources, measureFirstVisit } from '../src/sections/web-wire.js';

const PAGE = [
  '<!doctype html><html><head>',
  '<link rel="icon" type="image/svg+xml" href="/favicon.svg">',
  '<script type="module" crossorigin src="/assets/index-a1.js"></script>',
  '<link rel="modulepreload" crossorigin href="/assets/dep-b2.js">',
  '<link rel="stylesheet" crossorigin href="/assets/index-c3.css">',
  '<link rel="preconnect" href="https://elsewhere.example">',
  '<script src="//cdn.example/x.js"></script>',
  '</head><body><div id="root"></div></body></html>',
].join('\n');

describe('first visit on the wire', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealroom-bench-wire-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds what a page loads before its script runs, same origin only', () => {
    expect(initialResources(PAGE)).toEqual(['/assets/index-a1.js', '/favicon.svg', '/assets/dep-b2.js', '/assets/index-c3.css']);
  });

  it('counts the bodies as sent: the brotli copies, the gzip copies, or the files', async () => {
    mkdirSync(join(dir, 'assets'));
    const files: Record<string, string> = {
      'index.html': PAGE,
      'favicon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
      'assets/index-a1.js': `console.log(${JSON.stringify('a'.repeat(3000))});`,
      'assets/dep-b2.js': `export const b = ${JSON.stringify('b'.repeat(2000))};`,
      'assets/index-c3.css': `body{color:red}${'p{margin:0}'.repeat(100)}`,
    };
    for (const [path, text] of Object.entries(files)) {
      writeFileSync(join(dir, path), text);
      // The icon has no copies, as precompress.mjs leaves a file it cannot shrink.
      if (path.endsWith('.svg')) continue;
      writeFileSync(join(dir, `${path}.br`), brotliCompressSync(text));
      writeFileSync(join(dir, `${path}.gz`), gzipSync(text));
    }
    const relay = await startRelay({ port: 0, webRoot: dir, logLevel: 'silent' });
    try {
      const size = (path: string) => statSync(join(dir, path)).size;
      const expected = (suffix: string) => Object.keys(files).reduce((sum, path) => sum + (path.endsWith('.svg') ? size(path) : size(`${path}${suffix}`)), 0);
      const browser = await measureFirstVisit(relay.url, 'br, gzip');
      expect(browser.fetches.map((f) => f.path)).toEqual(['/', '/assets/index-a1.js', '/favicon.svg', '/assets/dep-b2.js', '/assets/index-c3.css']);
      expect(browser.fetches.map((f) => f.encoding)).toEqual(['br', 'br', 'identity', 'br', 'br']);
      expect(browser.bodyBytes).toBe(expected('.br'));
      expect((await measureFirstVisit(relay.url, 'gzip')).bodyBytes).toBe(expected('.gz'));
      const identity = await measureFirstVisit(relay.url, '');
      expect(identity.bodyBytes).toBe(expected(''));
      expect(browser.totalBytes).toBeGreaterThan(browser.bodyBytes);
      expect(browser.totalBytes).toBeLessThan(identity.totalBytes);
    } finally {
      await relay.close();
    }
  });
});
