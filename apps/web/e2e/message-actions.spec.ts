// Reply, react, edit and delete for everyone (PROTOCOL C.11) with three people, each in a
// browser context of their own. The tests run in order and share the room.
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

const ROOM = 'Actions';
const ORIGINAL = 'Lunch at noon?';
const EDITED = 'Lunch at one?';
const REPLY = 'Yes, see you there';
/** Messages after the original, enough to scroll it out of view before a quote jumps back to it. */
const FILLER_MESSAGES = 24;
let alice: Person;
let bob: Person;
let carol: Person;

/** Scrolls the conversation to its start, where the older messages are (the list is virtualised). */
const scrollToStart = (page: Page) =>
  page.getByTestId('messages').evaluate((el) => {
    el.scrollTop = 0;
  });
/** Scrolls the conversation to its end (after a jump to an old message the list stays where it went). */
const scrollToEnd = (page: Page) =>
  page.getByTestId('messages').evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
const menuButton = (page: Page, body: string, name: string) => message(page, body).getByRole('button', { name, exact: true });

/** Brings the original into view the way a reader would: through the quote of the reply to it. */
async function showOriginal(person: Person): Promise<void> {
  await scrollToEnd(person.page);
  await message(person.page, REPLY).getByTestId('reply-quote').click();
  await expect(person.page.locator('.message-row[data-highlighted="true"]')).toHaveCount(1);
}

async function join(person: Person, invite: string): Promise<void> {
  await person.page.goto(invite);
  await createIdentity(person.page, person.name);
  await expect(person.page.locator('#room-title')).toHaveText(ROOM, { timeout: 30_000 });
}

test.beforeAll(async ({ browser }, testInfo) => {
  alice = await newPerson(browser, 'Alice', testInfo);
  bob = await newPerson(browser, 'Bob', testInfo);
  carol = await newPerson(browser, 'Carol', testInfo);
  await onboard(alice);
});

test.afterAll(async () => {
  for (const p of [alice, bob, carol]) {
    expectCleanPage(p);
    await p.context.close().catch(() => undefined);
  }
});

test('a reply quotes its original, and the quote jumps to it; one the reader never had says so', async () => {
  const invite = await createRoom(alice.page, ROOM);
  await join(bob, invite);
  // Sent only once Alice has seen each join: what she sends before it waits for her to catch up.
  await expect(alice.page.getByTestId('system-line').filter({ hasText: 'Bob joined' })).toHaveCount(1);
  await send(alice.page, 'Said before Carol came');
  await expect(message(bob.page, 'Said before Carol came')).toBeVisible();
  await join(carol, invite);
  await expect(alice.page.getByTestId('system-line').filter({ hasText: 'Carol joined' })).toHaveCount(1);

  await send(alice.page, ORIGINAL);
  for (const p of [bob, carol]) await expect(message(p.page, ORIGINAL)).toBeVisible();
  for (let i = 1; i <= FILLER_MESSAGES; i++) await send(alice.page, `filler ${i}`);
  for (const p of [bob, carol]) await expect(message(p.page, `filler ${FILLER_MESSAGES}`)).toBeVisible();

  // Bob answers the original; the composer says what he answers.
  await scrollToStart(bob.page);
  await menuButton(bob.page, ORIGINAL, 'Reply').click();
  await expect(bob.page.getByTestId('compose-context')).toContainText(`Replying to Alice`);
  await expect(bob.page.getByTestId('compose-context')).toContainText(ORIGINAL);
  await send(bob.page, REPLY);
  await expect(bob.page.getByTestId('compose-context')).toHaveCount(0);

  for (const p of [alice, bob, carol]) {
    const quote = message(p.page, REPLY).getByTestId('reply-quote');
    await expect(quote).toContainText(ORIGINAL);
    await expect(quote).toContainText(p === alice ? 'You' : 'Alice');
  }
  // The original is far above: the quote brings it into view, highlighted.
  await expect(message(carol.page, ORIGINAL)).not.toBeInViewport();
  await message(carol.page, REPLY).getByTestId('reply-quote').click();
  await expect(message(carol.page, ORIGINAL)).toBeInViewport();
  await expect(carol.page.locator('.message-row[data-highlighted="true"]')).toContainText(ORIGINAL);

  // A reply to what Carol never had (sent before she joined): shown plainly, nothing breaks.
  await scrollToStart(bob.page);
  await menuButton(bob.page, 'Said before Carol came', 'Reply').click();
  await send(bob.page, 'Replying to the old one');
  await expect(message(alice.page, 'Replying to the old one').getByTestId('reply-quote')).toContainText('Said before Carol came');
  await scrollToEnd(carol.page);
  await expect(message(carol.page, 'Replying to the old one').getByTestId('reply-quote')).toHaveText('Original message unavailable');
});

