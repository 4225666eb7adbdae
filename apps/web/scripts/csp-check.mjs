#!/usr/bin/env node
// The relay serves the app under `script-src 'self'; style-src 'self'` with no
// 'unsafe-inline', and `img-src 'self' data: blob:`, `font-src` unset (default 'self').
// This fails the build if anything in dist/ would be blocked or would reach another
// host: inline scripts, <style> blocks, style attributes, data: fonts, absolute URLs.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const problems = [];
const html = readFileSync(join(dist, 'index.html'), 'utf8');

for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gu)) {
  if (!/\ssrc=/u.test(m[1] ?? '') || (m[2] ?? '').trim() !== '') problems.push(`inline <script> in index.html: ${m[0].slice(0, 80)}`);
}
if (/<style\b/u.test(html)) problems.push('<style> block in index.html');
if (/\sstyle=/u.test(html)) problems.push('style="…" attribute in index.html');
if (/\son[a-z]+=/u.test(html)) problems.push('inline event handler attribute in index.html');
for (const m of html.matchAll(/\s(?:src|href)="(https?:)?\/\/[^"]*"/gu)) problems.push(`third-party URL in index.html: ${m[0]}`);

const assets = join(dist, 'assets');
for (const file of readdirSync(assets)) {
  const text = readFileSync(join(assets, file), 'utf8');
  if (file.endsWith('.css')) {
    if (/url\(\s*['"]?data:(font|application\/(x-)?font)/u.test(text)) problems.push(`data: font in ${file}`);
    if (/@import\s+url\(\s*['"]?https?:/u.test(text) || /url\(\s*['"]?https?:/u.test(text)) problems.push(`remote URL in ${file}`);
  }
}

if (problems.length > 0) {
  console.error(`CSP check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('CSP check: no inline scripts or styles, no data: fonts, no third-party URLs in dist/.');
