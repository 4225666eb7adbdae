import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { getRaw } from './helpers/http.js';
import { spawnRelay, type RelayProcess } from './helpers/process.js';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = join(PACKAGE, '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';
/**
 * npm installs ws, prom-client and ioredis from the registry (tens of seconds here) and
 * builds better-sqlite3's native binding from source where no prebuilt one can be fetched
 * (about three minutes on two shared cores).
 */
const PACK_TEST_TIMEOUT_MS = 600_000;
/** How long npx may take to install the tarball and start it. */
const NPX_START_MS = 480_000;

/** A web build as apps/web's build leaves it, small: a page and its precompressed copies. */
function fixtureWebBuild(dir: string): string {
  const page = `<!doctype html><title>packed fixture</title>${'<p>fixture</p>'.repeat(50)}`;
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), page);
  writeFileSync(join(dir, 'index.html.br'), brotliCompressSync(page));
  writeFileSync(join(dir, 'index.html.gz'), gzipSync(page));
  return page;
}

interface PackResult {
  filename: string;
  files: { path: string }[];
}

/**
 * The published artefact: `npm pack` holds the built JavaScript, the bin and the
 * runtime dependencies only, and `npx ./sealroom-relay-<version>.tgz` serves from an
 * empty folder.
 */
describe('npm pack', () => {
  const work = mkdtempSync(join(tmpdir(), 'sealroom-pack-'));
  let relay: RelayProcess | undefined;
  afterAll(() => {
    if (relay?.child.pid !== undefined && relay.child.exitCode === null) {
      try {
        process.kill(-relay.child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('packs only what runs, and the tarball serves via npx in an empty folder', { timeout: PACK_TEST_TIMEOUT_MS }, async () => {
    // Build what the tarball needs from the current sources.
    execFileSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: PACKAGE, stdio: 'pipe' });
    const web = join(work, 'web');
    fixtureWebBuild(web);
    const [packed] = JSON.parse(
      execFileSync(NPM, ['pack', '--json', '--pack-destination', work], {
        cwd: PACKAGE,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, SEALROOM_PACK_WEB_DIR: web },
      }),
    ) as PackResult[];
    const paths = packed!.files.map((f) => f.path);
    expect(paths).toContain('bin/sealroom-relay.js');
    expect(paths).toContain('dist/cli.js');
    expect(paths).toContain('package.json');
    expect(paths).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'dist/index.d.ts', 'dist/web/index.html', 'dist/web/index.html.br', 'dist/web/index.html.gz']),
    );
    for (const path of paths) {
      expect(path).toMatch(/^(bin\/|dist\/|package\.json$|README\.md$|LICENSE$)/);
      expect(path).not.toMatch(/\.ts$(?<!\.d\.ts)|\.map$|^test\/|^src\//);
    }
    const manifest = JSON.parse(execFileSync('tar', ['-xOzf', join(work, packed!.filename), 'package/package.json'], { encoding: 'utf8' })) as Record<
      string,
      unknown
    > & { dependencies: Record<string, string>; engines: { node: string } };
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['better-sqlite3', 'fresh', 'ioredis', 'negotiator', 'prom-client', 'ws']);
    // What npm shows and links to, and the same Node range as the workspace.
    expect(manifest).toMatchObject({ license: 'MIT', repository: { type: 'git', directory: 'packages/relay' }, bugs: { url: expect.any(String) } });
    expect(manifest.homepage).toEqual(expect.any(String));
    const root = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(manifest.engines.node).toBe(root.engines.node);

    const empty = join(work, 'empty');
    execFileSync('mkdir', ['-p', empty]);
    copyFileSync(join(work, packed!.filename), join(empty, packed!.filename));
    relay = await spawnRelay(NPX, ['--yes', `./${packed!.filename}`, '--port', '0', '--log-level', 'warn'], {
      cwd: empty,
      // Own group, so the test can stop npx and the relay under it together.
      detached: true,
      startWaitMs: NPX_START_MS,
      env: { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
    });
    const health = await fetch(`${relay.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', connections: 0 });
    // The durable store by default: the native SQLite binding installed with the tarball
    // works, and the data directory is where the help says.
    expect(existsSync(join(empty, 'sealroom-data', 'relay.db'))).toBe(true);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toMatch(/^sealroom_connections 0$/m);
    // The packed app, served from the package: its brotli copy, then a 304.
    const page = await getRaw(`${relay.url}/`, { 'Accept-Encoding': 'br' });
    expect(page.headers['content-encoding']).toBe('br');
    expect(page.body.equals(readFileSync(join(web, 'index.html.br')))).toBe(true);
    expect((await getRaw(`${relay.url}/`, { 'Accept-Encoding': 'br', 'If-None-Match': page.headers.etag! })).status).toBe(304);
    // npx itself dies of the signal; the relay's own exit status on SIGTERM is the
    // process test's business (cli.test.ts). Here: the whole group goes away.
    process.kill(-relay.child.pid!, 'SIGTERM');
    await relay.exited;
  });

  it('refuses to pack without a built web app, saying so', () => {
    const empty = join(work, 'no-web');
    mkdirSync(empty, { recursive: true });
    const result = spawnSync(process.execPath, [join(PACKAGE, 'scripts', 'pack-web.mjs'), 'copy'], {
      cwd: PACKAGE,
      encoding: 'utf8',
      env: { ...process.env, SEALROOM_PACK_WEB_DIR: empty },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/the web app is not built .*Run `pnpm build`/s);

    // A build from before the precompressed copies is refused too.
    writeFileSync(join(empty, 'index.html'), '<title>old build</title>');
    const stale = spawnSync(process.execPath, [join(PACKAGE, 'scripts', 'pack-web.mjs'), 'copy'], {
      cwd: PACKAGE,
      encoding: 'utf8',
      env: { ...process.env, SEALROOM_PACK_WEB_DIR: empty },
    });
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/no precompressed \.br copies/);
  });
});
