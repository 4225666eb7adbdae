// Issue 16: search over local history (another room's message found, opened and marked),
// and a backup that moves everything (a fresh browser gets the rooms, their history, and
// goes on receiving).
import { expect, test } from '@playwright/test';
import { createIdentity, createRoom, expectCleanPage, message, newPerson, openRoom, PASSWORD, send } from './support.js';

test('search finds a message in another room, case- and accent-insensitively, and jumps to it', async ({ browser }, testInfo) => {
  const alice = await newPerson(browser, 'Alice', testInfo);
  const page = alice.page;
  await page.goto('/');
  await createIdentity(page, 'Alice');

  await createRoom(page, 'Travel');
  await send(page, 'Meet at the Café Zürich at noon');
  // Enough after it that it is scrolled out of view.
  for (let i = 1; i <= 25; i++) await send(page, `filler line ${i}`);
  await createRoom(page, 'Chores');
  await send(page, 'buy milk');
  await expect(page.locator('#room-title')).toHaveText('Chores');

  // Ctrl+K opens search in the open room first: nothing there.
  await page.getByTestId('composer').press('Control+k');
  const dialog = page.getByTestId('search-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('search-input')).toBeFocused();
  await page.keyboard.type('cafe ZURICH');
  await expect(dialog.getByTestId('search-count')).toHaveText('No messages match.');
  await dialog.getByTestId('search-scope').selectOption({ label: 'In all rooms' });
  const result = dialog.getByTestId('search-result');
  await expect(result).toHaveCount(1);
  await expect(result).toContainText('Travel');
  await expect(result).toContainText('Alice');
  await expect(result.locator('mark')).toHaveText(['Café', 'Zürich']);

  // Arrow keys and Enter open it: the room, scrolled to the message, which is marked.
  await dialog.getByTestId('search-input').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(page.locator('#room-title')).toHaveText('Travel');
  const focused = page.locator('[data-focused="true"]');
  await expect(focused).toContainText('Meet at the Café Zürich at noon');
  await expect(focused).toBeInViewport();

  // "/" outside a text field opens it too, over every room when none is narrowed; Escape closes.
  await page.locator('#room-title').click();
  await page.keyboard.press('/');
  await expect(dialog).toBeVisible();
  // Every word must occur, anywhere: "2" is in lines 2, 12 and 20–25.
  await page.keyboard.type('FILLER 2');
  await expect(dialog.getByTestId('search-count')).toHaveText('8 messages match.');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  expectCleanPage(alice);
  await alice.context.close();
});

test('a backup with rooms restores them in a fresh browser, with history, which then receives new messages', async ({ browser }, testInfo) => {
  const alice = await newPerson(browser, 'Alice', testInfo);
  const bob = await newPerson(browser, 'Bob', testInfo);
  await alice.page.goto('/');
  await createIdentity(alice.page, 'Alice');
  const invite = await createRoom(alice.page, 'Moving day');
  await bob.page.goto(invite);
  await createIdentity(bob.page, 'Bob');
  await expect(bob.page.locator('#room-title')).toHaveText('Moving day', { timeout: 30_000 });
  await expect(alice.page.getByTestId('system-line').filter({ hasText: 'Bob joined' })).toHaveCount(1);
  await send(alice.page, 'boxes are packed');
  await expect(message(bob.page, 'boxes are packed')).toBeVisible();
  await send(bob.page, 'truck at nine');
  await expect(message(alice.page, 'truck at nine')).toBeVisible();

  // Export with history.
  await alice.page.getByRole('button', { name: 'Identity & backup' }).click();
  const account = alice.page.getByTestId('account-dialog');
  await expect(account.getByTestId('backup-history')).toBeChecked();
  await account.getByLabel('Password for the backup (your current one)').fill(PASSWORD);
  const downloadPromise = alice.page.waitForEvent('download');
  await account.getByRole('button', { name: 'Export backup file' }).click();
  const backupPath = testInfo.outputPath('alice-with-rooms.sealroom-backup.json');
  await (await downloadPromise).saveAs(backupPath);
  await expect(account.getByText('Backup saved.')).toBeVisible();
  await account.getByRole('button', { name: 'Done' }).click();

  // A fresh browser: own context, own IndexedDB.
  const elsewhere = await newPerson(browser, 'Alice elsewhere', testInfo);
  const page = elsewhere.page;
  await page.goto('/');
  await page.getByRole('button', { name: 'I have a backup file' }).click();
  await page.getByLabel('Backup file').setInputFiles(backupPath);
  await page.getByLabel('Backup password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Restore identity' }).click();
  await expect(page.getByTestId('my-name')).toHaveText('Alice', { timeout: 30_000 });
  await openRoom(page, 'Moving day');
  await expect(message(page, 'boxes are packed')).toBeVisible();
  await expect(message(page, 'truck at nine')).toBeVisible();

  // It reconnects and goes on: Bob's next message arrives, and what it sends reaches Bob.
  await send(bob.page, 'see you there');
  await expect(message(page, 'see you there')).toBeVisible({ timeout: 30_000 });
  await send(page, 'sent from the new browser');
  await expect(message(bob.page, 'sent from the new browser')).toBeVisible({ timeout: 30_000 });
  await expect(message(page, 'boxes are packed')).toHaveCount(1);

  for (const person of [alice, bob, elsewhere]) expectCleanPage(person);
  for (const person of [alice, bob, elsewhere]) await person.context.close();
});
