import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnRelay, type RelayProcess } from './helpers/process.js';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = join(PACKAGE, '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';
/** npm installs ws, prom-client and ioredis from the registry: tens of seconds here. */
const PACK_TEST_TIMEOUT_MS = 180_000;

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
    const [packed] = JSON.parse(
      execFileSync(NPM, ['pack', '--json', '--pack-destination', work], { cwd: PACKAGE, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    ) as PackResult[];
    const paths = packed!.files.map((f) => f.path);
    expect(paths).toContain('bin/sealroom-relay.js');
    expect(paths).toContain('dist/cli.js');
    expect(paths).toContain('package.json');
    for (const path of paths) {
      expect(path).toMatch(/^(bin\/|dist\/|package\.json$|README\.md$|LICENSE$)/);
      expect(path).not.toMatch(/\.ts$(?<!\.d\.ts)|\.map$|^test\/|^src\//);
    }
    const manifest = JSON.parse(execFileSync('tar', ['-xOzf', join(work, packed!.filename), 'package/package.json'], { encoding: 'utf8' })) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['ioredis', 'prom-client', 'ws']);

    const empty = join(work, 'empty');
    execFileSync('mkdir', ['-p', empty]);
    copyFileSync(join(work, packed!.filename), join(empty, packed!.filename));
    relay = await spawnRelay(NPX, ['--yes', `./${packed!.filename}`, '--port', '0', '--log-level', 'warn'], {
      cwd: empty,
      // Own group, so the test can stop npx and the relay under it together.
      detached: true,
      env: { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
    });
    const health = await fetch(`${relay.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', connections: 0 });
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toMatch(/^sealroom_connections 0$/m);
    // npx itself dies of the signal; the relay's own exit status on SIGTERM is the
    // process test's business (cli.test.ts). Here: the whole group goes away.
    process.kill(-relay.child.pid!, 'SIGTERM');
    await relay.exited;
  });
});
