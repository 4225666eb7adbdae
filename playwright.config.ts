import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumExecutable } from './scripts/chromium.mjs';

const PORT = Number(process.env.E2E_PORT ?? 8799);
const executablePath = chromiumExecutable();

// End-to-end tests drive the production build of apps/web served by a real relay process.
export default defineConfig({
  testDir: './apps/web/e2e',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  use: {
    baseURL: `http://localhost:${PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: { args: CHROMIUM_ARGS, ...(executablePath ? { executablePath } : {}) },
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'] } }],
  webServer: {
    // The durable store (the relay's default), in a temporary data directory the script
    // removes when Playwright stops it: acknowledged messages are kept as in production.
    command: `node scripts/e2e-relay.mjs --port ${PORT} --host 127.0.0.1 --log-level warn`,
    url: `http://localhost:${PORT}/healthz`,
    reuseExistingServer: false,
    // SIGTERM to the group, so the relay closes cleanly and the script removes its data directory.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
    timeout: 30_000,
  },
});
