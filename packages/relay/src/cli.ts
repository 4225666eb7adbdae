import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { DEFAULT_DATA_DIR, FLAGS } from './cli-flags.js';
import { parseValue } from './cli-values.js';
import { DEFAULT_HELP_WIDTH, formatHelp, helpWidth } from './cli-help.js';
import { RelayStartError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { createLogger, errorMessage, type Logger } from './log.js';
import type { RelayOptions, RunningRelay } from './options.js';
import { startRelay } from './relay.js';
import { readTlsFiles, type TlsFiles } from './tls-reload.js';

type ParsedRelayArgs =
  | { readonly kind: 'run'; readonly options: RelayOptions; readonly tlsCertFile?: string; readonly tlsKeyFile?: string }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly message: string };

/**
 * Reads flags and their environment twins (a flag wins over its variable). `--help` is
 * wrapped to `helpColumns`.
 */
export function parseRelayArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  helpColumns: number = DEFAULT_HELP_WIDTH,
): ParsedRelayArgs {
  const spec: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  };
  for (const flag of FLAGS) {
    spec[flag.name] =
      flag.kind === 'switch' ? { type: 'boolean' } : { type: 'string', ...(flag.kind === 'list' || flag.kind === 'addresses' ? { multiple: true } : {}) };
  }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: false }));
  } catch (err) {
    return { kind: 'error', message: `${err instanceof Error ? err.message : String(err)}\nRun with --help to see every option.` };
  }
  if (values.help === true) return { kind: 'help', text: formatHelp(helpColumns) };
  if (values.version === true) return { kind: 'version' };
  const options: RelayOptions = {};
  const raw = new Map<string, string | string[]>();
  for (const flag of FLAGS) {
    const given = values[flag.name] as string | string[] | boolean | undefined;
    const fromFlag = given === true ? 'true' : (given as string | string[] | undefined);
    const fromEnv = env[flag.env];
    const value = fromFlag ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined);
    if (value === undefined) continue;
    const parsed = parseValue(flag, value);
    if (!parsed.ok) return { kind: 'error', message: parsed.message };
    raw.set(flag.name, value);
    (flag.apply as ((o: RelayOptions, v: unknown) => void) | undefined)?.(options, parsed.value);
  }
  const tlsCertFile = raw.get('tls-cert') as string | undefined;
  const tlsKeyFile = raw.get('tls-key') as string | undefined;
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) {
    return { kind: 'error', message: '--tls-cert and --tls-key go together (SEALROOM_TLS_CERT / SEALROOM_TLS_KEY).' };
  }
  return { kind: 'run', options, ...(tlsCertFile !== undefined ? { tlsCertFile: tlsCertFile.trim(), tlsKeyFile: tlsKeyFile!.trim() } : {}) };
}

/**
 * The command line keeps rooms in a data directory unless told otherwise: `--redis` shares
 * them through Redis, `--memory` keeps them in memory (both win over a data directory, so
 * an image that sets SEALROOM_DATA_DIR still runs over Redis when given a URL), and
 * without `--data-dir` the directory is ./sealroom-data.
 */
export function withDefaultDataDir(options: RelayOptions, cwd: string): RelayOptions {
  const { dataDir, ...rest } = options;
  if (options.redis !== undefined || options.memory === true) return rest;
  return { ...rest, dataDir: resolve(cwd, dataDir ?? DEFAULT_DATA_DIR) };
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * The `sealroom-relay` command. Prints one "listening" line to stdout; logs go to
 * stderr. SIGTERM/SIGINT close every client with 1001 and exit 0; SIGHUP reads the TLS
 * files and the web app again. Exit codes: exit-codes.ts.
 */
export async function main(argv: readonly string[]): Promise<void> {
  const parsed = parseRelayArgs(argv, process.env, helpWidth(process.stdout));
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text);
    return;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`sealroom-relay: ${parsed.message}\n`);
    process.exitCode = ExitCode.USAGE;
    return;
  }
  const options: RelayOptions = withDefaultDataDir(parsed.options, process.cwd());
  const tls: TlsFiles | undefined =
    parsed.tlsCertFile !== undefined && parsed.tlsKeyFile !== undefined ? { certFile: parsed.tlsCertFile, keyFile: parsed.tlsKeyFile } : undefined;
  if (tls !== undefined) {
    const read = await readTlsFiles(tls);
    if (!read.ok) {
      process.stderr.write(`sealroom-relay: ${read.message}\n`);
      process.exitCode = ExitCode.USAGE;
      return;
    }
    options.tls = read.credentials;
  }
  let relay: RunningRelay;
  try {
    relay = await startRelay(options);
  } catch (err) {
    process.stderr.write(`sealroom-relay: ${errorMessage(err)}\n`);
    process.exitCode = err instanceof RelayStartError ? ExitCode.CANNOT_START : ExitCode.FAILURE;
    return;
  }
  const log = createLogger(options.logLevel ?? 'info', (line) => process.stderr.write(line));
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info('shutdown', { signal });
    relay.close().then(
      () => process.exit(ExitCode.OK),
      () => process.exit(ExitCode.FAILURE),
    );
  };
  // The handlers go in before the "listening" line: a supervisor may signal as soon as it
  // reads it, and until a handler exists a signal has its default effect (ending the process).
  // `on`, not `once`: a second signal while closing (a process group signalled, then the
  // relay itself) must not fall back to Node's default and cut the shutdown short.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // SIGHUP no longer ends the process (Node's default): it reloads, as daemons do.
  process.on('SIGHUP', () => {
    if (stopping) return;
    reload(relay, tls, log).catch((err: unknown) => log.error('reload_failed', { message: errorMessage(err) }));
  });
  process.stdout.write(`Sealroom relay listening on ${relay.url} (WebSocket ${relay.wsUrl})\n`);
}

/** What SIGHUP does: the web app directory always, the TLS pair when the relay has one. */
async function reload(relay: RunningRelay, tls: TlsFiles | undefined, log: Logger): Promise<void> {
  let credentials;
  if (tls !== undefined) {
    const read = await readTlsFiles(tls);
    // A pair that cannot be read now (a renewal half-written) leaves the running one alone.
    if (!read.ok) log.error('tls_reload_failed', { code: read.code, message: read.message });
    else credentials = read.credentials;
  }
  const result = await relay.reload(credentials !== undefined ? { tls: credentials } : {});
  if (!result.ok) log.error('tls_reload_failed', { code: result.code, message: result.message });
  log.info('reloaded', { tls: credentials !== undefined && result.ok });
}
