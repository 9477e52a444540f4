import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerStore } from '../../../shared/billing/ledger';
import { e2e, openPage, pageApi, screenshot, signUp, type TestPage } from '../browser';

let tab: TestPage;
let page: Page;

const composer = () => page.locator('#composer-input');
const lastReply = () => page.locator('.message-assistant').last();
const lastQuestion = () => page.locator('.message-user').last();
const replyText = async () => ((await lastReply().locator(':scope > .markdown').textContent()) ?? '').trim();
const versions = (message: ReturnType<Page['locator']>) =>
  message.getByRole('group', { name: 'Versions' }).locator('.versions-count');

async function send(text: string) {
  await composer().fill(text);
  await composer().press('Enter');
}

async function waitForTitle() {
  await expect
    .poll(() => page.locator('.conversation-item.is-active .conversation-link').textContent(), {
      timeout: 15_000,
    })
    .not.toBe('New chat');
}

/** What the upstream was last asked, as the list of user turns. */
function lastPromptQuestions(): string[] {
  const chats = e2e.stack.upstream.requests.filter(
    (r) =>
      !JSON.stringify(r.body).includes('title') &&
      r.path.includes('chat') &&
      // Memory extraction runs after each reply and quotes it in a request of its own.
      r.body.response_format === undefined,
  );
  const body = chats.at(-1)?.body as { messages: { role: string; content: unknown }[] };
  return body.messages.filter((m) => m.role === 'user').map((m) => String(m.content));
}

