// The page side of the browser file figure, and the only file of the suite that knows the
// web app's screens: labels, buttons and test ids. The client and the app change in
// parallel with the benchmarks; when a screen changes, this file changes with it.
//
// The journey is the user's: Alice and Bob each make an identity in a browser context of
// their own, Alice creates a room and Bob joins by its invite link; Bob picks a file, Alice
// accepts and saves it, both see it complete. Times are taken inside the pages (wall clock,
// `performance.timeOrigin + performance.now()`), since a page busy with a transfer answers
// Playwright's polling late.
import { basename } from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';

/** Every step of the journey waits at most this long, ms (identity creation makes two RSA-3072 key pairs). */
const STEP_TIMEOUT_MS = 120_000;

/**
 * What the pages record, on `window.__benchFile`: when the offer showed up, when Accept was
 * clicked, when each side showed the file complete, and whether each side showed a
 * percentage and a speed while it ran.
 */
interface PageRecord {
  /** Name of the file being watched: only its card counts (earlier transfers stay on screen). */
  name?: string;
  offerShownAt?: number;
  acceptClickedAt?: number;
  completeAt?: number;
  sawPercent: boolean;
  sawSpeed: boolean;
  /** Bytes written into the save sink (the stubbed save picker), receiver side. */
  savedBytes: number;
}

/**
 * Installed in both pages before the app loads (as source text: a function would be
 * serialised with whatever helpers the TypeScript loader wrapped it in). It watches the
 * file cards, and stands in for the save dialog: the app streams a large file to disk
 * through the File System Access API (`showSaveFilePicker`), whose native dialog a
 * headless browser cannot show. The stand-in is the user choosing a place; the bytes are
 * counted and dropped, as a fast disk would take them.
 */
const RECORDER = `(() => {
  let record = { sawPercent: false, sawSpeed: false, savedBytes: 0 };
  const now = () => performance.timeOrigin + performance.now();
  window.__benchFile = record;
  window.__benchWatch = (name) => {
    record = { name, sawPercent: false, sawSpeed: false, savedBytes: 0 };
    window.__benchFile = record;
  };
  window.showSaveFilePicker = async () => ({
    createWritable: async () => new WritableStream({ write(chunk) { record.savedBytes += chunk.byteLength; } }),
  });
  const watched = (card) => card && record.name !== undefined && (card.textContent || '').includes(record.name);
  document.addEventListener('click', (event) => {
    const button = event.target && event.target.closest && event.target.closest('[data-testid="file-card"] button');
    if (button && watched(button.closest('[data-testid="file-card"]')) && /Accept/.test(button.textContent || '') && record.acceptClickedAt === undefined)
      record.acceptClickedAt = now();
  }, true);
  const scan = () => {
    for (const card of document.querySelectorAll('[data-testid="file-card"]')) {
      if (!watched(card)) continue;
      const text = card.textContent || '';
      if (record.offerShownAt === undefined && /Accept/.test(text)) record.offerShownAt = now();
      if (card.querySelector('[data-testid="file-progress"]')) {
        if (/\\d+\\s*%/.test(text)) record.sawPercent = true;
        if (/\\d\\s*[KMG]i?B\\/s/.test(text)) record.sawSpeed = true;
      }
      if (record.completeAt === undefined && card.querySelector('[data-testid="file-complete"]')) record.completeAt = now();
    }
  };
  document.addEventListener('DOMContentLoaded', () =>
    new MutationObserver(scan).observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true }));
})();`;

export interface Person {
  page: Page;
  /** The relay's http:// origin, which serves the app. */
  baseURL: string;
}

/** A person in `context` (the default context of a Chromium of their own), recording from the next page load. */
export async function newPerson(context: BrowserContext, baseURL: string): Promise<Person> {
  await context.addInitScript(RECORDER);
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  return { page, baseURL };
}

/** The same person again, after the harness let go of their browser and reached it anew. */
export function personAgain(context: BrowserContext, baseURL: string): Person {
  const page = context.pages().find((candidate) => candidate.url().startsWith(baseURL));
  if (page === undefined) throw new Error(`no page of ${baseURL} left in this browser`);
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  return { page, baseURL };
}

async function createIdentity(page: Page, name: string, password: string): Promise<void> {
  await page.getByLabel('Your name, as others will see it').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Create my identity' }).click();
  await page.getByTestId('my-name').waitFor({ state: 'visible' });
}

