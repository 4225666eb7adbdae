// `npm pack` ships the web app inside the relay: prepack copies the workspace's built
// apps/web/dist to dist/web, postpack removes it again so a workspace run never serves
// a stale copy (the relay prefers dist/web over apps/web/dist).
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(pkg, '..', '..', 'apps', 'web', 'dist');
const target = join(pkg, 'dist', 'web');

rmSync(target, { recursive: true, force: true });
if (process.argv[2] === 'copy') {
  if (!existsSync(join(pkg, 'dist', 'cli.js'))) {
    console.error('pack-web: dist/ is not built; run the build first');
    process.exit(1);
  }
  if (existsSync(join(source, 'index.html'))) {
    cpSync(source, target, { recursive: true });
    console.error(`pack-web: bundled the web app from ${source}`);
  } else {
    console.error('pack-web: apps/web/dist is not built; the package will serve a "not built" page');
  }
}
