import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { e2e, openPage, screenshot, seriousA11yViolations, signUp, uniqueEmail } from '../browser';

const email = uniqueEmail();

const background = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
/** Relative luminance of an `rgb(r, g, b)` colour, 0 (black) to 1 (white). */
function luminance(rgb: string): number {
  const [r = 0, g = 0, b = 0] = (rgb.match(/\d+(\.\d+)?/g) ?? []).map(Number).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

async function chatWithOneReply(page: Page) {
  await signUp(page, e2e.stack.url, email);
  e2e.stack.upstream.script({
    text: 'Here is a **short** answer with a list:\n\n- one\n- two\n\n```python\nprint("hello")\n```',
  });
  await page.locator('#composer-input').fill('Give me a short answer');
  await page.locator('#composer-input').press('Enter');
  await page.locator('.message-assistant .reply-meta').waitFor({ timeout: 10_000 });
  await page.locator('.code-block .hljs-built_in, .code-block .hljs-string').first().waitFor();
  // The title request that follows a first reply would take the next scripted step: let it pass.
  await expect
    .poll(() => page.locator('.conversation-item.is-active .conversation-link').textContent(), {
      timeout: 15_000,
    })
    .not.toBe('New chat');
}

export const layoutScenarios = () =>
  describe('layout, themes and accessibility', () => {
    it('the sign-in screen has no serious accessibility problems', async () => {
      const { page, errors, close } = await openPage(e2e.browser);
      await page.goto(e2e.stack.url);
      await page.getByRole('heading', { name: 'Welcome back' }).waitFor();
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'sign-in');

      // Clear errors: a wrong password says so, in an alert.
      await page.getByLabel('Email').fill('nobody@example.com');
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('do not match an account');
      expect(errors).toEqual([]);
      await close();
    });

    it('the chat screen in light and dark, with the toggle remembered', async () => {
      const { page, errors, close } = await openPage(e2e.browser, { colorScheme: 'light' });
      await chatWithOneReply(page);
      expect(luminance(await background(page))).toBeGreaterThan(0.9);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'chat-light');

      await page.emulateMedia({ colorScheme: 'dark' });
      await expect.poll(async () => luminance(await background(page))).toBeLessThan(0.05);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'chat-dark');

      // The toggle pins the other theme, and the choice survives a reload.
      await page.getByRole('button', { name: 'Switch to light theme' }).click();
      await expect.poll(async () => luminance(await background(page))).toBeGreaterThan(0.9);
      await page.reload();
      await page.locator('.message-assistant').waitFor();
      expect(luminance(await background(page))).toBeGreaterThan(0.9);
      await page.getByRole('button', { name: 'Switch to dark theme' }).click();
      await expect.poll(async () => luminance(await background(page))).toBeLessThan(0.05);
      await page.emulateMedia({ colorScheme: 'light' });
      expect(luminance(await background(page))).toBeLessThan(0.05);
      expect(errors).toEqual([]);
      await close();
    });

    it('works at 390×844 with the sidebar as a drawer', async () => {
      const { page, errors, close } = await openPage(e2e.browser, {
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
        colorScheme: 'light',
      });
      await page.goto(e2e.stack.url);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('correct horse battery');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#composer-input').waitFor();

      const sidebar = page.locator('#sidebar');
      expect(await sidebar.isVisible()).toBe(false);
      // Nothing overflows sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

      const menu = page.getByRole('button', { name: 'Open conversations' });
      await menu.click();
      await expect.poll(() => sidebar.isVisible()).toBe(true);
      expect(await menu.getAttribute('aria-expanded')).toBe('true');
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'mobile-drawer');

      // Picking a conversation closes the drawer and opens it.
      await page.locator('.conversation-link').first().click();
      await expect.poll(() => sidebar.isVisible()).toBe(false);
      await page.locator('.message-assistant .reply-meta').waitFor();
      const box = await page.locator('.composer').boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
      await screenshot(page, 'mobile-chat');

      // Esc closes the drawer and gives focus back to the menu button.
      await menu.click();
      await expect.poll(() => sidebar.isVisible()).toBe(true);
      await page.keyboard.press('Escape');
      await expect.poll(() => sidebar.isVisible()).toBe(false);
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
        .toBe('Open conversations');
      expect(errors).toEqual([]);
      await close();
    });

    it('is usable from the keyboard: the skip link reaches the composer, the picker works with arrows', async () => {
      const { page, close } = await openPage(e2e.browser);
      await page.goto(e2e.stack.url);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('correct horse battery');
      await page.getByLabel('Password').press('Enter');
      await page.locator('#composer-input').waitFor();

      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to message box');
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('composer-input');

      await page.getByRole('button', { name: /^Model:/ }).focus();
      await page.keyboard.press('Enter');
      const search = page.getByRole('combobox', { name: 'Search models' });
      await expect.poll(() => search.evaluate((el) => el === document.activeElement)).toBe(true);
      await search.fill('llama 3.2 3b');
      await page.keyboard.press('ArrowDown');
      const active = await search.getAttribute('aria-activedescendant');
      expect(active).toBeTruthy();
      const chosen = await page.locator(`[id="${active}"] .model-option-name`).textContent();
      await page.keyboard.press('Enter');
      expect(await page.getByRole('button', { name: /^Model:/ }).textContent()).toContain(chosen ?? '?');
      expect(await page.evaluate(() => document.activeElement?.classList.contains('model-trigger'))).toBe(
        true,
      );
      await close();
    });
  });
