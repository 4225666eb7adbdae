// `npm pack` and `npm publish` ship the web app inside the relay: prepack copies the
// workspace's built apps/web/dist to dist/web, postpack removes it again so a workspace run
// never serves a stale copy (the relay prefers dist/web over apps/web/dist).
//
// A package without the app (or with a build from before the precompressed copies) would
// install and run, and serve a "not built" page to everyone who opens it: prepack refuses
// instead, loudly. SEALROOM_PACK_WEB_DIR names another build to ship (the pack test packs a
// small fixture with it); by default it is apps/web/dist.
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = resolve(process.env.SEALROOM_PACK_WEB_DIR ?? join(pkg, '..', '..', 'apps', 'web', 'dist'));
const target = join(pkg, 'dist', 'web');
/** What apps/web/scripts/precompress.mjs writes beside each file; the relay serves them by Accept-Encoding. */
const COPY_SUFFIXES = ['.br', '.gz'];

function fail(message) {
  console.error(`\npack-web: ${message}\n`);
  process.exit(1);
}

rmSync(target, { recursive: true, force: true });
if (process.argv[2] === 'copy') {
  if (!existsSync(join(source, 'index.html'))) {
    fail(`the web app is not built (no ${join(source, 'index.html')}). Run \`pnpm build\` at the workspace root, then pack again.`);
  }
  const files = readdirSync(source, { recursive: true }).map(String);
  for (const suffix of COPY_SUFFIXES) {
    if (!files.some((file) => file.endsWith(suffix))) {
      fail(`${source} has no precompressed ${suffix} copies (a build from before apps/web/scripts/precompress.mjs). Run \`pnpm build\` again.`);
    }
  }
  for (const built of ['cli.js', 'index.js', 'index.d.ts']) {
    if (!existsSync(join(pkg, 'dist', built))) fail(`dist/${built} is missing: the relay is not built. Run \`pnpm build\` first.`);
  }
  cpSync(source, target, { recursive: true });
  console.error(`pack-web: bundled the web app from ${source} (${files.length} files)`);
}
