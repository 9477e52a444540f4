import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2e, openPage, screenshot, signUp, type TestPage } from '../browser';

let tab: TestPage;
let page: Page;

const composer = () => page.locator('#composer-input');
const sidebarItems = () => page.locator('.conversation-item');
const lastReply = () => page.locator('.message-assistant').last();
const replyText = async () => ((await lastReply().locator(':scope > .markdown').textContent()) ?? '').trim();
const words = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i} `);

async function pickModel(id: string) {
  await page.getByRole('button', { name: /^Model:/ }).click();
  const freeOnly = page.getByRole('group', { name: 'Show only' }).getByRole('button', { name: 'Free' });
  if ((await freeOnly.getAttribute('aria-pressed')) === 'true') await freeOnly.click();
  await page.getByRole('combobox', { name: 'Search models' }).fill(id);
  await page.getByRole('combobox', { name: 'Search models' }).press('Enter');
}

/** The first reply of a conversation is followed by a title request, which takes the next scripted step. */
async function waitForTitle() {
  await expect
    .poll(() => page.locator('.conversation-item.is-active .conversation-link').textContent(), {
      timeout: 15_000,
    })
    .not.toBe('New chat');
}

export const draftScenarios = () =>
  describe('drafts, refusals and the queue', () => {
    beforeAll(async () => {
      tab = await openPage(e2e.browser);
      page = tab.page;
      await signUp(page, e2e.stack.url);
    });

    afterAll(() => tab?.close());

    it('a new chat refused for credit leaves no sidebar entry; buying credits comes back to it with the draft', async () => {
      await pickModel('01-ai/yi-large');
      const question = 'A question worth paying for';
      await composer().fill(question);
      await composer().press('Enter');
      const notice = page.getByRole('alert').filter({ hasText: 'Not enough credits' });
      await notice.waitFor();

      // The conversation exists (it is in the URL) but nothing is listed, and the text is kept.
      await page.waitForURL(/\/c\/[^/]+$/);
      const chatUrl = new URL(page.url()).pathname;
      expect(await composer().inputValue()).toBe(question);
      expect(await sidebarItems().count()).toBe(0);
      expect(await page.locator('.user-bubble').count()).toBe(0);
      await page.reload();
      await composer().waitFor();
      await expect.poll(() => composer().inputValue()).toBe(question);
      expect(await sidebarItems().count()).toBe(0);

      // Buy from the banner: the failed send again, then Buy credits in the notice.
      await composer().press('Enter');
      await notice.waitFor();
      await notice.getByRole('link', { name: 'Buy credits' }).click();
      await page.getByRole('heading', { name: 'Buy credits', level: 1 }).waitFor();
      await page.getByRole('button', { name: /^Buy Starter pack/ }).click();
      await page.waitForURL((url) => url.pathname.startsWith('/checkout/'));
      await page.getByRole('button', { name: /^Pay/ }).click();
      await page.waitForURL((url) => url.pathname === '/billing/success');
      await page.getByText(/credits were added to your balance/).waitFor({ timeout: 15_000 });
      await page.getByRole('link', { name: 'Back to chat' }).last().click();

      await page.waitForURL((url) => url.pathname === chatUrl);
      await expect.poll(() => composer().inputValue()).toBe(question);
      await screenshot(page, 'draft-after-checkout');

      e2e.stack.upstream.script({ text: 'Worth every credit.' });
      await composer().press('Enter');
      await expect.poll(replyText, { timeout: 10_000 }).toBe('Worth every credit.');
      expect(new URL(page.url()).pathname).toBe(chatUrl);
      await expect.poll(() => sidebarItems().count()).toBe(1);
      expect(await composer().inputValue()).toBe('');
      await waitForTitle();
      expect(tab.errors).toEqual([]);
    });

    it('a message written and sent while a reply streams goes out when the reply ends', async () => {
      await page.getByRole('button', { name: 'New chat', exact: true }).click();
      e2e.stack.upstream.script({ chunks: words(30, 'slow'), chunkDelayMs: 100 });
      await composer().fill('First of two');
      await composer().press('Enter');
      await expect.poll(replyText, { timeout: 10_000 }).toContain('slow3');

      await composer().fill('Second of two');
      await composer().press('Enter');
      const queued = page.getByRole('list', { name: 'Queued messages' });
      await expect.poll(() => queued.textContent()).toContain('Second of two');
      expect(await composer().inputValue()).toBe('');
      // Still the first reply being written.
      expect(await page.locator('.user-bubble').count()).toBe(1);

      await expect.poll(() => page.locator('.user-bubble').count(), { timeout: 15_000 }).toBe(2);
      expect(await page.locator('.user-bubble').last().textContent()).toBe('Second of two');
      expect(await page.locator('.message-assistant').first().textContent()).toContain('slow29');
      await expect.poll(replyText, { timeout: 10_000 }).toContain('Echo: Second of two');
      await lastReply().locator('.reply-meta').waitFor({ timeout: 10_000 });
      expect(await queued.count()).toBe(0);
      await waitForTitle();
      expect(tab.errors).toEqual([]);
    });

    it('a message sent before the model list has loaded goes out once it has', async () => {
      await page.getByRole('button', { name: 'New chat', exact: true }).click();
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      await page.route('**/api/models', async (route) => {
        await held;
        await route.continue();
      });
      await page.reload();
      await composer().waitFor();
      await composer().fill('Sent early');
      await composer().press('Enter');
      await expect
        .poll(() => page.getByRole('list', { name: 'Queued messages' }).textContent())
        .toContain('Sent early');
      expect(await page.getByRole('alert').count()).toBe(0);

      release();
      await expect
        .poll(() => page.locator('.user-bubble').last().textContent(), { timeout: 10_000 })
        .toBe('Sent early');
      await expect.poll(replyText, { timeout: 10_000 }).toContain('Echo: Sent early');
      await page.unroute('**/api/models');
      await waitForTitle();
      expect(tab.errors).toEqual([]);
    });
  });
