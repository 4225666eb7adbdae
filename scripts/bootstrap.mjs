// The README's two commands: `npm start` and `npm test`. On a fresh clone with only
// Node installed, this installs what is missing (pnpm at the pinned version, the
// workspace's dependencies, a browser for the end-to-end tests) and then runs the work.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumExecutable } from './chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pnpmSpec = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager;
const localPnpm = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'pnpm.cmd' : 'pnpm');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function run(command, args, env = {}) {
  console.log(`\n> ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function pnpm(...args) {
  if (existsSync(localPnpm)) run(localPnpm, args);
  else run(npx, ['--yes', pnpmSpec, ...args]);
}

function install() {
  // A no-op in about a second when everything is in place.
  pnpm('install', '--frozen-lockfile', '--prefer-offline');
}

function ensureBrowser() {
  if (chromiumExecutable()) return;
  console.log("No system Chromium found (set CHROMIUM_PATH to use another): installing Playwright's own.");
  run(localPnpm, ['exec', 'playwright', 'install', 'chromium']);
}

const task = process.argv[2];
if (task === 'start') {
  install();
  pnpm('run', 'build');
  // The quick start keeps rooms in memory (nothing written to disk) unless told where to
  // keep them, by flag or by its environment twin: `npm start -- --data-dir ./sealroom-data`
  // for the durable store. The relay runs from the clone's root, so a relative data
  // directory is relative to the clone (and ignored by git), not to packages/relay.
  const extra = process.argv.slice(3);
  const chosen =
    extra.some((arg) => /^--(data-dir|redis|memory)(=|$)/.test(arg)) ||
    ['SEALROOM_DATA_DIR', 'SEALROOM_REDIS_URL', 'SEALROOM_MEMORY'].some((name) => (process.env[name] ?? '') !== '');
  run(process.execPath, [join(root, 'packages', 'relay', 'bin', 'sealroom-relay.js'), ...(chosen ? [] : ['--memory']), ...extra]);
} else if (task === 'test') {
  install();
  ensureBrowser();
  for (const step of ['lint', 'typecheck', 'build', 'test:unit', 'e2e']) pnpm('run', step);
  // The quick load test (issue 14): 100 wire-level clients through one relay and through two
  // relays sharing Redis; fails on any lost, duplicated or reordered delivery. Last, so a
  // failure here does not hide the other checks' results.
  pnpm('run', 'test:load', '--quick');
  console.log('\nAll checks passed: lint, typecheck, build, unit and integration tests, end-to-end tests, quick load test.');
} else {
  console.error('usage: node scripts/bootstrap.mjs start|test');
  process.exit(2);
}
