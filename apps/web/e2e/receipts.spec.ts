// Receipts with three people, each in a browser context of their own: delivered to 2 of 2,
// read by both, the details on hover and by keyboard, and a reader who turned read receipts
// off (she is never listed as read, and sees nobody's reads of her own messages).
import { expect, type Page, test } from '@playwright/test';
import {
  createIdentity,
  createRoom,
  expectAccessible,
  expectCleanPage,
  message,
  newPerson,
  onboard,
  type Person,
  screenshot,
  send,
  unlock,
} from './support.js';

test.describe.configure({ mode: 'serial' });

const ROOM = 'Receipts';
let alice: Person;
let bob: Person;
let carol: Person;

/** The receipt mark of my message with this body. */
function mark(page: Page, text: string) {
  return message(page, text).getByTestId('receipt-mark');
}

test.beforeAll(async ({ browser }, testInfo) => {
  alice = await newPerson(browser, 'Alice', testInfo);
  bob = await newPerson(browser, 'Bob', testInfo);
  carol = await newPerson(browser, 'Carol', testInfo);
  await onboard(alice);
  const invite = await createRoom(alice.page, ROOM);
  for (const person of [bob, carol]) {
    await person.page.goto(invite);
    await createIdentity(person.page, person.name);
    await expect(person.page.locator('#room-title')).toHaveText(ROOM, { timeout: 30_000 });
  }
  await expect(alice.page.getByTestId('system-line').filter({ hasText: 'Carol joined' })).toHaveCount(1);
});

test.afterAll(async () => {
  for (const p of [alice, bob, carol]) {
    expectCleanPage(p);
    await p.context.close().catch(() => undefined);
  }
});

test('a message is delivered to 2 of 2 and read by both, with the details on hover, click and keyboard', async ({ browserName: _browserName }, testInfo) => {
  const text = 'Did the receipts reach you both?';
  await send(alice.page, text);
  // Bob and Carol have the room open: they receive it and read it.
  await expect(message(bob.page, text)).toBeVisible();
  await expect(message(carol.page, text)).toBeVisible();
  const receipt = mark(alice.page, text);
  await expect(receipt).toHaveAttribute('data-delivered', '2');
  await expect(receipt).toHaveAttribute('data-audience', '2');
  await expect(receipt).toHaveAttribute('data-read', '2');
  await expect(receipt).toHaveAttribute('data-level', 'read');
  await expect(receipt).toHaveText('✓✓');
  await expect(receipt).toHaveAccessibleName(/^Sent; delivered to 2 of 2, read by (Bob and Carol|Carol and Bob)$/u);

  // Hover shows who has it and who read it.
  await receipt.hover();
  const details = message(alice.page, text).getByTestId('receipt-details');
  await expect(details).toBeVisible();
  await expect(details).toContainText('Read by:');
  await expect(details).toContainText('Bob');
  await expect(details).toContainText('Carol');
  await expect(details).not.toContainText('Not delivered yet');
  await alice.page.mouse.move(0, 0);
  await expect(details).toBeHidden();

  // By keyboard: focus the mark, Enter opens the details, Escape closes them.
  await receipt.focus();
  await alice.page.keyboard.press('Enter');
  await expect(receipt).toHaveAttribute('aria-expanded', 'true');
  await expect(details).toBeVisible();
  await expectAccessible(alice.page, 'receipt details');
  await screenshot(alice.page, testInfo, 'receipts-desktop');
  await alice.page.keyboard.press('Escape');
  await expect(details).toBeHidden();
  await expect(receipt).toHaveAttribute('aria-expanded', 'false');
});

test('with read receipts off, Carol is delivered to but never listed as read, and sees no reads herself', async () => {
  // Carol turns read receipts off in her identity dialog; the choice survives a reload.
  await carol.page.getByRole('button', { name: 'Identity & backup' }).click();
  const account = carol.page.getByTestId('account-dialog');
  const toggle = account.getByLabel('Send read receipts');
  await expect(toggle).toBeChecked();
  await toggle.uncheck();
  await expect(toggle).not.toBeChecked();
  await account.getByRole('button', { name: 'Done' }).click();

  const text = 'Carol, you can keep your reading to yourself.';
  await send(alice.page, text);
  await expect(message(bob.page, text)).toBeVisible();
  await expect(message(carol.page, text)).toBeVisible();
  const receipt = mark(alice.page, text);
  // Delivery and reading travel in one batched receipt: Carol's delivery arriving means her
  // receipt for it has been counted, and it carried no read.
  await expect(receipt).toHaveAttribute('data-delivered', '2');
  await expect(receipt).toHaveAttribute('data-read', '1');
  await expect(receipt).toHaveAccessibleName('Sent; delivered to 2 of 2, read by Bob');
  await expect(receipt).toHaveAttribute('data-level', 'delivered');
  await receipt.click();
  const details = message(alice.page, text).getByTestId('receipt-details');
  await expect(details).toContainText('Read by: Bob');
  await expect(details).toContainText('Delivered, not read yet: Carol');
  await receipt.click();

  // Carol's own message: Alice and Bob read it, but Carol, with read receipts off, sees delivery only.
  const reply = 'Noted, thanks.';
  await send(carol.page, reply);
  await expect(message(alice.page, reply)).toBeVisible();
  await expect(message(bob.page, reply)).toBeVisible();
  const carolsMark = mark(carol.page, reply);
  await expect(carolsMark).toHaveAttribute('data-delivered', '2');
  await expect(carolsMark).toHaveAttribute('data-read', '0');
  await expect(carolsMark).toHaveAccessibleName('Sent; delivered to 2 of 2');

  // The setting is kept in this browser.
  await carol.page.reload();
  await unlock(carol.page);
  await expect(carol.page.locator('#room-title')).toHaveText(ROOM, { timeout: 30_000 });
  await carol.page.getByRole('button', { name: 'Identity & backup' }).click();
  await expect(carol.page.getByTestId('account-dialog').getByLabel('Send read receipts')).not.toBeChecked();
});
