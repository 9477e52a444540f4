import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { e2e, openPage, pageApi, screenshot, seriousA11yViolations, signUp } from '../browser';

async function send(page: Page, text: string) {
  await page.locator('#composer-input').fill(text);
  await page.locator('#composer-input').press('Enter');
  await page.locator('.message-assistant .reply-meta').last().waitFor({ timeout: 15_000 });
}

const memoryTexts = async (page: Page) =>
  (
    (await pageApi<{ body: { memories: { text: string }[] } }>(page, 'GET', '/api/memories')).body.memories ??
    []
  )
    .map((m) => m.text)
    .sort();

const memoryList = (page: Page) => page.getByRole('list', { name: 'What is remembered' });

export const memoryScenarios = () =>
  describe('memory and settings', () => {
    it('a chat teaches it a fact: "Memory updated" under the reply opens the list, where it is edited, deleted and forgotten', async () => {
      const { page, errors, close } = await openPage(e2e.browser);
      await signUp(page, e2e.stack.url);
      await send(page, "I'm vegetarian");

      // The extractor runs from the queue after the reply; the page reads the reply again soon after.
      const note = page
        .locator('.message-assistant')
        .last()
        .getByRole('link', { name: /^Memory updated/ });
      await note.waitFor({ timeout: 20_000 });
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'memory-updated-note');
      await note.click();
      await page.waitForURL((url) => url.pathname === '/settings' && url.hash === '#memory');
      await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
      const item = memoryList(page).getByRole('listitem').filter({ hasText: 'Is vegetarian' });
      await item.waitFor();
      expect(await item.textContent()).toContain('learned from a chat');
      // The note leads to this section, not to the top of the page.
      await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Memory');
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'settings-memory');

      // Edit it.
      await page.getByRole('button', { name: 'Edit “Is vegetarian”' }).click();
      await page.getByLabel('Edit memory').fill('Is vegan');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await memoryList(page).getByText('Is vegan', { exact: true }).waitFor();
      expect(await memoryList(page).getByRole('listitem').first().textContent()).toContain(
        'added or edited by you',
      );

      // Add one by hand; an empty one is refused with the server's sentence.
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.getByText('Write what should be remembered.').waitFor();
      await page.getByLabel('Add a memory').fill('Prefers metric units');
      await page.getByLabel('Kind').selectOption('preference');
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await memoryList(page).getByText('Prefers metric units', { exact: true }).waitFor();
      expect(await memoryTexts(page)).toEqual(['Is vegan', 'Prefers metric units']);

      // Delete one.
      await page.getByRole('button', { name: 'Delete “Is vegan”' }).click();
      await expect.poll(() => memoryList(page).getByRole('listitem').count()).toBe(1);
      expect(await memoryTexts(page)).toEqual(['Prefers metric units']);

      // Forget everything, after saying so in a dialog (Cancel first: nothing happens).
      await page.getByRole('button', { name: 'Forget everything' }).click();
      const dialog = page.getByRole('dialog', { name: 'Forget everything?' });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      expect(await memoryTexts(page)).toEqual(['Prefers metric units']);
      await page.getByRole('button', { name: 'Forget everything' }).click();
      await dialog.getByRole('button', { name: 'Forget everything' }).click();
      await page.getByText('Nothing is remembered about you.').waitFor();
      expect(await memoryTexts(page)).toEqual([]);
      expect(errors).toEqual([]);
      await close();
    });

    it('memory off stays off, and an incognito chat is neither remembered nor marked', async () => {
      const { page, errors, close } = await openPage(e2e.browser);
      await signUp(page, e2e.stack.url);

      // Incognito, chosen on the new chat before its first message.
      const incognito = page.getByRole('switch', { name: /^Incognito chat/ });
      await incognito.check();
      await send(page, "I'm a pilot");
      await page.getByRole('toolbar', { name: 'This chat' }).getByText('Incognito').waitFor();
      await e2e.stack.host.queues.waitIdle(10_000);
      const id = new URL(page.url()).pathname.split('/').pop()!;
      const detail = await pageApi<{ body: { messages: { role: string; memoryUpdated: boolean }[] } }>(
        page,
        'GET',
        `/api/conversations/${id}`,
      );
      expect(detail.body.messages.filter((m) => m.role === 'assistant').map((m) => m.memoryUpdated)).toEqual([
        false,
      ]);
      expect(await memoryTexts(page)).toEqual([]);

      // A new chat asks again: the switch is off.
      await page.getByRole('button', { name: 'New chat', exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/');
      expect(await page.getByRole('switch', { name: /^Incognito chat/ }).isChecked()).toBe(false);

      // Memory off, in settings: it stays off, and a new chat offers no incognito (nothing to leave out).
      await page.goto(`${e2e.stack.url}/settings`);
      const toggle = page.getByRole('switch', { name: 'Remember what I tell you' });
      await toggle.uncheck();
      await page.getByText(/^Memory is off/).waitFor();
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
      expect(await page.getByRole('switch', { name: 'Remember what I tell you' }).isChecked()).toBe(false);
      expect((await pageApi(page, 'GET', '/api/auth/session')).body.user.memoryEnabled).toBe(false);
      await page.goto(e2e.stack.url);
      await page.locator('#composer-input').waitFor();
      expect(await page.getByRole('switch', { name: /^Incognito chat/ }).count()).toBe(0);
      expect(errors).toEqual([]);
      await close();
    });

    it('the spending cap and low-balance warning: the server’s refusals under their fields, then saved', async () => {
      const { page, errors, close } = await openPage(e2e.browser);
      await signUp(page, e2e.stack.url);
      await page.goto(`${e2e.stack.url}/settings`);
      const cap = page.getByLabel('Monthly spending cap (credits)');
      const low = page.getByLabel('Warn me when my balance falls below (credits)');
      const save = page.getByRole('button', { name: 'Save spending settings' });
      expect(await cap.inputValue()).toBe('');
      expect(await low.inputValue()).toBe('');

      await cap.fill('-5');
      await low.fill('2.5');
      await save.click();
      const described = (field: typeof cap) =>
        field.evaluate((el) =>
          (el.getAttribute('aria-describedby') ?? '')
            .split(' ')
            .map((id) => document.getElementById(id)?.textContent ?? '')
            .join(' '),
        );
      await expect.poll(() => cap.getAttribute('aria-invalid')).toBe('true');
      expect(await described(cap)).toContain('The spending cap cannot be negative.');
      expect(await described(low)).toContain('The low-balance warning is a whole number of credits.');
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'settings-spending-errors');
      // Nothing was changed by the refused save.
      const before = (await pageApi(page, 'GET', '/api/auth/session')).body.user;
      expect([before.monthlySpendCapCredits, before.lowBalanceCredits]).toEqual([null, null]);

      await cap.fill('500000');
      await low.fill('20000');
      await save.click();
      await page.getByText('Saved.').waitFor();
      expect(await cap.getAttribute('aria-invalid')).toBeNull();
      await page.reload();
      await expect.poll(() => cap.inputValue()).toBe('500000');
      expect(await low.inputValue()).toBe('20000');
      const after = (await pageApi(page, 'GET', '/api/auth/session')).body.user;
      expect([after.monthlySpendCapCredits, after.lowBalanceCredits]).toEqual([500_000, 20_000]);

      // Emptied: no cap any more.
      await cap.fill('');
      await save.click();
      await page.getByText('Saved.').waitFor();
      expect((await pageApi(page, 'GET', '/api/auth/session')).body.user.monthlySpendCapCredits).toBeNull();
      expect(errors).toEqual([]);
      await close();
    });
  });
