import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2e, openPage, pageApi, signUp, type TestPage } from '../browser';

let tab: TestPage;
let page: Page;

const lastReply = () => page.locator('.message-assistant').last();
/** The reply's own text (not its reasoning, which is rendered markdown too). */
const replyText = async () => ((await lastReply().locator(':scope > .markdown').textContent()) ?? '').trim();
const words = (n: number, prefix = 'word') => Array.from({ length: n }, (_, i) => `${prefix}${i} `);

/**
 * The first reply of a conversation makes a title request upstream, which takes the next scripted
 * step: wait for the title (it also shows the sidebar picking it up) before scripting another.
 */
async function waitForTitle() {
  await expect
    .poll(() => page.locator('.conversation-item.is-active .conversation-link').textContent(), {
      timeout: 15_000,
    })
    .not.toBe('New chat');
}

async function send(text: string) {
  await page.locator('#composer-input').fill(text);
  await page.locator('#composer-input').press('Enter');
}

export const chatScenarios = () =>
  describe('chat in the browser', () => {
    const stack = () => e2e.stack;

    beforeAll(async () => {
      tab = await openPage(e2e.browser);
      page = tab.page;
      await signUp(page, e2e.stack.url);
    });

    afterAll(() => tab?.close());

    it('picks a model, streams a reply progressively, stops it, and shows it stopped after a reload', async () => {
      await page.getByRole('button', { name: /^Model:/ }).click();
      await page.getByRole('combobox', { name: 'Search models' }).fill('gemma 3 27b');
      await page.getByRole('group', { name: 'Show only' }).getByRole('button', { name: 'Free' }).click();
      await expect
        .poll(() => page.getByRole('listbox', { name: 'Models' }).getByRole('option').count())
        .toBe(1);
      await page.getByRole('combobox', { name: 'Search models' }).press('Enter');
      await expect
        .poll(() => page.getByRole('button', { name: /^Model:/ }).textContent())
        .toContain('Gemma 3 27B');

      stack().upstream.script({ chunks: words(60), chunkDelayMs: 100 });
      await send('Count slowly for me');
      // The user's message shows at once; Stop is offered, and the composer stays usable.
      await expect.poll(() => page.locator('.user-bubble').last().textContent()).toBe('Count slowly for me');
      await page.getByRole('button', { name: 'Stop reply' }).waitFor();
      expect(await page.locator('#composer-input').isDisabled()).toBe(false);

      const lengths: number[] = [];
      for (let i = 0; i < 40 && lengths.length < 4; i++) {
        const length = (await replyText()).length;
        if (length > (lengths.at(-1) ?? 0)) lengths.push(length);
        await page.waitForTimeout(250);
      }
      expect(lengths.length, `text grew in steps: ${lengths.join(', ')}`).toBe(4);
      expect(await lastReply().getAttribute('aria-busy')).toBe('true');

      await page.getByRole('button', { name: 'Stop reply' }).click();
      await lastReply().locator('.badge', { hasText: 'Stopped' }).waitFor({ timeout: 5000 });
      const stoppedText = await replyText();
      expect(stoppedText.length).toBeGreaterThan(0);
      expect(stoppedText).not.toContain('word59');
      await page.getByRole('button', { name: 'Stop reply' }).waitFor({ state: 'hidden' });
      const asked = stack().upstream.requests.find(
        (r) => r.body.response_format === undefined && JSON.stringify(r.body).includes('Count slowly for me'),
      );
      expect(asked?.body.model).toBe('google/gemma-3-27b-it:free');

      await page.reload();
      await lastReply().locator('.badge', { hasText: 'Stopped' }).waitFor();
      expect(await replyText()).toBe(stoppedText);
      // An opened conversation continues with its model; a new chat starts with the remembered one.
      await expect
        .poll(() => page.getByRole('button', { name: /^Model:/ }).textContent())
        .toContain('Gemma 3 27B');
      await waitForTitle();
      expect(tab.errors).toEqual([]);
    });

    it('after a reload during a reply, shows the text so far and follows it to the end', async () => {
      await page.getByRole('button', { name: 'New chat', exact: true }).click();
      await expect
        .poll(() => page.getByRole('button', { name: /^Model:/ }).textContent())
        .toContain('Gemma 3 27B');
      const chunks = words(40, 'step');
      stack().upstream.script({ chunks, chunkDelayMs: 120 });
      await send('Take your time');
      await expect.poll(replyText, { timeout: 10_000 }).toContain('step5');
      await page.waitForURL(/\/c\//);
      // The server saves the partial reply about once a second.
      await page.waitForTimeout(1200);

      await page.reload();
      await lastReply().waitFor();
      const soFar = await replyText();
      expect(soFar).toContain('step0');
      expect(soFar).not.toContain('step39');
      expect(await page.getByRole('button', { name: 'Stop reply' }).isVisible()).toBe(true);

      // The rest arrives through the resume stream as it is written: chunk by chunk (every 120 ms),
      // not in the one-second steps of reading the conversation again, and never shorter than shown.
      const lengths = [soFar.length];
      for (let i = 0; i < 15; i++) {
        await page.waitForTimeout(80);
        lengths.push((await replyText()).length);
      }
      for (let i = 1; i < lengths.length; i++) {
        expect(lengths[i], `never shorter: ${lengths.join(', ')}`).toBeGreaterThanOrEqual(lengths[i - 1]!);
      }
      expect(new Set(lengths).size, `grew in small steps: ${lengths.join(', ')}`).toBeGreaterThanOrEqual(5);

      await lastReply().locator('.reply-meta').waitFor({ timeout: 15_000 });
      expect(await replyText()).toBe(chunks.join('').trim());
      await page.getByRole('button', { name: 'Stop reply' }).waitFor({ state: 'hidden' });
      await waitForTitle();
    });

    it('Esc stops the reply', async () => {
      stack().upstream.script({ chunks: words(60, 'esc'), chunkDelayMs: 100 });
      await send('Another slow one');
      await expect.poll(replyText, { timeout: 10_000 }).toContain('esc3');
      await page.keyboard.press('Escape');
      await lastReply().locator('.badge', { hasText: 'Stopped' }).waitFor({ timeout: 5000 });
      expect(await replyText()).not.toContain('esc59');
      await waitForTitle();
    });

    it('shows an upstream failure in place and retries it', async () => {
      stack().upstream.script({ chunks: words(10, 'partial'), errorAfterChunks: 3 });
      await send('This will break');
      const failure = lastReply().locator('.reply-error');
      await failure.waitFor({ timeout: 10_000 });
      expect(await failure.textContent()).toContain('The reply failed');
      expect(await replyText()).toContain('partial2');

      const questions = await page.locator('.user-bubble').count();
      stack().upstream.script({ text: 'Second time lucky.' });
      await failure.getByRole('button', { name: 'Retry' }).click();
      await expect.poll(replyText, { timeout: 10_000 }).toBe('Second time lucky.');
      await lastReply().locator('.reply-meta').waitFor();
      // A new version of the reply replaces the failed one; the question is not sent twice.
      expect(await page.locator('.user-bubble').count()).toBe(questions);
      expect(await page.locator('.user-bubble').last().textContent()).toBe('This will break');
      await expect
        .poll(() => lastReply().getByRole('group', { name: 'Versions' }).textContent())
        .toContain('2/2');
      // The reply requests only: memory extraction quotes the message too, in a request of its own.
      const asked = stack().upstream.requests.filter(
        (r) => r.body.response_format === undefined && JSON.stringify(r.body).includes('This will break'),
      );
      const last = asked.at(-1)?.body as { messages: { role: string; content: unknown }[] };
      expect(
        last.messages.filter(
          (m) => m.role === 'user' && JSON.stringify(m.content).includes('This will break'),
        ),
      ).toHaveLength(1);
      // Screen readers hear the reply through the polite live region, not the re-rendered message.
      const live = page.locator('[aria-live="polite"][aria-atomic="true"]');
      await expect.poll(() => live.textContent()).toBe('Second time lucky. Reply complete.');
      expect(tab.errors).toEqual([]);
    });

    it('shows reasoning while the model thinks, then folds it away', async () => {
      stack().upstream.script({
        reasoning: ['The user wants ', 'a number. ', 'Seven is lucky.'],
        chunks: ['Seven', '.'],
        chunkDelayMs: 150,
      });
      await send('Pick a number');
      const reasoning = lastReply().locator('details.reasoning');
      await expect
        .poll(() => reasoning.locator('summary').textContent(), { timeout: 10_000 })
        .toBe('Thinking…');
      expect(await reasoning.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
      await lastReply().locator('.reply-meta').waitFor({ timeout: 10_000 });
      expect(await replyText()).toBe('Seven.');
      expect(await reasoning.locator('summary').textContent()).toBe('Reasoning');
      expect(await reasoning.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
      await reasoning.locator('summary').click();
      expect(await reasoning.locator('.reasoning-body').textContent()).toContain('Seven is lucky.');
    });

    it('renders model output inert: no script runs, links are safe, code is highlighted', async () => {
      await page.getByRole('button', { name: 'New chat', exact: true }).click();
      const evil = [
        'Raw HTML: <script>window.__pwned = "script"; alert(1)</script>',
        '<img src=x onerror="window.__pwned = \'img\'; alert(2)">',
        '[click me](javascript:window.__pwned=%22link%22)',
        '<a href="javascript:window.__pwned=1">raw link</a>',
        '![tracker](https://example.com/pixel.png?secret=1)',
        '[safe link](https://example.com/)',
        '```js\nconst answer = 42;\nfunction f() { return answer; }\n```',
      ].join('\n\n');
      // Odd chunk boundaries: half a tag must never become a tag either.
      const chunks = evil.match(/[\s\S]{1,7}/g) ?? [];
      stack().upstream.script({ chunks });
      await send('Show me something dangerous');
      await lastReply().locator('.reply-meta').waitFor({ timeout: 10_000 });
      const body = lastReply().locator(':scope > .markdown');

      expect(await body.textContent()).toContain('<script>window.__pwned');
      expect(await body.locator('script, img, iframe, [onerror]').count()).toBe(0);
      const links = await body.locator('a').evaluateAll((as) =>
        as.map((a) => ({
          text: a.textContent,
          href: a.getAttribute('href'),
          target: a.getAttribute('target'),
          rel: a.getAttribute('rel'),
        })),
      );
      expect(links.map((l) => l.text)).toEqual(['click me', 'tracker', 'safe link']);
      for (const link of links) {
        expect(link.href === null || /^https:/.test(link.href), `${link.text}: ${link.href}`).toBe(true);
        expect(link.target).toBe('_blank');
        expect(link.rel).toBe('noopener noreferrer');
      }
      expect(links.find((l) => l.text === 'click me')?.href).toBeNull();
      await body.getByText('click me').click();

      // highlight.js arrives as a separate chunk and re-renders the block.
      await body.locator('.code-block .hljs-keyword').first().waitFor({ timeout: 10_000 });
      expect(await body.locator('.code-lang').textContent()).toBe('JavaScript');
      expect(await body.locator('.code-block code').textContent()).toBe(
        'const answer = 42;\nfunction f() { return answer; }',
      );

      expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
      expect(tab.dialogs).toEqual([]);
      expect(tab.errors).toEqual([]);
      await waitForTitle();
    });

    it('explains a 402 and links to Buy credits', async () => {
      await page.getByRole('button', { name: 'New chat', exact: true }).click();
      await page.getByRole('button', { name: /^Model:/ }).click();
      // The filter chips keep their state while the page is open: show every model again.
      const freeOnly = page.getByRole('group', { name: 'Show only' }).getByRole('button', { name: 'Free' });
      if ((await freeOnly.getAttribute('aria-pressed')) === 'true') await freeOnly.click();
      await page.getByRole('combobox', { name: 'Search models' }).fill('01-ai/yi-large');
      await page.getByRole('combobox', { name: 'Search models' }).press('Enter');
      // A paid model: the price of sending shows before anything is sent.
      await page.locator('#composer-input').fill('Expensive question');
      await expect.poll(() => page.locator('#composer-hint').textContent()).toMatch(/≈ [\d,]+ credits/);

      await page.locator('#composer-input').press('Enter');
      const notice = page.getByRole('alert').filter({ hasText: 'Not enough credits' });
      await notice.waitFor();
      // Nothing was sent: the text is back in the composer for after the top-up.
      expect(await page.locator('#composer-input').inputValue()).toBe('Expensive question');
      expect(await page.locator('.user-bubble').count()).toBe(0);
      await notice.getByRole('link', { name: 'Buy credits' }).click();
      await page.getByRole('heading', { name: 'Buy credits', level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/billing');
    });

    it('renames, deletes, searches and pages through conversations', async () => {
      for (let i = 1; i <= 32; i++) {
        await pageApi(page, 'POST', '/api/conversations', { title: `Filler ${String(i).padStart(2, '0')}` });
      }
      const made: Record<string, string> = {};
      for (const title of ['Alpha trip planning', 'Beta recipe ideas', 'Gamma budget']) {
        const res = await pageApi<{ body: { conversation: { id: string } } }>(
          page,
          'POST',
          '/api/conversations',
          { title },
        );
        made[title] = res.body.conversation.id;
      }
      await page.goto(stack().url);
      const items = page.locator('.conversation-item');
      await items.first().waitFor();
      expect(await items.first().textContent()).toContain('Gamma budget');

      // Infinite scroll: the first page is 30; reaching the end of the list loads the rest.
      await expect.poll(() => items.count()).toBe(30);
      await page.locator('.sidebar-sentinel').scrollIntoViewIfNeeded();
      await expect.poll(() => items.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(35);

      await page.getByRole('searchbox', { name: 'Search conversations' }).fill('recipe');
      await expect.poll(() => items.allTextContents(), { timeout: 5000 }).toEqual(['Beta recipe ideas']);
      await page.getByRole('searchbox', { name: 'Search conversations' }).fill('');
      await expect.poll(() => items.count(), { timeout: 5000 }).toBe(30);

      await page.getByRole('button', { name: 'Rename “Alpha trip planning”' }).click();
      const input = page.getByRole('textbox', { name: 'Conversation title' });
      expect(await input.inputValue()).toBe('Alpha trip planning');
      await input.fill('Alpha, renamed');
      await input.press('Enter');
      await page.getByRole('link', { name: 'Alpha, renamed' }).waitFor();
      const renamed = await pageApi(page, 'GET', `/api/conversations/${made['Alpha trip planning']}`);
      expect(renamed.body.conversation.title).toBe('Alpha, renamed');

      await page.getByRole('button', { name: 'Delete “Gamma budget”' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete conversation?' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await expect.poll(() => page.getByRole('link', { name: 'Gamma budget' }).count()).toBe(0);
      expect((await pageApi(page, 'GET', `/api/conversations/${made['Gamma budget']}`)).status).toBe(404);
      expect(tab.errors).toEqual([]);
    });

    it('keeps the session across reloads until signing out', async () => {
      await page.reload();
      await page.locator('#composer-input').waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Welcome back' }).waitFor();
      await page.reload();
      await page.getByRole('heading', { name: 'Welcome back' }).waitFor();
      expect(await page.locator('#composer-input').count()).toBe(0);
    });
  });