/** Alice makes an identity and a room; Bob makes one from the invite link and lands in the room. */
export async function meetInRoom(alice: Person, bob: Person, password: string): Promise<void> {
  await alice.page.goto(new URL('/', alice.baseURL).href);
  await createIdentity(alice.page, 'Alice', password);
  await alice.page.getByRole('button', { name: 'New room' }).first().click();
  await alice.page.getByLabel('Room name').fill('File bench');
  await alice.page.getByRole('button', { name: 'Create room' }).click();
  const dialog = alice.page.getByTestId('invite-dialog');
  const invite = await dialog.getByTestId('invite-link').inputValue();
  await dialog.getByRole('button', { name: 'Done' }).click();
  await bob.page.goto(invite);
  await createIdentity(bob.page, 'Bob', password);
  await bob.page.locator('#room-title').waitFor({ state: 'visible' });
  await alice.page.getByTestId('system-line').filter({ hasText: 'Bob joined' }).waitFor({ state: 'visible' });
}

export interface FileJourney {
  /** Wall-clock ms (page clocks) of each moment; `pickedAt` is the harness's. */
  pickedAt: number;
  offerShownAt: number;
  acceptClickedAt: number;
  receiverCompleteAt: number;
  senderCompleteAt: number;
  receiverSawPercent: boolean;
  senderSawPercent: boolean;
  receiverSawSpeed: boolean;
  senderSawSpeed: boolean;
}

/** What the harness needs while the file moves, without Playwright attached (browser-unwatched.ts). */
export interface Unwatched {
  /** Ends the harness's DevTools sessions with both browsers; the pages go on. */
  letGo(): Promise<void>;
  /** Evaluates an expression in a person's page over a session that enables nothing. */
  evaluate<T>(who: 'sender' | 'receiver', expression: string): Promise<T>;
  /** Picks `file` in the sender's file input that `selector` finds. */
  pickFile(selector: string, file: string): Promise<void>;
}

/** How often the harness reads the pages' records while the file moves, ms. */
const RECORD_POLL_MS = 250;
const RECORD_EXPRESSION = 'window.__benchFile';

/** Bytes Alice's page has saved so far: progress of a transfer that ran out of time. */
export async function savedBytes(unwatched: Unwatched): Promise<number> {
  return (await unwatched.evaluate<PageRecord>('receiver', RECORD_EXPRESSION)).savedBytes;
}

/**
 * The sender picks the file at `path` (its name must be new to the room); the receiver
 * accepts it as soon as the offer shows; then the harness lets go of both browsers and
 * reads their records until both pages show it complete. Throws when `timeoutMs` passes first.
 */
export async function sendFile(sender: Person, receiver: Person, path: string, timeoutMs: number, unwatched: Unwatched): Promise<FileJourney> {
  const name = basename(path);
  for (const page of [sender.page, receiver.page])
    await page.evaluate((watch) => (window as unknown as { __benchWatch(name: string): void }).__benchWatch(watch), name);
  const card = (page: Page) => page.getByTestId('file-card').filter({ hasText: name });
  const pickedAt = performance.timeOrigin + performance.now();
  await unwatched.pickFile('[data-testid="file-input"]', path);
  await card(receiver.page).getByRole('button', { name: 'Accept and save' }).click({ timeout: timeoutMs });
  await unwatched.letGo();
  const deadline = performance.now() + timeoutMs;
  let bob: PageRecord;
  let alice: PageRecord;
  for (;;) {
    [bob, alice] = await Promise.all([
      unwatched.evaluate<PageRecord>('sender', RECORD_EXPRESSION),
      unwatched.evaluate<PageRecord>('receiver', RECORD_EXPRESSION),
    ]);
    if (bob.completeAt !== undefined && alice.completeAt !== undefined) break;
    if (performance.now() > deadline) throw new Error(`the file was not complete on both sides within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, RECORD_POLL_MS));
  }
  if (alice.offerShownAt === undefined || alice.acceptClickedAt === undefined || alice.completeAt === undefined || bob.completeAt === undefined)
    throw new Error('the pages did not record every moment of the transfer');
  return {
    pickedAt,
    offerShownAt: alice.offerShownAt,
    acceptClickedAt: alice.acceptClickedAt,
    receiverCompleteAt: alice.completeAt,
    senderCompleteAt: bob.completeAt,
    receiverSawPercent: alice.sawPercent,
    senderSawPercent: bob.sawPercent,
    receiverSawSpeed: alice.sawSpeed,
    senderSawSpeed: bob.sawSpeed,
  };
}
