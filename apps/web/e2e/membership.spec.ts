// Membership in the browser (issue 13): an admin removes a member and the invite link is
// reset, so the removed browser cannot come back with the link it still holds; a link that
// needs approval lets a newcomer only knock, and an admin lets her in from the room.
import { expect, test } from '@playwright/test';
import { createIdentity, createRoom, currentInvite, expectCleanPage, message, newPerson, onboard, openMembers, type Person, send } from './support.js';

test.describe.configure({ mode: 'serial' });

const ROOM = 'Board 7';
let alice: Person;
let mallory: Person;
let nina: Person;

test.beforeAll(async ({ browser }, testInfo) => {
  alice = await newPerson(browser, 'Alice', testInfo);
  mallory = await newPerson(browser, 'Mallory', testInfo);
  nina = await newPerson(browser, 'Nina', testInfo);
  await onboard(alice);
});

test.afterAll(async () => {
  for (const p of [alice, mallory, nina]) {
    expectCleanPage(p);
    await p.context.close().catch(() => undefined);
  }
});

test('an admin removes a member: the link is reset, and the removed browser cannot rejoin with the old link', async () => {
  const oldLink = await createRoom(alice.page, ROOM);
  await mallory.page.goto(oldLink);
  await createIdentity(mallory.page, 'Mallory');
  await expect(mallory.page.locator('#room-title')).toHaveText(ROOM, { timeout: 30_000 });
  await expect(mallory.page.getByTestId('composer')).toBeEnabled({ timeout: 30_000 });
  await expect(alice.page.getByTestId('system-line').filter({ hasText: 'Mallory joined' })).toHaveCount(1);

  // Who the admin is shows in the member list; only she can remove.
  await openMembers(alice.page);
  await expect(alice.page.getByTestId('member').filter({ hasText: 'Alice' })).toContainText('creator');
  await openMembers(mallory.page);
  await expect(mallory.page.getByRole('button', { name: /^Remove .* from the room$/u })).toHaveCount(0);

  const row = alice.page.getByTestId('member').filter({ hasText: 'Mallory' });
  await row.getByRole('button', { name: 'Remove Mallory from the room' }).click();
  await row.getByRole('button', { name: 'Remove Mallory', exact: true }).click();
  await expect(alice.page.getByTestId('member')).toHaveCount(1);
  await expect(alice.page.getByTestId('system-line').filter({ hasText: 'Mallory was removed' })).toContainText('the invite link was reset');
  await expect(mallory.page.getByTestId('removed-banner')).toBeVisible({ timeout: 30_000 });
  await expect(mallory.page.getByTestId('composer')).toBeDisabled();

  // The link Alice shares now is another one; the old one is what Mallory still holds.
  expect(await currentInvite(alice.page)).not.toBe(oldLink);
  // Pasted into the address bar of her open tab (only the fragment changes: no reload).
  await mallory.page.goto(oldLink);
  await expect(mallory.page.getByText('You were removed from this room, and this link cannot let you back in.')).toBeVisible({ timeout: 30_000 });
  await send(alice.page, 'Said after Mallory tried the old link.');
  await expect(message(alice.page, 'Said after Mallory tried the old link.')).toHaveAttribute('data-state', 'sent');
  await expect(mallory.page.getByText('Said after Mallory tried the old link.')).toHaveCount(0);
});

test('a link with approval: the newcomer knocks and waits, and an admin lets her in', async () => {
  await alice.page.getByRole('button', { name: 'Invite', exact: true }).click();
  const dialog = alice.page.getByTestId('invite-dialog');
  const before = await dialog.getByTestId('invite-link').inputValue();
  const form = dialog.getByTestId('link-policy-form');
  await form.getByLabel('An admin approves each newcomer').check();
  await form.getByRole('button', { name: 'Reset the link' }).click();
  await expect(form.getByText('The invite link was reset: the old one no longer works.')).toBeVisible({ timeout: 30_000 });
  await expect(dialog.getByTestId('link-policy')).toContainText('an admin decides');
  const approvalLink = await dialog.getByTestId('invite-link').inputValue();
  expect(approvalLink).not.toBe(before);
  await dialog.getByRole('button', { name: 'Done' }).click();

  await nina.page.goto(approvalLink);
  await createIdentity(nina.page, 'Nina');
  await expect(nina.page.getByTestId('knocking')).toContainText('to let you in', { timeout: 30_000 });
  await expect(nina.page.getByTestId('composer')).toBeDisabled();

  const knock = alice.page.getByTestId('knock').filter({ hasText: 'Nina' });
  await expect(knock).toBeVisible({ timeout: 30_000 });
  await knock.getByRole('button', { name: 'Let Nina in' }).click();
  await expect(alice.page.getByTestId('knock')).toHaveCount(0, { timeout: 30_000 });
  await expect(nina.page.getByTestId('knocking')).toBeHidden({ timeout: 30_000 });
  await expect(nina.page.locator('#room-title')).toHaveText(ROOM);
  await expect(nina.page.getByTestId('composer')).toBeEnabled();

  await send(alice.page, 'Welcome in, Nina.');
  await expect(message(nina.page, 'Welcome in, Nina.')).toBeVisible();
  await send(nina.page, 'Thanks for letting me in.');
  await expect(message(alice.page, 'Thanks for letting me in.')).toBeVisible();

  // Alice makes Nina an admin: everyone sees who the admins are.
  await openMembers(alice.page);
  await alice.page.getByRole('button', { name: 'Make admin: Nina' }).click();
  await expect(nina.page.getByTestId('system-line').filter({ hasText: 'made Nina an admin' })).toBeVisible({ timeout: 30_000 });
  await openMembers(nina.page);
  await expect(nina.page.getByTestId('member').filter({ hasText: 'Nina' })).toContainText('admin');
});
