import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2e, openPage, pageApi, screenshot, signUp, type TestPage } from '../browser';

let tab: TestPage;
let page: Page;

const balance = () => page.locator('.balance').getAttribute('aria-label');

export const billingScenarios = () =>
  describe('credits in the browser', () => {
    beforeAll(async () => {
      tab = await openPage(e2e.browser);
      page = tab.page;
      await signUp(page, e2e.stack.url);
      // These scenarios follow what one reply costs; memory extraction after it is billed as usage
      // of its own (test/e2e/scenarios/memory.ts, test/integration/memories.test.ts).
      expect((await pageApi(page, 'PATCH', '/api/settings', { memoryEnabled: false })).status).toBe(200);
    });

    afterAll(() => tab?.close());

    it('buys a package through Checkout and comes back to a refreshed balance', async () => {
      expect(await balance()).toContain('Balance: 0 credits, $0.00');
      await page.locator('.balance').click();
      await page.getByRole('heading', { name: 'Buy credits', level: 1 }).waitFor();
      const buy = page.getByRole('button', { name: /^Buy Starter pack/ });
      await buy.waitFor();
      await screenshot(page, 'buy-credits');
      await buy.click();

      // The fake Stripe's hosted page, then back to /billing/success?session_id=….
      await page.waitForURL((url) => url.pathname.startsWith('/checkout/'));
      await page.getByRole('button', { name: /^Pay/ }).click();
      await page.waitForURL((url) => url.pathname === '/billing/success');
      await page.getByText('500,000 credits were added to your balance.').waitFor({ timeout: 15_000 });
      await expect.poll(balance).toContain('Balance: 500,000 credits, $5.00');
    });

    it('the cancel page says nothing was charged', async () => {
      await page.goto(`${e2e.stack.url}/billing/cancel`);
      await page.getByRole('heading', { name: 'Payment cancelled' }).waitFor();
      expect(await page.getByText('Nothing was charged.').isVisible()).toBe(true);
    });

    it('shows the price before sending, the cost of the reply after, and the spend on the usage page', async () => {
      await page.goto(e2e.stack.url);
      await page.getByRole('button', { name: /^Model:/ }).click();
      await page.getByRole('combobox', { name: 'Search models' }).fill('openai/gpt-4o-mini');
      const option = page
        .getByRole('option')
        .filter({ has: page.locator('.model-option-id', { hasText: /^openai\/gpt-4o-mini$/ }) });
      expect(await option.textContent()).toMatch(/credits\/M tokens/);
      expect(await option.textContent()).toMatch(/context/);
      await option.click();

      await page.locator('#composer-input').fill('What does this cost?');
      await expect.poll(() => page.locator('#composer-hint').textContent()).toMatch(/≈ [\d,]+ credits/);
      e2e.stack.upstream.script({ text: 'About this much. '.repeat(40) });
      await page.locator('#composer-input').press('Enter');
      const meta = page.locator('.message-assistant .reply-meta');
      await meta.waitFor({ timeout: 10_000 });
      const usage = (await meta.locator('.reply-usage').textContent()) ?? '';
      expect(usage).toMatch(/tokens · [\d,]+ credits? \(\$0\.\d+\)/);
      const charged = Number(/· ([\d,]+) credit/.exec(usage)?.[1]?.replace(/,/g, ''));
      expect(charged).toBeGreaterThan(0);
      // The balance in the header follows the reply.
      await expect.poll(balance).toContain(`Balance: ${(500_000 - charged).toLocaleString('en-US')} credits`);

      await page.getByRole('link', { name: 'Usage' }).click();
      await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
      await page.locator('.chart-plot').waitFor();
      const heights = await page
        .locator('.chart-bar')
        .evaluateAll((bars) => bars.map((b) => (b as HTMLElement).style.height));
      expect(heights).toHaveLength(30);
      expect(heights.at(-1)).toBe('100%');
      const row = page.getByRole('row', { name: /GPT-4o-mini/ }).first();
      expect(await row.textContent()).toContain(charged.toLocaleString('en-US'));
      await page.getByRole('cell', { name: 'Purchase' }).waitFor();
      await screenshot(page, 'usage');
      expect(tab.errors).toEqual([]);
    });
  });
