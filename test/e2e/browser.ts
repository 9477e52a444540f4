/**
 * Real headless Chromium (the Debian package) driven by playwright-core, for the e2e tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import type { FakeIdentity } from '../../dev/fake-identity/server';
import type { Stack } from '../helpers/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(__dirname, 'screenshots');

/** The stack and browser every scenario shares, set up by app.test.ts before any scenario runs. */
export const e2e = {} as { stack: Stack; browser: Browser; google: FakeIdentity };

/** The client the offline Google provider knows the app as. */
export const GOOGLE_CLIENT = { id: 'e2e-google-client', secret: 'e2e-google-secret' } as const;

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface TestPage {
  page: Page;
  /** Uncaught exceptions in the page: a test ends by asserting there were none. */
  errors: string[];
  /** `alert`/`confirm`/`prompt` dialogs the page opened. */
  dialogs: string[];
  close: () => Promise<void>;
}

export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<TestPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  // A step that cannot happen fails with its locator named, well before the test's own timeout.
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { page, errors, dialogs, close: () => context.close() };
}

let seq = 0;
export const uniqueEmail = () => `e2e-${process.pid}-${Date.now()}-${++seq}@example.com`;

/** Signs up through the UI and waits for the chat screen. */
export async function signUp(page: Page, baseUrl: string, email = uniqueEmail()): Promise<string> {
  await page.goto(baseUrl);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('#composer-input').waitFor();
  return email;
}

/** Calls the API as the signed-in page (its cookies, its CSRF token). */
export async function pageApi<T = any>(page: Page, method: string, url: string, body?: unknown): Promise<T> {
  return page.evaluate(
    async ({ method, url, body }) => {
      const session = (await (await fetch('/api/auth/session')).json()) as { csrfToken: string };
      const res = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: res.status === 204 ? null : await res.json() };
    },
    { method, url, body },
  ) as Promise<T>;
}

let axe: string | undefined;
const axeSource = () => (axe ??= fs.readFileSync(require.resolve('axe-core'), 'utf8'));

/** axe-core in the page; returns the serious and critical violations, summarised. */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  // Colours measured halfway through a transition (the drawer sliding in) are not the page's.
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.effect?.getTiming().iterations === Infinity),
  );
  // Evaluated through the DevTools protocol: the app's CSP (script-src 'self') refuses an inline
  // <script>, and loosening it for the test would stop the test from checking the real headers.
  await page.evaluate(axeSource());
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: any[] }> } }
    ).axe;
    // Only violations are needed; computing passes too doubles the time.
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id as string,
      impact: v.impact as string,
      help: v.help as string,
      targets: (v.nodes as { target: string[] }[]).slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.join(', ')})`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}
