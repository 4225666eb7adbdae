import { defaultClientConditions, defaultServerConditions } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under this condition, so tests
// run against src/ without a build step. Published builds use dist/.
const SOURCE_CONDITION = '@sealroom/source';

// The fuzz targets (packages/*/test/fuzz/*.fuzz.test.ts) are one set run at two lengths:
// a short pass in every `pnpm test:unit`, and `pnpm fuzz` (`--mode fuzz`) with at least
// 10,000 runs per decoder of untrusted input (DESIGN.md §6). FUZZ_RUNS overrides both.
const FUZZ_GLOB = 'packages/*/test/fuzz/**/*.fuzz.test.ts';
const FUZZ_RUNS_SHORT = 200;
const FUZZ_RUNS_FULL = 10_000;
/** Per test of the fuzz project: generous per run, since a full pass of the slowest target
 * (an RSA-OAEP decryption per run) takes minutes on a shared machine. */
const FUZZ_TIMEOUT_MS_PER_RUN = 20;
const TEST_TIMEOUT_MS = 60_000;

export default defineConfig(({ mode }) => {
  const fuzzRuns = Number(process.env.FUZZ_RUNS ?? (mode === 'fuzz' ? FUZZ_RUNS_FULL : FUZZ_RUNS_SHORT));
  return {
    resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
    ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
    test: {
      // RSA-3072 key generation costs about a second; integration tests start real relays.
      testTimeout: TEST_TIMEOUT_MS,
      hookTimeout: TEST_TIMEOUT_MS,
      // CI (.ci/run exports CI=1) fails on a stray `.only` instead of silently running one test.
      allowOnly: !process.env.CI,
      projects: [
        { extends: true, test: { name: 'units', include: ['packages/units/test/**/*.test.ts'] } },
        { extends: true, test: { name: 'protocol', include: ['packages/protocol/test/**/*.test.ts'], exclude: [...configDefaults.exclude, FUZZ_GLOB] } },
        { extends: true, test: { name: 'relay', include: ['packages/relay/test/**/*.test.ts'], exclude: [...configDefaults.exclude, FUZZ_GLOB] } },
        { extends: true, test: { name: 'client', include: ['packages/client/test/**/*.test.ts'], exclude: [...configDefaults.exclude, FUZZ_GLOB] } },
        { extends: true, test: { name: 'web', include: ['apps/web/src/**/*.test.{ts,tsx}'] } },
        { extends: true, test: { name: 'bench', include: ['packages/bench/test/**/*.test.ts'] } },
        {
          extends: true,
          test: {
            name: 'fuzz',
            include: [FUZZ_GLOB],
            env: { FUZZ_RUNS: String(fuzzRuns) },
            setupFiles: ['scripts/fuzz-setup.ts'],
            testTimeout: Math.max(TEST_TIMEOUT_MS, fuzzRuns * FUZZ_TIMEOUT_MS_PER_RUN),
          },
        },
      ],
    },
  };
});
