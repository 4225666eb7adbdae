import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { FLAG_GROUPS } from '../src/cli-flag.js';
import { FLAGS } from '../src/cli-flags.js';
import { formatHelp, helpWidth } from '../src/cli-help.js';
import { EXIT_CODES, ExitCode } from '../src/exit-codes.js';
import { withDefaultDataDir } from '../src/cli.js';
import { CloseCode, DEFAULT_LIMITS, parseRelayArgs } from '../src/index.js';
import { expectJoined, newRoom, TestClient } from './helpers/client.js';
import { spawnRelay, type RelayProcess } from './helpers/process.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI_ENTRY = join(REPO, 'packages', 'relay', 'test', 'helpers', 'cli-entry.ts');

const ALL_FLAGS = [
  ['host', 'SEALROOM_HOST'],
  ['port', 'SEALROOM_PORT'],
  ['tls-cert', 'SEALROOM_TLS_CERT'],
  ['tls-key', 'SEALROOM_TLS_KEY'],
  ['allowed-origin', 'SEALROOM_ALLOWED_ORIGINS'],
  ['connect-src', 'SEALROOM_CONNECT_SRC'],
  ['web-root', 'SEALROOM_WEB_ROOT'],
  ['redis', 'SEALROOM_REDIS_URL'],
  ['log-level', 'SEALROOM_LOG_LEVEL'],
  ['max-frame-bytes', 'SEALROOM_MAX_FRAME_BYTES'],
  ['max-rooms-per-connection', 'SEALROOM_MAX_ROOMS_PER_CONNECTION'],
  ['max-connections-per-address', 'SEALROOM_MAX_CONNECTIONS_PER_ADDRESS'],
  ['rate-messages', 'SEALROOM_RATE_MESSAGES'],
  ['burst-messages', 'SEALROOM_BURST_MESSAGES'],
  ['rate-bytes', 'SEALROOM_RATE_BYTES'],
  ['burst-bytes', 'SEALROOM_BURST_BYTES'],
  ['max-buffered-bytes', 'SEALROOM_MAX_BUFFERED_BYTES'],
  ['heartbeat', 'SEALROOM_HEARTBEAT'],
  ['handshake-timeout', 'SEALROOM_HANDSHAKE_TIMEOUT'],
  ['max-header-count', 'SEALROOM_MAX_HEADER_COUNT'],
  ['max-header-bytes', 'SEALROOM_MAX_HEADER_BYTES'],
  ['retention-count', 'SEALROOM_RETENTION_COUNT'],
  ['retention-bytes', 'SEALROOM_RETENTION_BYTES'],
  ['retention-age', 'SEALROOM_RETENTION_AGE'],
  ['retention-total-bytes', 'SEALROOM_RETENTION_TOTAL_BYTES'],
  ['idle-room', 'SEALROOM_IDLE_ROOM'],
  ['max-rooms', 'SEALROOM_MAX_ROOMS'],
  ['forgotten-room-memory', 'SEALROOM_FORGOTTEN_ROOM_MEMORY'],
  ['max-forgotten-rooms', 'SEALROOM_MAX_FORGOTTEN_ROOMS'],
  ['trust-proxy', 'SEALROOM_TRUST_PROXY'],
  ['data-dir', 'SEALROOM_DATA_DIR'],
  ['memory', 'SEALROOM_MEMORY'],
  ['data-sync', 'SEALROOM_DATA_SYNC'],
  ['batch-delay', 'SEALROOM_BATCH_DELAY'],
  ['history-rate-bytes', 'SEALROOM_HISTORY_RATE_BYTES'],
  ['history-burst-bytes', 'SEALROOM_HISTORY_BURST_BYTES'],
  ['history-rate-bytes-per-address', 'SEALROOM_HISTORY_RATE_BYTES_PER_ADDRESS'],
  ['history-burst-bytes-per-address', 'SEALROOM_HISTORY_BURST_BYTES_PER_ADDRESS'],
  ['registrations-per-minute', 'SEALROOM_REGISTRATIONS_PER_MINUTE'],
  ['registration-burst', 'SEALROOM_REGISTRATION_BURST'],
] as const;

