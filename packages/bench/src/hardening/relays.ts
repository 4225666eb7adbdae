// The relays the hardening runs (load, abuse) start: the workspace's relay CLI as child
// processes on loopback, in memory, with the per-address and per-connection limits lifted
// where one test address stands for a thousand users. Always stopped at the end.
import { spawnSync } from 'node:child_process';
import { prepareRelay } from '../relay-build.js';
import { RELAY_CLI, startRedis, startServer, type RunningRedis, type RunningServer } from '../servers.js';

/** `--help` prints and exits at once, ms. */
const HELP_TIMEOUT_MS = 10_000;

export interface Topology {
  label: string;
  relays: RunningServer[];
  redis?: RunningRedis;
  stop(): Promise<void>;
}

export interface RelayFlags {
  /** Flags for every relay these runs start. */
  args: string[];
  /** What was asked for and is not there, for the report. */
  missing: string[];
}

/**
 * Builds the relay if it is not built, and works out its flags: the benchmark's lifted
 * limits (relay-build.ts), `--memory` when the relay has it (a durable store is the default
 * where it does), and `extra` (flag, value) pairs the relay lists in its --help.
 */
export async function relayFlags(log: (line: string) => void, extra: [flag: string, value: string][] = []): Promise<RelayFlags> {
  const relay = await prepareRelay({ build: false, log });
  if (!relay.available) {
    const built = await prepareRelay({ build: true, log });
    if (!built.available) throw new Error(`no relay to test: ${built.reason}`);
    return relayFlagsOf(built.benchArgs, built.missingFlags, extra);
  }
  return relayFlagsOf(relay.benchArgs, relay.missingFlags, extra);
}

function relayFlagsOf(benchArgs: string[], missing: string[], extra: [string, string][]): RelayFlags {
  const help = spawnSync(process.execPath, [RELAY_CLI, '--help'], { encoding: 'utf8', timeout: HELP_TIMEOUT_MS });
  const text = `${help.stdout ?? ''}${help.stderr ?? ''}`;
  const args = [...benchArgs];
  const lacking = [...missing];
  if (/--memory(?![\w-])/.test(text)) args.push('--memory');
  for (const [flag, value] of extra) {
    if (new RegExp(`${flag}\\b`).test(text)) args.push(flag, value);
    else lacking.push(flag);
  }
  return { args, missing: lacking };
}

/** One in-memory relay process. */
export async function oneRelay(flags: RelayFlags): Promise<Topology> {
  const relay = await startServer('relay', { relayArgs: flags.args, label: 'memory' });
  return { label: 'one relay, in memory', relays: [relay], stop: () => relay.stop() };
}

/** Two relay processes sharing one redis-server of their own on a free loopback port. */
export async function twoRelaysOverRedis(flags: RelayFlags): Promise<Topology> {
  const redis = await startRedis();
  const relays: RunningServer[] = [];
  const stop = async (): Promise<void> => {
    for (const relay of relays) await relay.stop();
    await redis.stop();
  };
  try {
    for (const n of [1, 2]) relays.push(await startServer('relay', { relayArgs: [...flags.args, '--redis', redis.url], label: `redis #${n}` }));
  } catch (error) {
    await stop();
    throw error;
  }
  return { label: 'two relays + Redis', relays, redis, stop };
}
