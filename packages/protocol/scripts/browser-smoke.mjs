// Runs the protocol's round trips in real Chromium (its WebCrypto, not Node's):
//   pnpm --filter @sealroom/protocol run smoke:browser
// Bundles browser-smoke-entry.ts with Vite, serves it on 127.0.0.1 (WebCrypto needs a
// secure context), and prints what each round trip returned. Exits non-zero on a failure.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build, defaultClientConditions } from 'vite';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumExecutable } from '../../../scripts/chromium.mjs';

const entry = fileURLToPath(new URL('./browser-smoke-entry.ts', import.meta.url));
const result = await build({
  configFile: false,
  logLevel: 'warn',
  // Workspace packages (@sealroom/units) from their sources, as the app's build takes them.
  resolve: { conditions: ['@sealroom/source', ...defaultClientConditions] },
  build: { write: false, lib: { entry, formats: ['es'], fileName: 'smoke' }, minify: false },
});
const code = (Array.isArray(result) ? result[0] : result).output[0].code;
const html = '<!doctype html><meta charset="utf-8"><script type="module" src="/smoke.js"></script>';
const server = createServer((req, res) => {
  if (req.url === '/smoke.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(code);
  else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const browser = await chromium.launch({ executablePath: chromiumExecutable(), args: CHROMIUM_ARGS });
let failed;
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => typeof globalThis.smoke === 'function', undefined, { timeout: 30_000 });
  const out = await page.evaluate(() => globalThis.smoke());
  console.log(`Chromium ${browser.version()}:`, out);
  failed = Object.values(out).some((v) => v === false);
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
