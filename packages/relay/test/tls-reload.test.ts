import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readTlsFiles } from '../src/tls-reload.js';
import { expectJoined, newRoom, TestClient } from './helpers/client.js';
import { spawnRelay, type RelayProcess } from './helpers/process.js';
import { useRelays } from './helpers/relay.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI_ENTRY = join(REPO, 'packages', 'relay', 'test', 'helpers', 'cli-entry.ts');

/** A self-signed certificate for localhost, made with the openssl command (node:crypto makes no X.509). */
function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', key, '-out', cert],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** The certificate a new TLS handshake with the relay is shown. */
function certificateOf(url: string): Promise<PeerCertificate> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), servername: 'localhost', rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('TLS certificate reload', () => {
  let dir: string;
  let first: { cert: string; key: string };
  let second: { cert: string; key: string };
  /** The files the relay is told about; the test copies a pair over them. */
  let live: { cert: string; key: string };
  const install = (pair: { cert: string; key: string }): void => {
    copyFileSync(pair.cert, live.cert);
    copyFileSync(pair.key, live.key);
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sealroom-tls-reload-'));
    first = selfSigned(dir, 'first');
    second = selfSigned(dir, 'second');
    live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('the relay process on SIGHUP', () => {
    let running: RelayProcess | undefined;
    const clients: TestClient[] = [];
    afterEach(() => {
      for (const client of clients.splice(0)) client.close();
      running?.child.kill('SIGKILL');
      running = undefined;
    });

    it('serves the new certificate to new connections and keeps the open ones', async () => {
      install(first);
      running = await spawnRelay(
        process.execPath,
        ['--import', 'tsx', CLI_ENTRY, '--memory', '--port', '0', '--log-level', 'info', '--tls-cert', live.cert, '--tls-key', live.key],
        { cwd: REPO },
      );
      const relay = running;
      expect(relay.url).toMatch(/^https:/);
      expect((await certificateOf(relay.url)).subject.CN).toBe('first');

      const room = newRoom();
      const before = await TestClient.connect(relay.wsUrl, { rejectUnauthorized: false });
      clients.push(before);
      expectJoined(await before.join(room));

      install(second);
      const reloaded = relay.nextStderr(/"event":"reloaded"/);
      relay.child.kill('SIGHUP');
      expect(JSON.parse(await reloaded)).toMatchObject({ level: 'info', tls: true });
      expect((await certificateOf(relay.url)).subject.CN).toBe('second');

      // The connection made under the first certificate is still open and still works, both ways.
      const after = await TestClient.connect(relay.wsUrl, { rejectUnauthorized: false });
      clients.push(after);
      expectJoined(await after.join(room));
      await before.publish(room, Buffer.from('sent on the old connection'));
      expect((await after.frame('deliver')).envelope.toString()).toBe('sent on the old connection');
      await after.publish(room, Buffer.from('sent on the new connection'));
      expect((await before.frame('deliver')).envelope.toString()).toBe('sent on the new connection');
      expect(relay.child.exitCode).toBeNull();
    });

    it('keeps the running certificate when the new files are not a usable pair', async () => {
      install(first);
      running = await spawnRelay(
        process.execPath,
        ['--import', 'tsx', CLI_ENTRY, '--memory', '--port', '0', '--log-level', 'info', '--tls-cert', live.cert, '--tls-key', live.key],
        { cwd: REPO },
      );
      const relay = running;
      // A renewal caught half-way: the new certificate beside the old key.
      copyFileSync(second.cert, live.cert);
      const refused = relay.nextStderr(/"event":"tls_reload_failed"/);
      const reloaded = relay.nextStderr(/"event":"reloaded"/);
      relay.child.kill('SIGHUP');
      expect(JSON.parse(await refused)).toMatchObject({ level: 'error', code: 'TLS_INVALID' });
      expect(JSON.parse(await reloaded)).toMatchObject({ tls: false });
      expect((await certificateOf(relay.url)).subject.CN).toBe('first');

      writeFileSync(live.key, 'not a key');
      rmSync(live.cert);
      const unreadable = relay.nextStderr(/"event":"tls_reload_failed"/);
      relay.child.kill('SIGHUP');
      expect(JSON.parse(await unreadable)).toMatchObject({ code: 'TLS_FILE_UNREADABLE' });
      expect((await certificateOf(relay.url)).subject.CN).toBe('first');
      expect(relay.child.exitCode).toBeNull();
    });
  });

  describe('readTlsFiles and RunningRelay.reload', () => {
    const { start } = useRelays();

    it('reads a matching pair, and names what is wrong with a bad one', async () => {
      const ok = await readTlsFiles({ certFile: first.cert, keyFile: first.key });
      expect(ok).toEqual({ ok: true, credentials: { cert: readFileSync(first.cert, 'utf8'), key: readFileSync(first.key, 'utf8') } });
      expect(await readTlsFiles({ certFile: first.cert, keyFile: second.key })).toMatchObject({ ok: false, code: 'TLS_INVALID' });
      expect(await readTlsFiles({ certFile: join(dir, 'missing.crt'), keyFile: first.key })).toMatchObject({ ok: false, code: 'TLS_FILE_UNREADABLE' });
    });

    it('refuses a certificate for a relay without TLS, and a mismatched pair, keeping what it serves', async () => {
      const plain = await start();
      const pair = (files: { cert: string; key: string }) => ({ cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') });
      expect(await plain.reload({ tls: pair(first) })).toMatchObject({ ok: false, code: 'TLS_NOT_ENABLED' });
      const secure = await start({ tls: pair(first) });
      expect(await secure.reload({ tls: { cert: pair(second).cert, key: pair(first).key } })).toMatchObject({ ok: false, code: 'TLS_INVALID' });
      expect((await certificateOf(secure.url)).subject.CN).toBe('first');
      expect(await secure.reload({ tls: pair(second) })).toEqual({ ok: true });
      expect((await certificateOf(secure.url)).subject.CN).toBe('second');
    });
  });
});