/** How `--help` shows a flag: with its value placeholder, or bare for a switch. */
const shown = (flag: (typeof FLAGS)[number]): string => (flag.kind === 'switch' ? `--${flag.name}\n` : `--${flag.name} <`);

describe('parseRelayArgs', () => {
  it('gives no options by default (the relay applies its defaults)', () => {
    expect(parseRelayArgs([], {})).toEqual({ kind: 'run', options: {} });
  });

  it('reads flags, with units for sizes and durations', () => {
    const parsed = parseRelayArgs(
      [
        '--host',
        '0.0.0.0',
        '--port',
        '9000',
        '--allowed-origin',
        'https://a.example',
        '--allowed-origin',
        'https://b.example',
        '--max-frame-bytes',
        '512KiB',
        '--heartbeat',
        '10s',
        '--retention-age',
        '2d',
        '--retention-bytes',
        '1MiB',
        '--log-level',
        'warn',
        '--web-root',
        '/srv/web',
        '--connect-src',
        'wss://r.example',
        '--rate-messages',
        '50',
      ],
      {},
    );
    expect(parsed).toEqual({
      kind: 'run',
      options: {
        host: '0.0.0.0',
        port: 9000,
        allowedOrigins: ['https://a.example', 'https://b.example'],
        connectSrc: ['wss://r.example'],
        webRoot: '/srv/web',
        logLevel: 'warn',
        limits: { maxFrameBytes: 512 * 1024, heartbeatIntervalMs: 10_000, messagesPerSecond: 50 },
        retention: { maxAgeMs: 2 * 86_400_000, maxBytesPerRoom: 1024 * 1024 },
      },
    });
  });

  it('reads the environment twin of every flag; a flag wins', () => {
    const parsed = parseRelayArgs(['--port', '1234'], {
      SEALROOM_PORT: '4321',
      SEALROOM_HOST: '::1',
      SEALROOM_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      SEALROOM_REDIS_URL: 'redis://127.0.0.1:6379',
      SEALROOM_MAX_CONNECTIONS_PER_ADDRESS: '5',
      SEALROOM_TLS_CERT: '/c.pem',
      SEALROOM_TLS_KEY: '/k.pem',
    });
    expect(parsed).toEqual({
      kind: 'run',
      options: {
        host: '::1',
        port: 1234,
        allowedOrigins: ['https://a.example', 'https://b.example'],
        redis: 'redis://127.0.0.1:6379',
        limits: { maxConnectionsPerAddress: 5 },
      },
      tlsCertFile: '/c.pem',
      tlsKeyFile: '/k.pem',
    });
  });

  it('reads --batch-delay as a delay that may be none', () => {
    expect(parseRelayArgs(['--redis', 'redis://r:6379', '--batch-delay', '0'], {})).toEqual({
      kind: 'run',
      options: { redis: 'redis://r:6379', storage: { batchDelayMs: 0 } },
    });
    expect(parseRelayArgs(['--data-sync', 'normal'], { SEALROOM_BATCH_DELAY: '5ms' })).toEqual({
      kind: 'run',
      options: { storage: { synchronous: 'normal', batchDelayMs: 5 } },
    });
    // Durations elsewhere must be something: a heartbeat of 0 is still refused.
    expect(parseRelayArgs(['--heartbeat', '0'], {}).kind).toBe('error');
  });

  it('reads the storage flags: a data directory by default, --memory or --redis instead', () => {
    expect(withDefaultDataDir({}, '/srv/relay')).toEqual({ dataDir: '/srv/relay/sealroom-data' });
    const dir = parseRelayArgs(['--data-dir', 'state', '--data-sync', 'normal'], {});
    expect(dir).toEqual({ kind: 'run', options: { dataDir: 'state', storage: { synchronous: 'normal' } } });
    if (dir.kind === 'run') expect(withDefaultDataDir(dir.options, '/srv/relay')).toEqual({ dataDir: '/srv/relay/state', storage: { synchronous: 'normal' } });
    // --memory and --redis win over a data directory, from a flag or from the image's variable.
    const memory = parseRelayArgs(['--memory'], { SEALROOM_DATA_DIR: '/data' });
    expect(memory).toEqual({ kind: 'run', options: { dataDir: '/data', memory: true } });
    if (memory.kind === 'run') expect(withDefaultDataDir(memory.options, '/')).toEqual({ memory: true });
    const redis = parseRelayArgs([], { SEALROOM_DATA_DIR: '/data', SEALROOM_REDIS_URL: 'redis://127.0.0.1:6379' });
    if (redis.kind === 'run') expect(withDefaultDataDir(redis.options, '/')).toEqual({ redis: 'redis://127.0.0.1:6379' });
    expect(parseRelayArgs([], { SEALROOM_MEMORY: 'yes' })).toEqual({ kind: 'run', options: { memory: true } });
    expect(parseRelayArgs([], { SEALROOM_MEMORY: '0' })).toEqual({ kind: 'run', options: { memory: false } });
  });

  it('reads the budgets and the trusted proxies', () => {
    expect(
      parseRelayArgs(
        ['--history-rate-bytes', '1MiB', '--registrations-per-minute', '5', '--trust-proxy', '10.0.0.1', '--trust-proxy', 'fd00::/8,127.0.0.1'],
        {},
      ),
    ).toEqual({
      kind: 'run',
      options: { limits: { historyBytesPerSecond: 1024 * 1024, registrationsPerMinute: 5 }, trustProxy: ['10.0.0.1', 'fd00::/8', '127.0.0.1'] },
    });
  });

  it('refuses bad values with a message naming the flag and its variable', () => {
    for (const [args, pattern] of [
      [['--port', '70000'], /--port \(SEALROOM_PORT\)/],
      [['--port', 'abc'], /--port/],
      [['--max-frame-bytes', '1 parsec'], /--max-frame-bytes/],
      [['--heartbeat', '-5s'], /--heartbeat/],
      [['--log-level', 'loud'], /--log-level/],
      [['--tls-cert', 'x.pem'], /--tls-key/],
      [['--no-such-flag'], /no-such-flag/],
      [['--data-sync', 'sometimes'], /--data-sync \(SEALROOM_DATA_SYNC\): expected normal or full/],
      [['--batch-delay', 'soon'], /--batch-delay \(SEALROOM_BATCH_DELAY\): expected 0 or an amount like 1ms/],
      [['--trust-proxy', 'proxy.example'], /--trust-proxy \(SEALROOM_TRUST_PROXY\): "proxy.example" is not an IP address/],
      [['--trust-proxy', '10.0.0.0/33'], /--trust-proxy/],
    ] as const) {
      const parsed = parseRelayArgs([...args], {});
      expect(parsed.kind).toBe('error');
      if (parsed.kind === 'error') expect(parsed.message).toMatch(pattern);
    }
  });

  it('--help lists every flag with its environment twin and default', () => {
    const parsed = parseRelayArgs(['--help'], {});
    expect(parsed.kind).toBe('help');
    if (parsed.kind !== 'help') return;
    for (const [flag, env] of ALL_FLAGS) {
      expect(parsed.text).toContain(`--${flag}`);
      expect(parsed.text).toContain(env);
    }
    expect(parsed.text).toContain('0.0.0.0');
    expect(parsed.text).toContain(`Default: ${DEFAULT_LIMITS.maxFrameBytes / 1024 / 1024}MiB`);
  });
});

