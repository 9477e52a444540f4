import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { e2e, openPage, screenshot, seriousA11yViolations, signUp } from '../browser';

/** A free model: e2e accounts have no credits. */
const MODEL = 'google/gemma-3-27b-it:free';

/** The chat request bodies the upstream received (title and memory-extraction requests left out). */
const chatRequests = () =>
  e2e.stack.upstream.requests
    .filter((r) => r.path.endsWith('/chat/completions') && r.body.response_format === undefined)
    .map(
      (r) =>
        r.body as {
          model: string;
          temperature?: number;
          max_tokens?: number;
          messages: { role: string; content: string }[];
        },
    )
    .filter((b) => b.messages.some((m) => m.role === 'user' && !m.content.includes('Write a short title')));

async function send(page: Page, text: string) {
  await page.locator('#composer-input').fill(text);
  await page.locator('#composer-input').press('Enter');
}

/** Waits for the reply to finish and its title to arrive (the title request takes a scripted step). */
async function replyAndTitle(page: Page) {
  await page.locator('.message-assistant .reply-meta').last().waitFor({ timeout: 15_000 });
  await expect
    .poll(() => page.locator('.conversation-item.is-active .conversation-link').textContent(), {
      timeout: 15_000,
    })
    .not.toBe('New chat');
}

