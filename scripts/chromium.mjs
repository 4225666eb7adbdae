// Finds a Chromium for Playwright: an explicit CHROMIUM_PATH wins, then the system's
// Chromium (Debian's package), then the browser `npx playwright install chromium` fetched.
import { existsSync } from 'node:fs';

const SYSTEM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

// Flags from DESIGN.md §6: headless as root in a container, with no background network
// traffic (this machine's closed network refuses it noisily).
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** @returns {string | undefined} the executable to launch, or undefined to use Playwright's own. */
export function chromiumExecutable() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  return SYSTEM_CANDIDATES.find((candidate) => existsSync(candidate));
}