describe('--help', () => {
  const headings = Object.values(FLAG_GROUPS).map((title) => `${title}:`);

  it.each([80, 60, 100])('wraps every line to %i columns', (width) => {
    const text = formatHelp(width);
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(width);
    // Nothing is lost to the wrapping: every flag and variable is still there whole.
    for (const flag of FLAGS) {
      expect(text).toContain(shown(flag).trimEnd());
      expect(text).toContain(flag.env);
    }
  });

  it('is 80 columns when not a terminal, else the terminal width within 40..100', () => {
    expect(helpWidth({ isTTY: false, columns: 200 })).toBe(80);
    expect(helpWidth({})).toBe(80);
    expect(helpWidth({ isTTY: true, columns: 72 })).toBe(72);
    expect(helpWidth({ isTTY: true, columns: 300 })).toBe(100);
    expect(helpWidth({ isTTY: true, columns: 20 })).toBe(40);
    expect(helpWidth({ isTTY: true, columns: 0 })).toBe(80);
    expect(parseRelayArgs(['--help'], {})).toEqual({ kind: 'help', text: formatHelp(80) });
    expect(parseRelayArgs(['--help'], {}, 60)).toEqual({ kind: 'help', text: formatHelp(60) });
  });

  it('groups the flags under their sections, in order, and leaves empty sections out', () => {
    const lines = formatHelp(80).split('\n');
    const present = headings.filter((heading) => lines.includes(heading));
    expect(present.map((heading) => lines.indexOf(heading))).toEqual([...present.map((heading) => lines.indexOf(heading))].sort((a, b) => a - b));
    for (const [group, title] of Object.entries(FLAG_GROUPS)) {
      const flags = FLAGS.filter((flag) => flag.group === group);
      expect(lines.includes(`${title}:`), title).toBe(flags.length > 0);
      if (flags.length === 0) continue;
      const start = lines.indexOf(`${title}:`);
      const end = lines.indexOf('', start);
      const section = lines.slice(start, end).join('\n');
      for (const flag of flags) expect(`${section}\n`, `--${flag.name} under ${title}`).toMatch(new RegExp(`  ${shown(flag).replace('\n', '( |\n)')}`));
    }
    for (const expected of [
      'Network and the web app:',
      'TLS (HTTPS and WSS without a proxy):',
      'Limits (per connection and per address):',
      'Retention (what is kept for catch-up):',
      'Storage:',
      'Scale-out (several processes):',
      'Logging:',
    ]) {
      expect(lines).toContain(expected);
    }
  });

  it('documents the signals and every exit code', () => {
    const text = formatHelp(80);
    expect(text).toMatch(/^Signals:\n {2}SIGTERM, SIGINT/m);
    expect(text).toMatch(/^ {2}SIGHUP +Read the TLS certificate/m);
    const section = text.slice(text.indexOf('Exit codes:'));
    expect(EXIT_CODES.map(({ code }) => code)).toEqual([0, 1, 2, 3]);
    for (const { code, meaning } of EXIT_CODES) expect(section).toContain(`  ${code}  ${meaning.split(' ').slice(0, 3).join(' ')}`);
  });
});

