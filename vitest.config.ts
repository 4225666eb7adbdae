import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under this condition, so tests
// run against src/ without a build step. Published builds use dist/.
const SOURCE_CONDITION = '@sealroom/source';

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
  test: {
    // RSA-3072 key generation costs about a second; integration tests start real relays.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // CI (.ci/run exports CI=1) fails on a stray `.only` instead of silently running one test.
    allowOnly: !process.env.CI,
    projects: [
      { extends: true, test: { name: 'units', include: ['packages/units/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'protocol', include: ['packages/protocol/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'relay', include: ['packages/relay/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'client', include: ['packages/client/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'web', include: ['apps/web/src/**/*.test.{ts,tsx}'] } },
      { extends: true, test: { name: 'bench', include: ['packages/bench/test/**/*.test.ts'] } },
    ],
  },
});