test('reactions show their count and who reacted; the same emoji again takes mine back', async () => {
  for (const p of [alice, bob, carol]) await showOriginal(p);
  await menuButton(bob.page, ORIGINAL, 'React').click();
  await message(bob.page, ORIGINAL).getByRole('button', { name: 'React with 👍' }).click();
  await menuButton(carol.page, ORIGINAL, 'React').click();
  await message(carol.page, ORIGINAL).getByRole('button', { name: 'React with 👍' }).click();
  // Any single emoji, typed.
  await menuButton(carol.page, ORIGINAL, 'React').click();
  await message(carol.page, ORIGINAL).getByLabel('Any other emoji').fill('🦄');
  await message(carol.page, ORIGINAL).getByRole('button', { name: 'Add', exact: true }).click();

  for (const p of [alice, bob, carol]) {
    const thumbs = message(p.page, ORIGINAL).locator('[data-testid="reaction"][data-emoji="👍"]');
    await expect(thumbs.locator('.reaction-count')).toHaveText('2');
    await expect(thumbs).toHaveAttribute('title', p === bob ? 'you and Carol' : p === carol ? 'Bob and you' : 'Bob and Carol');
    await expect(message(p.page, ORIGINAL).locator('[data-testid="reaction"][data-emoji="🦄"] .reaction-count')).toHaveText('1');
  }
  await screenshot(alice.page, test.info(), 'reactions-desktop');
  // Bob presses his 👍 again: it is taken back everywhere.
  await message(bob.page, ORIGINAL).locator('[data-testid="reaction"][data-emoji="👍"]').click();
  for (const p of [alice, bob, carol]) {
    const thumbs = message(p.page, ORIGINAL).locator('[data-testid="reaction"][data-emoji="👍"]');
    await expect(thumbs.locator('.reaction-count')).toHaveText('1');
    await expect(thumbs).toHaveAttribute('title', p === carol ? 'you' : 'Carol');
  }
  await expectAccessible(alice.page, 'a conversation with a reply and reactions');
});

test('Alice edits her message: everyone sees the new text marked edited, the quote follows', async () => {
  await expect(menuButton(bob.page, ORIGINAL, 'Edit')).toHaveCount(0);
  await menuButton(alice.page, ORIGINAL, 'Edit').click();
  const composer = alice.page.getByTestId('composer');
  await expect(composer).toHaveValue(ORIGINAL);
  await expect(alice.page.getByTestId('compose-context')).toContainText('Editing your message');
  await composer.fill(EDITED);
  await composer.press('Enter');
  for (const p of [alice, bob, carol]) {
    await expect(message(p.page, EDITED).getByTestId('edited')).toBeVisible();
    await expect(message(p.page, ORIGINAL)).toHaveCount(0);
  }
  for (const p of [alice, bob, carol]) {
    await scrollToEnd(p.page);
    await expect(message(p.page, REPLY).getByTestId('reply-quote')).toContainText(EDITED);
  }
});

test('Alice deletes her message for everyone: gone on all three, also after a reload', async () => {
  for (const p of [alice, bob, carol]) await showOriginal(p);
  await expect(menuButton(carol.page, EDITED, 'Delete')).toHaveCount(0);
  await menuButton(alice.page, EDITED, 'Delete').click();
  await menuButton(alice.page, EDITED, 'Delete for everyone').click();
  for (const p of [alice, bob, carol]) {
    await expect(p.page.getByTestId('message-deleted')).toHaveCount(1);
    await expect(p.page.getByTestId('messages').getByText(EDITED)).toHaveCount(0);
  }
  for (const p of [alice, bob, carol]) {
    await scrollToEnd(p.page);
    await expect(message(p.page, REPLY).getByTestId('reply-quote')).toContainText('Message deleted');
  }
  // What Bob's device stored is the tombstone, not the text.
  await bob.page.reload();
  await unlock(bob.page);
  await expect(message(bob.page, REPLY).getByTestId('reply-quote')).toContainText('Message deleted');
  await showOriginal(bob);
  await expect(bob.page.getByTestId('message-deleted')).toHaveCount(1);
  await expect(bob.page.getByTestId('messages').getByText(EDITED)).toHaveCount(0);
});
