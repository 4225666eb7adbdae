#!/usr/bin/env node
// Writes a brotli (`.br`) and a gzip (`.gz`) copy beside every compressible file of the
// production build. The relay sends these as they are, chosen by the request's
// Accept-Encoding, so it never compresses on a request (and needs no compression code of
// its own); nginx (`gzip_static`) and Caddy (`file_server { precompressed }`) can serve the
// same files. Both are made at the highest setting: the cost is paid once per build.
// A copy that is not smaller than its original is not written.
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/** Text formats, where compression pays. Images and fonts are compressed already. */
const COMPRESSIBLE = /\.(?:html|js|mjs|css|svg|json|webmanifest|map|txt|xml|wasm)$/u;
/** The copies this script writes (and removes again before writing, so a rerun starts clean). */
const COPIES = [
  { suffix: '.br', compress: (buf) => brotliAsync(buf, brotliOptions(buf.length)) },
  { suffix: '.gz', compress: (buf) => gzipAsync(buf, { level: constants.Z_BEST_COMPRESSION }) },
];

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

function brotliOptions(sizeBytes) {
  return {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: sizeBytes,
    },
  };
}

async function filesUnder(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

async function precompress(file) {
  const original = await readFile(file);
  const written = [];
  for (const { suffix, compress } of COPIES) {
    const target = `${file}${suffix}`;
    await rm(target, { force: true });
    const copy = await compress(original);
    if (copy.length >= original.length) continue;
    await writeFile(target, copy);
    written.push({ suffix, bytes: copy.length });
  }
  return { file, bytes: original.length, written };
}

/** Runs `task` over `items`, at most `limit` at a time (zlib's async calls use the thread pool). */
async function eachLimited(items, limit, task) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const dist = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
if (!(await stat(join(dist, 'index.html')).catch(() => undefined))) {
  console.error(`precompress: no build at ${dist} (run vite build first)`);
  process.exit(1);
}
const candidates = (await filesUnder(dist)).filter((file) => COMPRESSIBLE.test(file));
const results = await eachLimited(candidates, availableParallelism(), precompress);
let total = 0;
let brotli = 0;
let copies = 0;
for (const { bytes, written } of results) {
  total += bytes;
  brotli += written.find((w) => w.suffix === '.br')?.bytes ?? bytes;
  copies += written.length;
}
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(
  `precompress: ${copies} copies of ${results.length} files under ${relative(process.cwd(), dist) || '.'}; ${kib(total)} → ${kib(brotli)} with brotli`,
);
