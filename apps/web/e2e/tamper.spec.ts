// DESIGN.md §3.8, "verify before showing": a relay (or network) that flips a bit in an
// envelope must not get a message shown. Erin's browser talks to the real relay through
// a WebSocket route that can corrupt what the relay delivers to her.
import { expect, test } from '@playwright/test';
import { createIdentity, createRoom, expectCleanPage, message, newPerson, screenshot, send } from './support.js';

/** Binary relay frames: version 1, then kind 0x02 = DELIVER (docs/PROTOCOL.md Part A). */
const WIRE_VERSION = 1;
const FRAME_DELIVER = 0x02;

test('an envelope altered in transit shows as a warning, never as a message, and the session goes on', async ({ browser }, testInfo) => {
  const dave = await newPerson(browser, 'Dave', testInfo);
  const erin = await newPerson(browser, 'Erin', testInfo);
  let tamper = false;
  let tampered = 0;
  await erin.context.routeWebSocket(/\/ws$/u, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((msg) => server.send(msg));
    server.onMessage((msg) => {
      if (tamper && typeof msg !== 'string' && msg[0] === WIRE_VERSION && msg[1] === FRAME_DELIVER) {
        const copy = Buffer.from(msg);
        // Flip one bit in the envelope's last byte (inside the tag or the signature).
        copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0x01;
        tampered += 1;
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
  await send(dave.page, 'Before anything is touched.');
  await expect(message(erin.page, 'Before anything is touched.')).toBeVisible();

  tamper = true;
  await send(dave.page, 'This one is altered on the way.');
  await expect(message(dave.page, 'This one is altered on the way.')).toHaveAttribute('data-state', 'sent');
  await expect(erin.page.getByTestId('warning-line').first()).toBeVisible({ timeout: 30_000 });
  tamper = false;
  expect(tampered).toBeGreaterThan(0);
  await expect(erin.page.getByTestId('warning-line').first()).toContainText('failed its security check');
  await expect(erin.page.getByText('This one is altered on the way.')).toHaveCount(0);

  await send(dave.page, 'After the tampering stopped.');
  await expect(message(erin.page, 'After the tampering stopped.')).toBeVisible({ timeout: 30_000 });
  await screenshot(erin.page, testInfo, 'tampered-warning-desktop');
  await expect(erin.page.getByText('This one is altered on the way.')).toHaveCount(0);

  expectCleanPage(dave);
  expectCleanPage(erin);
  await dave.context.close();
  await erin.context.close();
});
