// Shared helpers for the end-to-end tests: people (each a browser context of their own),
// the steps every journey repeats, and the page-security watchers (CSP violations,
// requests to any host but the relay) that every test asserts on at the end.
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, type BrowserContext, expect, type Page, type TestInfo } from '@playwright/test';

export const PASSWORD = 'orbit kettle saffron 19 marsh';
export const PHONE_VIEWPORT = { width: 375, height: 812 };
export const DESKTOP_VIEWPORT = { width: 1280, height: 800 };

export interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
  /** CSP violations and console errors about them, seen so far. */
  cspViolations: string[];
  /** Requests (HTTP or WebSocket) to any origin other than the relay's. */
  foreignRequests: string[];
  /** Dialogs (alert/confirm/prompt) that opened: hostile text must never open one. */
  dialogs: string[];
  /** Uncaught exceptions and unhandled rejections in the page. */
  pageErrors: string[];
}

/** The relay's origin, from the Playwright config's baseURL. */
export function relayOrigin(testInfo: TestInfo): string {
  const base = testInfo.project.use.baseURL;
  if (!base) throw new Error('playwright.config.ts must set use.baseURL');
  return new URL(base).origin;
}

function isAllowed(url: string, origin: string): boolean {
  if (url.startsWith('data:') || url.startsWith('blob:')) return true;
  const u = new URL(url);
  const o = new URL(origin);
  // The relay's own origin, over http or ws.
  return u.host === o.host && ['http:', 'ws:'].includes(u.protocol);
}

/** Watches a page for CSP violations, foreign requests and dialogs. */
export function watch(person: Person, page: Page, origin: string): void {
  page.on('console', (msg) => {
    if (/Content.Security.Policy|CSP violation/iu.test(msg.text())) person.cspViolations.push(msg.text());
  });
  page.on('request', (req) => {
    if (!isAllowed(req.url(), origin)) person.foreignRequests.push(req.url());
  });
  page.on('websocket', (ws) => {
    if (!isAllowed(ws.url(), origin)) person.foreignRequests.push(ws.url());
  });
  page.on('pageerror', (error) => person.pageErrors.push(error.message));
  page.on('dialog', (dialog) => {
    person.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
}

/** Reports violations as console errors, whatever the browser prints for them. */
export const CSP_REPORTER = `document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI);
});`;

/**
 * Test-only network switch (never shipped in the app): records every WebSocket, and
 * while \`window.__offline\` is true points new ones at a path of the relay that is no
 * WebSocket endpoint, so they fail as on a dead network (same origin: no CSP noise).
 */
export const OFFLINE_SWITCH = `(() => {
  const Real = window.WebSocket;
  const sockets = (window.__sockets = []);
  window.WebSocket = class extends Real {
    constructor(url, protocols) {
      super(window.__offline ? location.origin.replace(/^http/, 'ws') + '/offline-test-sink' : url, protocols);
      sockets.push(this);
    }
  };
})();`;

export async function newPerson(
  browser: Browser,
  name: string,
  testInfo: TestInfo,
  options: { viewport?: { width: number; height: number }; origin?: string } = {},
): Promise<Person> {
  const origin = options.origin ?? relayOrigin(testInfo);
  const context = await browser.newContext({
    baseURL: origin,
    viewport: options.viewport ?? DESKTOP_VIEWPORT,
    permissions: ['clipboard-read', 'clipboard-write'],
    acceptDownloads: true,
  });
  await context.addInitScript(CSP_REPORTER);
  await context.addInitScript(OFFLINE_SWITCH);
  const page = await context.newPage();
  const person: Person = { name, context, page, cspViolations: [], foreignRequests: [], dialogs: [], pageErrors: [] };
  watch(person, page, origin);
  return person;
}

/** A second tab or a reopened page for the same person. */
export async function reopen(person: Person, testInfo: TestInfo, path = '/'): Promise<Page> {
  const page = await person.context.newPage();
  watch(person, page, relayOrigin(testInfo));
  await page.goto(path);
  person.page = page;
  return page;
}

export function expectCleanPage(person: Person): void {
  expect(person.cspViolations, `${person.name}: CSP violations`).toEqual([]);
  expect(person.foreignRequests, `${person.name}: requests to other hosts`).toEqual([]);
  expect(person.dialogs, `${person.name}: dialogs opened`).toEqual([]);
  expect(person.pageErrors, `${person.name}: uncaught errors in the page`).toEqual([]);
}

export async function createIdentity(page: Page, name: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('Your name, as others will see it').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  const create = page.getByRole('button', { name: 'Create my identity' });
  await expect(create).toBeEnabled();
  await create.click();
  await expect(page.getByTestId('my-name')).toHaveText(name, { timeout: 30_000 });
}

export async function onboard(person: Person, path = '/'): Promise<void> {
  await person.page.goto(path);
  await createIdentity(person.page, person.name);
}

export async function unlock(page: Page, password = PASSWORD): Promise<void> {
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

/** Creates a room and returns its invite link, read back through the Copy button. */
export async function createRoom(page: Page, name: string): Promise<string> {
  await page.getByRole('button', { name: 'New room' }).first().click();
  await page.getByLabel('Room name').fill(name);
  await page.getByRole('button', { name: 'Create room' }).click();
  const dialog = page.getByTestId('invite-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('qr')).toBeVisible();
  await dialog.getByRole('button', { name: 'Copy link' }).click();
  await expect(dialog.getByText('Copied.')).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(await dialog.getByTestId('invite-link').inputValue());
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).toBeHidden();
  return copied;
}

/** The open room's invite link as its Invite dialog shows it now (removals and leaves reset it). */
export async function currentInvite(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
  const dialog = page.getByTestId('invite-dialog');
  await expect(dialog).toBeVisible();
  const link = await dialog.getByTestId('invite-link').inputValue();
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).toBeHidden();
  return link;
}

export async function openRoom(page: Page, name: string): Promise<void> {
  const title = page.locator('#room-title');
  if ((await title.count()) > 0 && (await title.textContent()) === name) return;
  await page.getByTestId('room-link').filter({ hasText: name }).click();
  await expect(title).toHaveText(name);
}

export async function send(page: Page, text: string): Promise<void> {
  const composer = page.getByTestId('composer');
  await composer.fill(text);
  await composer.press('Enter');
  await expect(composer).toHaveValue('');
}

/** The newest message bubble with exactly this body. */
export function message(page: Page, text: string) {
  return page.getByTestId('message').filter({ has: page.getByTestId('message-body').getByText(text, { exact: true }) });
}

export async function openMembers(page: Page): Promise<void> {
  const panel = page.getByTestId('members-panel');
  if (await panel.isVisible()) return;
  await page.getByRole('button', { name: 'Members', exact: true }).click();
  await expect(panel).toBeVisible();
}

/** axe-core on the current screen: no serious or critical violations. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    `accessibility of ${screen}`,
  ).toEqual([]);
}

export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), animations: 'disabled' });
}
