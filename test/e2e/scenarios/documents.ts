import { describe, expect, it } from 'vitest';
import { e2e, openPage, screenshot, seriousA11yViolations, signUp } from '../browser';

export const documentScenarios = () =>
  describe('documents', () => {
    it('a file uploaded in the panel is cited in a reply, its card names it, and it can be deleted', async () => {
      const { page, errors, close } = await openPage(e2e.browser);
      await signUp(page, e2e.stack.url);
      await page.getByRole('link', { name: 'Documents' }).click();
      await page.getByRole('heading', { level: 1, name: 'Documents' }).waitFor();
      await page.getByText('No documents yet.').waitFor();

      const name = `zorbleflux-${Date.now()}.txt`;
      const fact = 'The Zorbleflux reactor in Quillhaven runs at exactly 451 kelvin during the night shift.';
      await page.getByLabel('Upload documents').setInputFiles({
        name,
        mimeType: 'text/plain',
        buffer: Buffer.from(`Plant notes\n\n${fact}\n`),
      });
      const row = page.locator('[data-testid="document-row"]', { hasText: name });
      await row.and(page.locator('[data-status="ready"]')).waitFor({ timeout: 90_000 });
      expect(await page.getByTestId('inbox-path').textContent()).toMatch(/^inbox\/[^/]+\/$/);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'documents-panel');

      await page.getByRole('link', { name: 'Back to chat' }).click();
      await page
        .locator('#composer-input')
        .fill('At what temperature does the Zorbleflux reactor in Quillhaven run?');
      await page.locator('#composer-input').press('Enter');
      const card = page.locator('.message-assistant [data-testid="citation-card"]').first();
      await card.waitFor({ timeout: 30_000 });
      expect(await card.textContent()).toContain(name);
      await page.locator('.message-assistant .reply-meta').last().waitFor({ timeout: 30_000 });
      expect(await card.getByRole('link', { name: `Download ${name}` }).getAttribute('href')).toMatch(
        /^\/api\/documents\/[^/]+\/file$/,
      );
      await screenshot(page, 'documents-citation');

      await page.getByRole('link', { name: 'Documents' }).click();
      await row.getByRole('button', { name: `Delete ${name}` }).click();
      await page
        .getByRole('dialog', { name: 'Delete this document?' })
        .getByRole('button', { name: 'Delete' })
        .click();
      await page.getByText('No documents yet.').waitFor();
      expect(errors).toEqual([]);
      await close();
    });
  });
