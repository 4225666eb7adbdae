// Journey 1 and 11: first visit, unlock, lock, change password, backup and import.
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { createIdentity, expectAccessible, expectCleanPage, newPerson, PASSWORD, PHONE_VIEWPORT, screenshot, unlock } from './support.js';

test('onboarding shows key-generation progress; a wrong password says so and destroys nothing; lock and unlock', async ({ browser }, testInfo) => {
  const alice = await newPerson(browser, 'Alice', testInfo);
  const { page } = alice;
  const response = await page.goto('/');
  // The page is served under the relay's strict policy, so "no CSP violations" means something.
  const headers = response?.headers() ?? {};
  expect(headers['content-security-policy']).toContain("script-src 'self'");
  expect(headers['content-security-policy']).toContain("style-src 'self'");
  expect(headers['content-security-policy']).not.toContain('unsafe-inline');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['x-content-type-options']).toBe('nosniff');
  await expect(page.getByRole('heading', { name: 'Private group chat, sealed in your browser' })).toBeVisible();
  await expectAccessible(page, 'welcome');
  await screenshot(page, testInfo, 'welcome-desktop');

  // The strength meter rates with zxcvbn and holds the button back for weak passwords.
  await page.getByLabel('Your name, as others will see it').fill('Alice');
  await page.getByLabel('Password', { exact: true }).fill('password123');
  await page.getByLabel('Repeat the password').fill('password123');
  await expect(page.getByText(/Strength: (Very weak|Weak)/u)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create my identity' })).toBeDisabled();

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await expect(page.getByText(/Strength: (Strong|Very strong)/u)).toBeVisible();
  await page.getByRole('button', { name: 'Create my identity' }).click();
  // Key generation takes a second or more: the progress bar must be on screen meanwhile.
  await expect(page.locator('#keygen-progress')).toBeVisible();
  await expect(page.getByText(/Making your keys/u).first()).toBeVisible();
  await expect(page.getByTestId('my-name')).toHaveText('Alice', { timeout: 30_000 });
  await expect(page.getByRole('heading', { name: 'Start a private conversation' })).toBeVisible();
  await expectAccessible(page, 'empty room list');

  // Lock: back to the password screen; nothing of the session stays on screen.
  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Welcome back' })).toBeVisible();
  await expect(page.getByTestId('my-name')).toHaveCount(0);

  // A wrong password says so, and the right one still works afterwards.
  await unlock(page, 'not my password at all');
  await expect(page.getByRole('alert')).toContainText('That password is not right');
  await expectAccessible(page, 'unlock with error');
  await screenshot(page, testInfo, 'unlock-desktop');
  await unlock(page);
  await expect(page.getByTestId('my-name')).toHaveText('Alice');

  // A reload asks for the password again (keys never persist unwrapped).
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Welcome back' })).toBeVisible();
  await unlock(page);
  await expect(page.getByTestId('my-name')).toHaveText('Alice');
  expectCleanPage(alice);
  await alice.context.close();
});

test('change password, export a backup, import it in a fresh browser: same identity and fingerprint', async ({ browser }, testInfo) => {
  const alice = await newPerson(browser, 'Alice', testInfo);
  await alice.page.goto('/');
  await createIdentity(alice.page, 'Alice');
  const page = alice.page;

  await page.getByRole('button', { name: 'Identity & backup' }).click();
  const account = page.getByTestId('account-dialog');
  await expect(account).toBeVisible();
  const fingerprint = (await account.getByTestId('my-fingerprint').textContent())?.trim() ?? '';
  expect(fingerprint.length).toBeGreaterThan(10);
  await expectAccessible(page, 'identity dialog');

  // Change the password; the old one stops working, the new one works.
  const newPassword = 'lantern quarry velvet 73 hollow';
  await account.getByLabel('Current password', { exact: true }).fill(PASSWORD);
  await account.getByLabel('New password', { exact: true }).fill(newPassword);
  await expect(account.getByText(/Strength: (Strong|Very strong)/u)).toBeVisible();
  await account.getByRole('button', { name: 'Change password' }).click();
  await expect(account.getByText('Password changed.')).toBeVisible({ timeout: 20_000 });

  // Export under the new password.
  await account.getByLabel('Password for the backup (your current one)').fill(newPassword);
  const downloadPromise = page.waitForEvent('download');
  await account.getByRole('button', { name: 'Export backup file' }).click();
  const download = await downloadPromise;
  const backupPath = testInfo.outputPath('alice.sealroom-backup.json');
  await download.saveAs(backupPath);
  await expect(account.getByText('Backup saved.')).toBeVisible();
  const backup = await readFile(backupPath, 'utf8');
  expect(backup).not.toContain(newPassword);
  await account.getByRole('button', { name: 'Done' }).click();

  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  await unlock(page, PASSWORD);
  await expect(page.getByRole('alert')).toContainText('That password is not right');
  await unlock(page, newPassword);
  await expect(page.getByTestId('my-name')).toHaveText('Alice');

  // A fresh browser (own context, own IndexedDB), at phone width.
  const elsewhere = await newPerson(browser, 'Alice elsewhere', testInfo, { viewport: PHONE_VIEWPORT });
  await elsewhere.page.goto('/');
  await screenshot(elsewhere.page, testInfo, 'welcome-phone');
  await elsewhere.page.getByRole('button', { name: 'I have a backup file' }).click();
  await elsewhere.page.getByLabel('Backup file').setInputFiles(backupPath);
  await elsewhere.page.getByLabel('Backup password').fill('wrong wrong wrong');
  await elsewhere.page.getByRole('button', { name: 'Restore identity' }).click();
  await expect(elsewhere.page.getByRole('alert')).toContainText('That password is not right');
  await elsewhere.page.getByLabel('Backup password').fill(newPassword);
  await elsewhere.page.getByRole('button', { name: 'Restore identity' }).click();
  await expect(elsewhere.page.getByTestId('my-name')).toHaveText('Alice', { timeout: 30_000 });
  await elsewhere.page.getByRole('button', { name: 'Identity & backup' }).click();
  await expect(elsewhere.page.getByTestId('my-fingerprint')).toHaveText(fingerprint);

  expectCleanPage(alice);
  expectCleanPage(elsewhere);
  await alice.context.close();
  await elsewhere.context.close();
});
