#!/usr/bin/env node
// Prints the initial JavaScript of the production build, gzipped: the entry script and
// every module it preloads (what a first visit must download before the app runs).
// Lazy chunks (dialogs, QR codes, the password-strength dictionaries) are listed apart.
// Exits 1 above the budget, so the build fails loudly rather than drifting.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';
import { KIB } from '@sealroom/units';

/** DESIGN.md §5: small enough to load fast on a phone. */
const BUDGET_GZIP_BYTES = 150 * KIB;

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');

const initial = new Set();
for (const m of html.matchAll(/<script[^>]*\ssrc="([^"]+)"/gu)) initial.add(m[1]);
for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/gu)) initial.add(m[1]);

const gz = (buf) => gzipSync(buf, { level: constants.Z_BEST_COMPRESSION }).length;
const kb = (n) => `${(n / KIB).toFixed(1)} KB`;

let initialRaw = 0;
let initialGzip = 0;
const rows = [];
for (const path of initial) {
  const buf = readFileSync(join(dist, path.replace(/^\//u, '')));
  initialRaw += buf.length;
  const g = gz(buf);
  initialGzip += g;
  rows.push(`  initial  ${kb(g).padStart(9)} gz  ${path}`);
}
const assets = join(dist, 'assets');
let lazyGzip = 0;
for (const file of readdirSync(assets).filter((f) => f.endsWith('.js')).sort()) {
  if (initial.has(`/assets/${file}`)) continue;
  const g = gz(readFileSync(join(assets, file)));
  lazyGzip += g;
  rows.push(`  lazy     ${kb(g).padStart(9)} gz  /assets/${file}`);
}
// The chat screen is a lazy chunk fetched right after start (while the user types the
// password); report the first screen plus it as well, so nobody mistakes the split for a trick.
const chatFile = readdirSync(assets).find((f) => /^Chat-.*\.js$/u.test(f));
const chatGzip = chatFile ? gz(readFileSync(join(assets, chatFile))) : 0;
console.log(rows.join('\n'));
console.log(`initial JS: ${kb(initialGzip)} gzipped (${kb(initialRaw)} raw) in ${initial.size} file(s); budget ${kb(BUDGET_GZIP_BYTES)}`);
console.log(`with chat:  ${kb(initialGzip + chatGzip)} gzipped (first screen + the chat screen it preloads)`);
console.log(`lazy JS:    ${kb(lazyGzip)} gzipped, loaded on demand (dialogs, QR codes, password dictionaries)`);
console.log(`INITIAL_JS_GZIP_BYTES=${initialGzip}`);
if (initialGzip > BUDGET_GZIP_BYTES) {
  console.error(`initial JavaScript is over budget by ${kb(initialGzip - BUDGET_GZIP_BYTES)}`);
  process.exit(1);
}