export const featureScenarios = () =>
  describe('presets, shares, feedback, exports and shortcuts', () => {
    it('a preset made in settings starts a chat with its model, system prompt, temperature and length', async () => {
      const { page, errors, close } = await openPage(e2e.browser);
      await signUp(page, e2e.stack.url);
      await page.getByRole('link', { name: 'Settings', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
      // The starter presets are there for a new account.
      await page.getByRole('heading', { name: 'Quick answers' }).waitFor();

      const form = page.getByRole('region', { name: 'Presets' }).locator('form.preset-form').last();
      await form.getByLabel('Name').fill('Haiku poet');
      await form.getByLabel('Model').fill(MODEL);
      await form.getByLabel('System prompt').fill('Answer only in haiku.');
      await form.getByLabel('Temperature').fill('0.3');
      await form.getByLabel('Reply length').selectOption('500');
      await form.getByRole('button', { name: 'Create preset' }).click();
      await page.getByRole('heading', { name: 'Haiku poet' }).waitFor();
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'settings-presets');

      // New chat from the sidebar's preset menu.
      await page.getByRole('button', { name: 'New chat from preset' }).click();
      await page
        .locator('#preset-menu-list')
        .getByRole('button', { name: /Haiku poet/ })
        .click();
      await page.waitForURL(/\/c\/[^/]+$/);
      await expect
        .poll(() => page.getByRole('button', { name: /^Model:/ }).textContent())
        .toContain('Gemma 3 27B');

      // The chat's settings dialog shows what the preset set.
      await page.getByRole('button', { name: 'Chat settings' }).click();
      const dialog = page.getByRole('dialog', { name: 'Chat settings' });
      await expect.poll(() => dialog.getByLabel('System prompt').inputValue()).toBe('Answer only in haiku.');
      expect(await dialog.getByLabel('Temperature').inputValue()).toBe('0.3');
      expect(await dialog.getByLabel('Reply length').inputValue()).toBe('500');
      expect(await seriousA11yViolations(page)).toEqual([]);
      await dialog.getByRole('button', { name: 'Cancel' }).click();

      e2e.stack.upstream.reset();
      e2e.stack.upstream.script({ text: 'Old pond, frog jumps in' });
      await send(page, 'Write about a frog');
      await replyAndTitle(page);
      const sent = chatRequests()[0]!;
      expect(sent.model).toBe(MODEL);
      expect(sent.temperature).toBe(0.3);
      expect(sent.max_tokens).toBe(500);
      expect(sent.messages[0]!.role).toBe('system');
      expect(sent.messages[0]!.content).toContain('Answer only in haiku.');
      expect(errors).toEqual([]);
      await close();
    });

    it('a share opened signed out is read-only with nothing to type into; revoked, it is a 404 page', async () => {
      const owner = await openPage(e2e.browser);
      await signUp(owner.page, e2e.stack.url);
      e2e.stack.upstream.script({ text: 'Trastevere is **lovely** in May.' });
      await send(owner.page, 'Where should I stay in Rome?');
      await replyAndTitle(owner.page);

      await owner.page.getByRole('button', { name: 'Share' }).click();
      const dialog = owner.page.getByRole('dialog', { name: 'Share this chat' });
      await dialog.getByRole('button', { name: 'Create link' }).click();
      const url = await dialog.getByLabel('Link').inputValue();
      expect(url).toMatch(new RegExp(`^${e2e.stack.url}/s/[A-Za-z0-9_-]{22}$`));
      await dialog.getByRole('button', { name: 'Done' }).click();

      const viewer = await openPage(e2e.browser);
      const answer = viewer.page.waitForResponse((r) => r.url().includes('/api/public/shares/'));
      await viewer.page.goto(url);
      const api = await answer;
      expect(api.headers()['referrer-policy']).toBe('no-referrer');
      expect(api.headers()['x-frame-options']).toBe('DENY');
      await viewer.page.getByText('Where should I stay in Rome?').waitFor();
      expect(await viewer.page.locator('.share-messages strong').textContent()).toBe('lovely');
      expect(await viewer.page.locator('textarea, #composer-input').count()).toBe(0);
      await viewer.page.getByRole('button', { name: 'Sign in to continue this chat' }).waitFor();
      expect(
        await viewer.page.evaluate(() =>
          document.querySelector('meta[name="referrer"]')?.getAttribute('content'),
        ),
      ).toBe('no-referrer');
      expect(await seriousA11yViolations(viewer.page)).toEqual([]);
      await screenshot(viewer.page, 'share-page');

      // The owner revokes it in settings; the link is dead at once.
      await owner.page.getByRole('link', { name: 'Settings', exact: true }).click();
      await owner.page.getByRole('button', { name: /^Revoke/ }).click();
      await owner.page
        .getByRole('dialog', { name: 'Revoke this link?' })
        .getByRole('button', { name: 'Revoke' })
        .click();
      await owner.page.getByText('You have not shared any chat.').waitFor();

      await viewer.page.reload();
      await viewer.page.getByRole('heading', { level: 1, name: 'Shared chat not found' }).waitFor();
      expect(await seriousA11yViolations(viewer.page)).toEqual([]);
      expect([...owner.errors, ...viewer.errors]).toEqual([]);
      await viewer.close();
      await owner.close();
    });

    it('copies the last reply by shortcut, thumbs stay after a reload, and the chat exports as Markdown', async () => {
      const { page, errors, close } = await openPage(e2e.browser, {
        acceptDownloads: true,
        permissions: ['clipboard-read', 'clipboard-write'],
      });
      await signUp(page, e2e.stack.url);
      e2e.stack.upstream.script({ text: 'Boil the pasta for nine minutes.' });
      await send(page, 'How long for spaghetti?');
      await replyAndTitle(page);

      // Ctrl+Shift+C copies the last reply, as the shortcut sheet says.
      await page.locator('#composer-input').focus();
      await page.keyboard.press('Control+Shift+C');
      await expect
        .poll(() => page.evaluate(() => navigator.clipboard.readText()))
        .toBe('Boil the pasta for nine minutes.');

      await page.getByRole('button', { name: 'Good reply' }).click();
      await page.getByText('Thanks for the feedback.').waitFor();
      await page.reload();
      await page.locator('.message-assistant .reply-meta').waitFor();
      expect(await page.getByRole('button', { name: 'Good reply' }).getAttribute('aria-pressed')).toBe(
        'true',
      );

      await page.getByText('Export').click();
      const download = page.waitForEvent('download');
      await page.getByRole('link', { name: 'Markdown (.md)' }).click();
      const file = await download;
      expect(file.suggestedFilename()).toMatch(/\.md$/);
      const text = fs.readFileSync(await file.path(), 'utf8');
      expect(text).toContain('How long for spaghetti?');
      expect(text).toContain('Boil the pasta for nine minutes.');
      expect(errors).toEqual([]);
      await close();
    });

    it('? shows the keyboard shortcut sheet; shortcuts move focus', async () => {
      const { page, errors, close } = await openPage(e2e.browser);
      await signUp(page, e2e.stack.url);
      await page.locator('main').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Shift+Slash');
      const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await sheet.waitFor();
      for (const what of ['New chat', 'Focus the message box', 'Search chats', 'Copy the last reply']) {
        await sheet.getByText(what).waitFor();
      }
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'shortcuts');
      await page.keyboard.press('Escape');
      await sheet.waitFor({ state: 'hidden' });

      await page.keyboard.press('Control+k');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
        'Search conversations',
      );
      await page.keyboard.press('Shift+Escape');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('composer-input');
      // The button in the top bar opens the same sheet.
      await page.getByRole('button', { name: 'Keyboard shortcuts' }).click();
      await sheet.waitFor();
      expect(errors).toEqual([]);
      await close();
    });

    it('installs: a manifest with icons, and the service worker opens the shell offline', async () => {
      const { page, errors, close } = await openPage(e2e.browser);
      await signUp(page, e2e.stack.url);
      const manifest = await page.evaluate(async () => {
        const link = document.querySelector<HTMLLinkElement>('link[rel="manifest"]');
        return link ? ((await (await fetch(link.href)).json()) as Record<string, unknown>) : null;
      });
      expect(manifest).toMatchObject({ name: 'GloriaMundo', display: 'standalone', start_url: '/' });
      const sizes = (manifest!.icons as { sizes: string }[]).map((i) => i.sizes);
      expect(sizes).toEqual(expect.arrayContaining(['192x192', '512x512']));

      expect(await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL)).toBe(
        `${e2e.stack.url}/sw.js`,
      );
      // Controlled from the next load on; the shell is cached, no API answer is.
      await page.reload();
      await page.locator('#composer-input').waitFor();
      await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
      const cached = await page.evaluate(async () => {
        const urls: string[] = [];
        for (const key of await caches.keys()) {
          for (const req of await (await caches.open(key)).keys()) urls.push(new URL(req.url).pathname);
        }
        return urls;
      });
      expect(cached).toContain('/');
      expect(cached.some((u) => u.startsWith('/assets/') && u.endsWith('.js'))).toBe(true);
      expect(cached.filter((u) => u.startsWith('/api/'))).toEqual([]);

      await page.context().setOffline(true);
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'You are offline' }).waitFor();
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'offline');

      // Back online, the app finds the session again by itself.
      await page.context().setOffline(false);
      await page.locator('#composer-input').waitFor();
      expect(errors).toEqual([]);
      await close();
    });
  });
