// The rough edges a newcomer hit in the walk of issue 16, each checked where a person meets
// it: focus in the dialogs, the lines the timeline shows on creating and joining, presence
// for a newcomer, which of two Bobs is which, the private mode after sending, the receiver's
// percentage, the header while offline and the removal notice beside the composer. The tests
// run in order and share the people.
import { expect, type Page, test } from '@playwright/test';
import { createIdentity, expectCleanPage, message, newPerson, onboard, openMembers, type Person, send } from './support.js';

test.describe.configure({ mode: 'serial' });

const ROOM = 'Rough edges';
let alice: Person;
let bob: Person;
let otherBob: Person;
let invite = '';
/** The other Bob's fingerprint's first group, which tells the two apart. */
let otherBobPrefix = '';

test.beforeAll(async ({ browser }, testInfo) => {
  alice = await newPerson(browser, 'Alice', testInfo);
  bob = await newPerson(browser, 'Bob', testInfo);
  otherBob = await newPerson(browser, 'Bob (the other)', testInfo);
  await onboard(alice);
  await onboard(bob);
});

test.afterAll(async () => {
  for (const p of [alice, bob, otherBob]) {
    expectCleanPage(p);
    await p.context.close().catch(() => undefined);
  }
});

const roomMeta = (page: Page) => page.locator('.room-meta');

test('the New room dialog takes typing at once, Enter creates, and the composer has focus after the invite', async () => {
  const page = alice.page;
  await page.getByRole('button', { name: 'New room' }).first().click();
  const field = page.getByLabel('Room name');
  await expect(field).toBeFocused();
  // Typed text lands in the field and Enter submits the form (focus on ✕ lost the text and closed the dialog).
  await field.pressSequentially(ROOM);
  await field.press('Enter');
  const dialog = page.getByTestId('invite-dialog');
  await expect(dialog).toBeVisible();
  await expect(page.locator('#room-title')).toHaveText(ROOM);
  invite = await dialog.getByTestId('invite-link').inputValue();
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('composer')).toBeFocused();
  await expect(page.getByTestId('system-line').filter({ hasText: 'You created this room' })).toHaveCount(1);
});

test('the Join dialog takes the link at once and Enter joins; the newcomer is told it joined, and of no earlier messages', async () => {
  const page = bob.page;
  await page.getByRole('button', { name: 'Join with a link' }).first().click();
  const field = page.getByLabel('Invite link');
  await expect(field).toBeFocused();
  await field.fill(invite);
  await field.press('Enter');
  await expect(page.locator('#room-title')).toHaveText(ROOM, { timeout: 30_000 });
  await expect(page.getByTestId('system-line').filter({ hasText: /^You joined/u })).toHaveCount(1);
  // Nobody wrote before Bob joined: no line may claim earlier messages were sealed from him.
  await expect(page.getByTestId('system-line').filter({ hasText: /earlier messages? (was|were) sent/u })).toHaveCount(0);
  await expect(roomMeta(page)).toHaveText(/2 members · 2 online/u);
});

test('a private message leaves the composer in room mode again', async () => {
  const page = alice.page;
  await page.getByTestId('direct-target').selectOption({ label: 'Bob only (private)' });
  await send(page, 'Only for Bob.');
  await expect(message(bob.page, 'Only for Bob.')).toHaveAttribute('data-private', 'true');
  await expect(page.getByTestId('direct-target')).toHaveValue('');
  await expect(page.getByTestId('composer')).toHaveAttribute('placeholder', 'Write a message…');
});

