// Journey 6's hard case: a member away longer than the relay keeps envelopes sees plainly
// where the gap is. This test runs its own relay process with a tiny retention log.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { createIdentity, createRoom, expectCleanPage, message, newPerson, type Person, send, unlock, watch } from './support.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Envelopes the relay keeps per room: far fewer than are sent while Bob is away. */
const RETENTION_COUNT = 4;
const SENT_WHILE_AWAY = 12;
/** How long the relay may take to say where it listens, in ms. */
const RELAY_START_MS = 15_000;

let relay: ChildProcess | undefined;
let origin = '';

test.beforeAll(async () => {
  relay = spawn(
    process.execPath,
    [
      join(ROOT, 'packages/relay/bin/sealroom-relay.js'),
      // This test restarts nothing: a relay in memory leaves nothing behind.
      '--memory',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--log-level',
      'warn',
      '--retention-count',
      String(RETENTION_COUNT),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('relay did not start')), RELAY_START_MS);
    let out = '';
    relay?.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/u.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(new URL(match[1]).origin);
      }
    });
    relay?.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
  });
});

test.afterAll(() => {
  relay?.kill('SIGTERM');
});

test.describe.configure({ mode: 'serial' });

let alice: Person;
let bob: Person;

test.afterAll(async () => {
  for (const p of [alice, bob]) {
    if (!p) continue;
    expectCleanPage(p);
    await p.context.close().catch(() => undefined);
  }
});

test('a member away longer than the relay keeps messages sees plainly where the gap is', async ({ browser }, testInfo) => {
  alice = await newPerson(browser, 'Alice', testInfo, { origin });
  bob = await newPerson(browser, 'Bob', testInfo, { origin });
  await alice.page.goto('/');
  await createIdentity(alice.page, 'Alice');
  const invite = await createRoom(alice.page, 'Short memory');
  await bob.page.goto(invite);
  await createIdentity(bob.page, 'Bob');
  await expect(bob.page.locator('#room-title')).toHaveText('Short memory', { timeout: 30_000 });
  // Opening the link only knocks; Bob is in once a member let him in (what is sent before
  // that is sealed from him by design).
  await expect(bob.page.getByTestId('composer')).toBeEnabled({ timeout: 30_000 });
  await send(alice.page, 'Before Bob goes away.');
  await expect(message(bob.page, 'Before Bob goes away.')).toBeVisible();

  await bob.page.close();
  for (let i = 1; i <= SENT_WHILE_AWAY; i += 1) await send(alice.page, `While Bob is away, ${i}.`);
  await expect(message(alice.page, `While Bob is away, ${SENT_WHILE_AWAY}.`)).toHaveAttribute('data-state', 'sent');

  bob.page = await bob.context.newPage();
  watch(bob, bob.page, origin);
  await bob.page.goto('/');
  await unlock(bob.page);
  await bob.page.getByTestId('room-link').filter({ hasText: 'Short memory' }).click();
  // The older ones are gone from the relay, and Bob is told where, plainly.
  await expect(bob.page.locator('.gap-line')).toContainText('no longer held by the relay', { timeout: 30_000 });
  await expect(bob.page.getByText('While Bob is away, 1.', { exact: true })).toHaveCount(0);
  await expect(message(bob.page, 'Before Bob goes away.')).toBeVisible();
});

test('after the gap the conversation carries on', async () => {
  /** Far longer than delivery takes here. */
  const DELIVERY_WAIT_MS = 15_000;
  await send(alice.page, 'After Bob is back.');
  await expect(message(bob.page, 'After Bob is back.')).toBeVisible({ timeout: DELIVERY_WAIT_MS });
  await send(bob.page, 'Bob answering after the gap.');
  await expect(message(alice.page, 'Bob answering after the gap.')).toBeVisible({ timeout: DELIVERY_WAIT_MS });
});
