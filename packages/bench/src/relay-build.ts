// Makes sure the relay CLI is built (the benchmark runs the real CLI from dist/), and
// works out which flags lift its limits for a loopback load test.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RelayAvailability } from './context.js';
import { REPO_ROOT, RELAY_CLI, RELAY_CLI_OVERRIDE, relayBuilt } from './servers.js';

const RELAY_SOURCE_CLI = fileURLToPath(new URL('../../relay/src/cli.ts', import.meta.url));
/** Building the relay with tsc takes seconds; anything past this is stuck, ms. */
const BUILD_TIMEOUT_MS = 180_000;
/** `--help` prints and exits at once, ms. */
const HELP_TIMEOUT_MS = 10_000;

/**
 * The relay's abuse limits are sized for the open internet (64 connections per address,
 * 200 messages/s per connection). A loopback load test from a handful of addresses needs
 * them lifted; each flag is passed only if the relay's --help lists it. Retention,
 * heartbeat and slow-consumer limits stay at their defaults: they are part of the job.
 */
/**
 * In every run, limits raised or not: logging is not part of what is measured (warnings
 * and errors only), and rooms are kept in memory — the relay's own default is a data
 * directory; the storage section starts durable relays itself, each in a directory of its own.
 */
const DEFAULT_RUN_FLAGS: [flag: string, value: string | undefined][] = [
  ['--memory', undefined],
  ['--log-level', 'warn'],
];
const BENCH_FLAGS: [flag: string, value: string | undefined][] = [
  ...DEFAULT_RUN_FLAGS,
  ['--max-connections-per-address', '100000'],
  ['--rate-messages', '1000000'],
  ['--burst-messages', '1000000'],
  ['--rate-bytes', '1GiB'],
  ['--burst-bytes', '1GiB'],
  // Thousands of rooms registered from loopback within seconds is the load, not an attack.
  ['--registrations-per-minute', '1000000'],
  ['--registration-burst', '1000000'],
];

export async function prepareRelay(options: { build: boolean; log(line: string): void }): Promise<RelayAvailability> {
  const missingFlags: string[] = [];
  if (RELAY_CLI_OVERRIDE) options.log(`measuring the relay at ${RELAY_CLI_OVERRIDE} (SEALROOM_BENCH_RELAY_CLI)`);
  else if (!existsSync(RELAY_SOURCE_CLI)) {
    return { available: false, reason: 'packages/relay has no CLI yet (src/cli.ts)', benchArgs: [], defaultArgs: [], missingFlags };
  }
  if (options.build && !RELAY_CLI_OVERRIDE) {
    options.log('building @sealroom/relay');
    const build = spawnSync('pnpm', ['--filter', '@sealroom/relay', 'run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
    if (build.status !== 0) {
      options.log(`relay build failed:\n${(build.stdout ?? '') + (build.stderr ?? '') || String(build.error)}`);
      return {
        available: false,
        reason: 'the relay does not build (`pnpm --filter @sealroom/relay build` failed; output on stderr)',
        benchArgs: [],
        defaultArgs: [],
        missingFlags,
      };
    }
  }
  if (!relayBuilt()) return { available: false, reason: `relay CLI not built (${RELAY_CLI})`, benchArgs: [], defaultArgs: [], missingFlags };
  const help = spawnSync(process.execPath, [RELAY_CLI, '--help'], { encoding: 'utf8', timeout: HELP_TIMEOUT_MS });
  const helpText = `${help.stdout ?? ''}${help.stderr ?? ''}`;
  const benchArgs: string[] = [];
  // Scale-out needs --redis; record its absence like any other missing flag.
  if (!/--redis\b/.test(helpText)) missingFlags.push('--redis');
  for (const [flag, value] of BENCH_FLAGS) {
    if (new RegExp(`${flag}\\b`).test(helpText)) benchArgs.push(flag, ...(value === undefined ? [] : [value]));
    else missingFlags.push(flag);
  }
  const defaultArgs = DEFAULT_RUN_FLAGS.filter(([flag]) => new RegExp(`${flag}\\b`).test(helpText)).flatMap(([flag, value]) =>
    value === undefined ? [flag] : [flag, value],
  );
  return { available: true, benchArgs, defaultArgs, missingFlags };
}
