// DESIGN.md §3.8, "verify before showing": a relay (or network) that flips a bit in an
// envelope must not get anything shown or saved. Erin's browser talks to the real relay
// through a WebSocket route that can corrupt what the relay delivers to her.
import { readFile } from 'node:fs/promises';
import { type Browser, expect, test, type TestInfo } from '@playwright/test';
import { createIdentity, createRoom, expectCleanPage, message, newPerson, type Person, screenshot, send } from './support.js';

/** Binary relay frames: version 2, then kind 0x02 = DELIVER (docs/PROTOCOL.md Part A). */
const WIRE_VERSION = 2;
const FRAME_DELIVER = 0x02;
/** File chunks travel in envelopes far above this; chat messages and presence stay below. */
const FILE_CHUNK_MIN_BYTES = 16 * 1024;

interface Tamper {
  /** Alter the next `count` delivered envelopes larger than `largerThan` bytes. */
  arm(count: number, largerThan?: number): void;
  /** Envelopes altered so far. */
  altered(): number;
}

/** Dave and Erin in a fresh room; Erin's socket runs through the tampering route. */
async function tamperingPair(browser: Browser, testInfo: TestInfo): Promise<{ dave: Person; erin: Person; tamper: Tamper }> {
  const dave = await newPerson(browser, 'Dave', testInfo);
  const erin = await newPerson(browser, 'Erin', testInfo);
  let budget = 0;
  let threshold = 0;
  let altered = 0;
  await erin.context.routeWebSocket(/\/ws$/u, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((msg) => server.send(msg));
    server.onMessage((msg) => {
      if (budget > 0 && typeof msg !== 'string' && msg[0] === WIRE_VERSION && msg[1] === FRAME_DELIVER && msg.length > threshold) {
        budget -= 1;
        altered += 1;
        const copy = Buffer.from(msg);
        // Flip one bit in the envelope's last byte (inside the tag or the signature).
        copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0x01;
        ws.send(copy);
        return;
      }
      ws.send(msg);
    });
  });
  await dave.page.goto('/');
  await createIdentity(dave.page, 'Dave');
  const invite = await createRoom(dave.page, 'Tamper test');
  await erin.page.goto(invite);
  await createIdentity(erin.page, 'Erin');
  await expect(erin.page.locator('#room-title')).toHaveText('Tamper test', { timeout: 30_000 });
  // Opening the link only knocks: Erin is in once Dave's client let her in.
  await expect(erin.page.getByTestId('composer')).toBeEnabled({ timeout: 30_000 });
  await send(dave.page, 'Before anything is touched.');
  await expect(message(erin.page, 'Before anything is touched.')).toBeVisible();
  return {
    dave,
    erin,
    tamper: {
      arm: (count, largerThan = 0) => {
        budget = count;
        threshold = largerThan;
      },
      altered: () => altered,
    },
  };
}

test('an envelope altered in transit shows as a warning, never as a message, and the session goes on', async ({ browser }, testInfo) => {
  const { dave, erin, tamper } = await tamperingPair(browser, testInfo);

  // Alter everything delivered to Erin while Dave sends one message.
  tamper.arm(Number.POSITIVE_INFINITY);
  await send(dave.page, 'This one is altered on the way.');
  await expect(message(dave.page, 'This one is altered on the way.')).toHaveAttribute('data-state', 'sent');
  await expect(erin.page.getByTestId('warning-line').first()).toBeVisible({ timeout: 30_000 });
  tamper.arm(0);
  expect(tamper.altered()).toBeGreaterThan(0);
  await expect(erin.page.getByTestId('warning-line').first()).toContainText('failed its security check');
  await expect(erin.page.getByText('This one is altered on the way.')).toHaveCount(0);

  await send(dave.page, 'After the tampering stopped.');
  await expect(message(erin.page, 'After the tampering stopped.')).toBeVisible({ timeout: 30_000 });
  await expect(erin.page.getByText('This one is altered on the way.')).toHaveCount(0);
  await screenshot(erin.page, testInfo, 'tampered-warning-desktop');

  expectCleanPage(dave);
  expectCleanPage(erin);
  await dave.context.close();
  await erin.context.close();
});

test('one file chunk altered in transit is dropped with a warning, and the file still arrives intact', async ({ browser }, testInfo) => {
  /** Long enough for a 1 MiB transfer here many times over. */
  const TRANSFER_WAIT_MS = 20_000;
  const { dave, erin, tamper } = await tamperingPair(browser, testInfo);
  const bytes = Buffer.alloc(1024 * 1024 + 17);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 31 + 7) & 0xff;
  await dave.page.getByTestId('file-input').setInputFiles({ name: 'report.pdf', mimeType: 'application/pdf', buffer: bytes });
  const card = erin.page.getByTestId('file-card').filter({ hasText: 'report.pdf' });
  await expect(card).toBeVisible({ timeout: 30_000 });

  tamper.arm(1, FILE_CHUNK_MIN_BYTES);
  const download = erin.page.waitForEvent('download', { timeout: TRANSFER_WAIT_MS });
  await card.getByRole('button', { name: 'Accept and save' }).click();
  await expect(erin.page.getByTestId('warning-line')).toHaveCount(1, { timeout: TRANSFER_WAIT_MS });
  expect(tamper.altered()).toBe(1);
  const saved = await download;
  const path = testInfo.outputPath('report.pdf');
  await saved.saveAs(path);
  expect(Buffer.compare(await readFile(path), bytes)).toBe(0);
  await expect(card.getByTestId('file-complete')).toBeVisible();

  expectCleanPage(dave);
  expectCleanPage(erin);
  await dave.context.close();
  await erin.context.close();
});