export const versionScenarios = () =>
  describe('versions of messages', () => {
    beforeAll(async () => {
      tab = await openPage(e2e.browser);
      page = tab.page;
      await signUp(page, e2e.stack.url);
    });

    afterAll(() => tab?.close());

    it('regenerate makes a second version of a reply; the switcher moves between them and the choice is kept', async () => {
      e2e.stack.upstream.script({ text: 'Answer A.' });
      await send('Pick a letter');
      await expect.poll(replyText, { timeout: 10_000 }).toBe('Answer A.');
      await lastReply().locator('.reply-meta').waitFor();
      await waitForTitle();
      expect(await lastReply().getByRole('group', { name: 'Versions' }).count()).toBe(0);

      e2e.stack.upstream.script({ text: 'Answer B.' });
      await lastReply().getByRole('button', { name: 'Regenerate reply' }).click();
      await expect.poll(replyText, { timeout: 10_000 }).toBe('Answer B.');
      await expect.poll(() => versions(lastReply()).textContent()).toBe('2/2');
      expect(await page.locator('.user-bubble').count()).toBe(1);
      expect(lastPromptQuestions()).toEqual(['Pick a letter']);

      await lastReply().getByRole('button', { name: 'Previous version' }).click();
      await expect.poll(replyText).toBe('Answer A.');
      expect(await versions(lastReply()).textContent()).toBe('1/2');
      await screenshot(page, 'versions');

      // The server keeps the branch shown.
      await page.reload();
      await expect.poll(replyText).toBe('Answer A.');
      expect(await versions(lastReply()).textContent()).toBe('1/2');
      await lastReply().getByRole('button', { name: 'Next version' }).click();
      await expect.poll(replyText).toBe('Answer B.');
      expect(tab.errors).toEqual([]);
    });

    it('editing a question sends it as a new branch; the switcher on the question goes back', async () => {
      e2e.stack.upstream.script({ text: 'Seven.' });
      await lastQuestion().getByRole('button', { name: 'Edit message' }).click();
      const editor = page.getByRole('textbox', { name: 'Edit message' });
      expect(await editor.inputValue()).toBe('Pick a letter');
      await editor.fill('Pick a number');
      await page.getByRole('button', { name: 'Save and send' }).click();

      await expect.poll(() => lastQuestion().locator('.user-bubble').textContent()).toBe('Pick a number');
      await expect.poll(replyText, { timeout: 10_000 }).toBe('Seven.');
      await lastReply().locator('.reply-meta').waitFor();
      await expect.poll(() => versions(lastQuestion()).textContent()).toBe('2/2');
      expect(await page.locator('.user-bubble').count()).toBe(1);
      // A new branch: the edited question replaces the old one in the prompt.
      expect(lastPromptQuestions()).toEqual(['Pick a number']);

      await lastQuestion().getByRole('button', { name: 'Previous version' }).click();
      await expect.poll(() => lastQuestion().locator('.user-bubble').textContent()).toBe('Pick a letter');
      expect(await versions(lastQuestion()).textContent()).toBe('1/2');
      expect(['Answer A.', 'Answer B.']).toContain(await replyText());

      await page.reload();
      await expect.poll(() => lastQuestion().locator('.user-bubble').textContent()).toBe('Pick a letter');
      await lastQuestion().getByRole('button', { name: 'Next version' }).click();
      await expect.poll(() => lastQuestion().locator('.user-bubble').textContent()).toBe('Pick a number');
      await expect.poll(replyText).toBe('Seven.');
      expect(tab.errors).toEqual([]);
    });

    it('asks for the reply length chosen, and says so under a reply cut at that length', async () => {
      const select = page.getByRole('combobox', { name: 'Reply length' });
      await select.selectOption({ label: 'Up to 500 tokens' });
      e2e.stack.upstream.script({ text: 'A long story. '.repeat(300) });
      await send('Tell me a long story');
      const note = lastReply().locator('.reply-note');
      await note.waitFor({ timeout: 10_000 });
      expect(await note.textContent()).toContain('The reply reached its length limit of 500 tokens.');
      const asked = e2e.stack.upstream.requests.filter(
        (r) => r.body.response_format === undefined && JSON.stringify(r.body).includes('a long story'),
      );
      const body = asked.at(-1)?.body as { max_tokens?: number; max_completion_tokens?: number };
      expect(body.max_tokens ?? body.max_completion_tokens).toBe(500);
      expect((await replyText()).length).toBeLessThanOrEqual(2000);
      // Remembered in this browser, until changed back.
      await page.reload();
      expect(await select.inputValue()).toBe('500');
      await select.selectOption({ label: 'Default length' });
      await send('Thanks');
      await lastReply().locator('.reply-meta').waitFor({ timeout: 10_000 });
    });

    it('a reply the markdown renderer cannot handle (2,000 nested quotes) shows plain; the page keeps working', async () => {
      const deep = `${'> '.repeat(2000)}deep end`;
      e2e.stack.upstream.script({ text: deep });
      await send('Quote deeply');
      await lastReply().locator('.reply-meta').waitFor({ timeout: 20_000 });
      const plain = lastReply().locator('.markdown-plain');
      expect(await plain.textContent()).toContain('deep end');
      expect(await lastReply().locator('blockquote').count()).toBe(0);
      // The rest of the conversation and the app around it still render.
      expect(await page.locator('.user-bubble').count()).toBe(4);
      expect(await page.locator('.message-assistant').first().locator('.markdown').textContent()).toContain(
        'Seven.',
      );
      expect(await composer().isVisible()).toBe(true);
      expect(await page.getByRole('button', { name: 'New chat', exact: true }).isVisible()).toBe(true);

      await page.reload();
      await lastReply().locator('.markdown-plain').waitFor();
      expect(await composer().isVisible()).toBe(true);
      expect(tab.errors).toEqual([]);
    });
    it('a reply capped by the balance says so while it is written, and why it ended', async () => {
      // A balance that covers a short reply of a paid model, not the 8,000 tokens asked for.
      const me = await pageApi<{ body: { user: { id: string } } }>(page, 'GET', '/api/auth/session');
      await e2e.stack.db.tx((tx) =>
        ledgerStore(tx).apply({
          userId: me.body.user.id,
          kind: 'grant',
          credits: 200,
          reference: `e2e-cap-${me.body.user.id}`,
          at: new Date(),
        }),
      );
      await page.getByRole('button', { name: 'New chat', exact: true }).click();
      await page.getByRole('button', { name: /^Model:/ }).click();
      await page.getByRole('combobox', { name: 'Search models' }).fill('openai/gpt-4o-mini');
      await page
        .getByRole('listbox', { name: 'Models' })
        .getByRole('option')
        .filter({ has: page.locator('.model-option-id', { hasText: /^openai\/gpt-4o-mini$/ }) })
        .click();
      await page
        .getByRole('combobox', { name: 'Reply length' })
        .selectOption({ label: 'Up to 8,000 tokens' });

      e2e.stack.upstream.script({ text: 'On and on. '.repeat(1500), chunkDelayMs: 5 });
      await send('Write until the money runs out');
      const capped = lastReply().locator('[data-reason="capped"]');
      await capped.waitFor({ timeout: 10_000 });
      const allowed = Number(
        /Capped at ([\d,]+) tokens by your balance\./
          .exec((await capped.textContent()) ?? '')?.[1]
          ?.replace(/,/g, ''),
      );
      expect(allowed).toBeGreaterThanOrEqual(256);
      expect(allowed).toBeLessThan(8000);
      const balance = lastReply().locator('[data-reason="balance"]');
      await balance.waitFor({ timeout: 15_000 });
      expect(await balance.textContent()).toContain('because your balance could not pay for more');
      expect(await balance.getByRole('link', { name: 'Buy credits' }).getAttribute('href')).toBe('/billing');
      await page.getByRole('combobox', { name: 'Reply length' }).selectOption({ label: 'Default length' });
      await waitForTitle();
      expect(tab.errors).toEqual([]);
    });
  });

export const demoBannerScenarios = () =>
  describe('the offline demo model', () => {
    it('is named in a thin banner that stays dismissed', async () => {
      const demo = await openPage(e2e.browser);
      await signUp(demo.page, e2e.stack.url);
      const banner = demo.page.getByRole('status').filter({ hasText: 'offline demo model' });
      await banner.waitFor();
      expect(await banner.textContent()).toBe(
        "You're chatting with the offline demo model. Set OPENROUTER_API_KEY to use real models.",
      );
      expect((await banner.boundingBox())?.height).toBeLessThan(48);
      await demo.page.getByRole('button', { name: 'Dismiss the demo model notice' }).click();
      await banner.waitFor({ state: 'hidden' });
      await demo.page.reload();
      await demo.page.locator('#composer-input').waitFor();
      await demo.page.waitForTimeout(500);
      expect(await banner.count()).toBe(0);
      expect(demo.errors).toEqual([]);
      await demo.close();
    });
  });