describe('the relay process', () => {
  let running: RelayProcess | undefined;
  afterEach(() => {
    running?.child.kill('SIGKILL');
    running = undefined;
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('prints one listening line, and on %s closes every client with 1001 and exits 0', async (signal) => {
    running = await spawnRelay(process.execPath, ['--import', 'tsx', CLI_ENTRY, '--memory', '--port', '0', '--log-level', 'warn'], { cwd: REPO });
    expect(running.stdout).toHaveLength(1);
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const room = newRoom();
    const a = await TestClient.connect(running.wsUrl);
    const b = await TestClient.connect(running.wsUrl);
    expectJoined(await a.join(room));
    expectJoined(await b.join(room));
    running.child.kill(signal);
    const [closedA, closedB, exit] = await Promise.all([a.closed, b.closed, running.exited]);
    expect(closedA.code).toBe(CloseCode.GOING_AWAY);
    expect(closedB.code).toBe(CloseCode.GOING_AWAY);
    expect(exit).toEqual({ code: 0, signal: null });
    // Nothing secret in the logs: no room id.
    expect(running.stderr.join('\n')).not.toContain(room.key);
  });

  it('prints --help at 80 columns into a pipe', async () => {
    const { execFileSync } = await import('node:child_process');
    const text = execFileSync(process.execPath, ['--import', 'tsx', CLI_ENTRY, '--help'], { cwd: REPO, encoding: 'utf8' });
    expect(text).toBe(formatHelp(80));
  });

  it('exits 3 when it cannot listen (the port is taken)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      await expect(spawnRelay(process.execPath, ['--import', 'tsx', CLI_ENTRY, '--memory', '--port', String(port)], { cwd: REPO })).rejects.toThrow(
        new RegExp(`exited with ${ExitCode.CANNOT_START}.*cannot listen on 127\\.0\\.0\\.1:${port}`, 's'),
      );
    } finally {
      taken.close();
    }
  });

  it('exits 2 with a clear message on a bad flag', async () => {
    await expect(spawnRelay(process.execPath, ['--import', 'tsx', CLI_ENTRY, '--port', 'nope'], { cwd: REPO })).rejects.toThrow(
      /exited with 2.*--port \(SEALROOM_PORT\)/s,
    );
  });
});