test('the receiver of a file sees how far it is, as a percentage', async () => {
  await bob.page.evaluate(() => {
    const w = window as unknown as { receiving?: string[] };
    w.receiving = [];
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid="file-card"] label')) w.receiving?.push(el.textContent ?? '');
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  const bytes = Buffer.alloc(2 * 1024 * 1024, 7);
  await alice.page.getByTestId('file-input').setInputFiles({ name: 'notes.bin', mimeType: 'application/octet-stream', buffer: bytes });
  const card = bob.page.getByTestId('file-card').filter({ hasText: 'notes.bin' });
  const download = bob.page.waitForEvent('download');
  await card.getByRole('button', { name: 'Accept and save' }).click();
  await download;
  await expect(card.getByTestId('file-complete')).toBeVisible();
  const seen = await bob.page.evaluate(() => (window as unknown as { receiving?: string[] }).receiving ?? []);
  const labels = seen.filter((text) => text.startsWith('Receiving'));
  expect(labels.length).toBeGreaterThan(0);
  expect(labels.filter((text) => !/^Receiving \d+%/u.test(text))).toEqual([]);
});

test('a second Bob joining is told apart from the verified one: no key-change alarm, and the timeline says which Bob', async () => {
  // Alice verifies Bob.
  await openMembers(alice.page);
  await alice.page.getByRole('button', { name: 'Safety number with Bob' }).click();
  const safety = alice.page.getByTestId('safety-dialog');
  await safety.getByRole('button', { name: 'Mark Bob as verified' }).click();
  await safety.getByRole('button', { name: 'Close', exact: true }).click();

  await otherBob.page.goto(invite);
  await createIdentity(otherBob.page, 'Bob');
  await expect(otherBob.page.locator('#room-title')).toHaveText(ROOM, { timeout: 30_000 });
  // The newcomer learns at once who is online, not after everyone's next beat.
  await expect(roomMeta(otherBob.page)).toHaveText(/3 members · 3 online/u, { timeout: 10_000 });

  const alert = alice.page.getByTestId('trust-alert');
  await expect(alert).toHaveCount(1, { timeout: 30_000 });
  await expect(alert).toHaveAttribute('data-kind', 'name-clash');
  await expect(alert).toContainText('Another member is also called "Bob"');
  await expect(alert).not.toContainText('security key has changed');

  const fingerprintOf = async (page: Page) => {
    await page.getByRole('button', { name: 'Identity & backup' }).click();
    const fingerprint = (await page.getByTestId('my-fingerprint').textContent())?.trim() ?? '';
    await page.keyboard.press('Escape');
    return fingerprint.split(' ')[0] ?? '';
  };
  otherBobPrefix = await fingerprintOf(otherBob.page);
  const joined = alice.page.getByTestId('system-line').filter({ hasText: /joined$/u });
  await expect(joined.filter({ hasText: `Bob (${otherBobPrefix}` })).toHaveCount(1);
  await send(otherBob.page, 'I am a Bob too.');
  await expect(message(alice.page, 'I am a Bob too.')).toContainText(`Bob (${otherBobPrefix}`);
});

test('while the connection is down the header says so and claims nobody online', async () => {
  const page = bob.page;
  await expect(roomMeta(page)).toHaveText(/3 online/u);
  await page.evaluate(() => {
    const w = window as unknown as { __sockets?: WebSocket[]; __offline?: boolean };
    w.__offline = true;
    for (const socket of w.__sockets ?? []) socket.close();
  });
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', /offline|connecting/u);
  await expect(roomMeta(page)).toContainText('Offline — reconnecting…');
  await expect(roomMeta(page)).not.toContainText('online');
  await page.evaluate(() => {
    (window as unknown as { __offline?: boolean }).__offline = false;
  });
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'online', { timeout: 45_000 });
  await expect(roomMeta(page)).toHaveText(/3 online/u);
});

test('the notice of a removal never covers the composer', async () => {
  await openMembers(alice.page);
  const row = alice.page
    .getByTestId('member')
    .filter({ has: alice.page.getByTestId('fingerprint').filter({ hasText: new RegExp(`^${otherBobPrefix} `, 'u') }) });
  await row.getByRole('button', { name: 'Remove Bob from the room' }).click();
  await row.getByRole('button', { name: 'Remove Bob', exact: true }).click();
  const page = otherBob.page;
  await expect(page.getByTestId('removed-banner')).toBeVisible({ timeout: 30_000 });
  const toast = page.locator('.toast').filter({ hasText: 'You were removed' });
  await expect(toast).toBeVisible();
  const a = await toast.boundingBox();
  const b = await page.locator('.composer').boundingBox();
  expect(a && b).toBeTruthy();
  const overlap = a!.x < b!.x + b!.width && b!.x < a!.x + a!.width && a!.y < b!.y + b!.height && b!.y < a!.y + a!.height;
  expect(overlap, `toast ${JSON.stringify(a)} over composer ${JSON.stringify(b)}`).toBe(false);
});
