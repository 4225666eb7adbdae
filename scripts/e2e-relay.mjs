// The relay the end-to-end tests run against (playwright.config.ts `webServer`): the real
// CLI with the durable store, as a self-hoster runs it, over a data directory of its own
// in the system's temporary directory, removed when the relay exits. Playwright stops its
// web server by signalling the whole process group (gracefulShutdown in the config): the
// relay shuts down on its own signal, and this script waits for it, then cleans up.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = mkdtempSync(join(tmpdir(), 'sealroom-e2e-'));
const relay = spawn(process.execPath, [join(root, 'packages/relay/bin/sealroom-relay.js'), '--data-dir', dataDir, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
const cleanUp = () => rmSync(dataDir, { recursive: true, force: true });
/** A relay still running this long after the signal is killed (it should need about two seconds). */
const STOP_GRACE_MS = 5_000;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    // Signalled alone (not the group): pass it on; either way, never leave the relay behind.
    if (relay.signalCode === null && relay.exitCode === null) setTimeout(() => relay.kill(signal), 100).unref();
    setTimeout(() => relay.kill('SIGKILL'), STOP_GRACE_MS).unref();
  });
}
relay.on('exit', (code, signal) => {
  cleanUp();
  process.exit(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1));
});
