import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger } from './log.js';
import { DEFAULT_HOST, DEFAULT_PORT, type RelayOptions } from './options.js';
import { startRelay } from './relay.js';
import { FLAGS, parseValue } from './cli-flags.js';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
/** Conventional exit status for a command-line usage error. */
const EXIT_USAGE = 2;

type ParsedRelayArgs =
  | { readonly kind: 'run'; readonly options: RelayOptions; readonly tlsCertFile?: string; readonly tlsKeyFile?: string }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly message: string };

function helpText(): string {
  const lines = [
    'Usage: sealroom-relay [options]',
    '',
    'The Sealroom relay: forwards end-to-end encrypted envelopes it cannot read, and serves the',
    'web app. Every option can also be set with the environment variable shown; a flag wins.',
    `By default it listens on ${DEFAULT_HOST}:${DEFAULT_PORT} (this machine only). To expose it, run`,
    '--host 0.0.0.0 behind a TLS-terminating proxy, or give --tls-cert and --tls-key.',
    'Sizes take KiB/MiB/GiB suffixes; durations take ms/s/m/h/d.',
    '',
  ];
  for (const flag of FLAGS) {
    lines.push(`  --${flag.name} <value>`.padEnd(38) + `${flag.env}`);
    lines.push(`      ${flag.help}${flag.fallback !== undefined ? ` Default: ${flag.fallback}.` : ''}`);
  }
  lines.push('  --help, -h'.padEnd(38) + 'Show this help.');
  lines.push('  --version'.padEnd(38) + 'Print the version.');
  return `${lines.join('\n')}\n`;
}

/** Reads flags and their environment twins (a flag wins over its variable). */
export function parseRelayArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): ParsedRelayArgs {
  const spec: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  };
  for (const flag of FLAGS) spec[flag.name] = { type: 'string', ...(flag.kind === 'list' ? { multiple: true } : {}) };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: false }));
  } catch (err) {
    return { kind: 'error', message: `${err instanceof Error ? err.message : String(err)}\nRun with --help to see every option.` };
  }
  if (values.help === true) return { kind: 'help', text: helpText() };
  if (values.version === true) return { kind: 'version' };
  const options: RelayOptions = {};
  const raw = new Map<string, string | string[]>();
  for (const flag of FLAGS) {
    const fromFlag = values[flag.name] as string | string[] | undefined;
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

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * The `sealroom-relay` command. Prints one "listening" line to stdout; logs go to
 * stderr. SIGTERM/SIGINT close every client with 1001 and exit 0.
 */
export async function main(argv: readonly string[]): Promise<void> {
  const parsed = parseRelayArgs(argv);
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
    process.exitCode = EXIT_USAGE;
    return;
  }
  const options: RelayOptions = { ...parsed.options };
  if (parsed.tlsCertFile !== undefined && parsed.tlsKeyFile !== undefined) {
    try {
      options.tls = { cert: readFileSync(parsed.tlsCertFile, 'utf8'), key: readFileSync(parsed.tlsKeyFile, 'utf8') };
    } catch (err) {
      process.stderr.write(`sealroom-relay: cannot read the TLS certificate or key: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
  }
  let relay;
  try {
    relay = await startRelay(options);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`sealroom-relay: ${message}\n`);
    process.exitCode = EXIT_FAILURE;
    return;
  }
  process.stdout.write(`Sealroom relay listening on ${relay.url} (WebSocket ${relay.wsUrl})\n`);
  const log = createLogger(options.logLevel ?? 'info', (line) => process.stderr.write(line));
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info('shutdown', { signal });
    relay.close().then(
      () => process.exit(EXIT_OK),
      () => process.exit(EXIT_FAILURE),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
