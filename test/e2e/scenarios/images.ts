import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { e2e, openPage, screenshot, seriousA11yViolations, signUp } from '../browser';

const picture = (width: number, height: number, colour: string) =>
  sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toBuffer();

export const imageScenarios = () =>
  describe('images', () => {
    it('attaches by button and by paste, warns for a text-only model, sends, and shows them in the history', async () => {
      const { page, errors, close } = await openPage(e2e.browser);
      await signUp(page, e2e.stack.url);
      const composer = page.locator('#composer-input');

      await page.getByRole('button', { name: 'Attach images' }).waitFor();
      await page.getByTestId('image-input').setInputFiles({
        name: 'red-square.png',
        mimeType: 'image/png',
        buffer: await picture(320, 240, '#d33'),
      });
      // Pasted as a browser pastes a screenshot: a file on the clipboard event.
      const pasted = (await picture(200, 200, '#36c')).toString('base64');
      await composer.evaluate((el, b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }));
        el.dispatchEvent(
          new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
        );
      }, pasted);

      const thumbs = page.getByRole('list', { name: 'Attached images' }).getByRole('listitem');
      await expect.poll(() => thumbs.count()).toBe(2);
      // Both uploaded: the thumbnails show the stored images, not the local files.
      await page.locator('.attachment-thumb img[src^="/api/images/"]').nth(1).waitFor();

      // A new account starts on a free text-only model: the picker and the composer say so.
      await composer.fill('What colours are these squares?');
      const picker = page.getByRole('button', { name: /^Model:/ });
      await picker.getByText('No images').waitFor();
      await page.getByRole('alert').filter({ hasText: 'cannot read images' }).waitFor();
      expect(await page.getByRole('button', { name: 'Send message' }).isDisabled()).toBe(true);
      await screenshot(page, 'images-attached');

      await picker.click();
      expect(await page.getByRole('button', { name: 'Vision' }).getAttribute('aria-pressed')).toBe('true');
      await page.getByRole('combobox', { name: 'Search models' }).fill('google/gemma-3-27b-it:free');
      await page.getByRole('combobox', { name: 'Search models' }).press('Enter');
      await expect.poll(() => picker.textContent()).not.toContain('No images');

      await composer.press('Enter');
      const sent = page.locator('.message-user').last();
      await sent.getByRole('img', { name: 'Attached image 2' }).waitFor();
      const reply = page.locator('.message-assistant').last();
      await reply.getByText('I received 2 images (image/png, image/png)').waitFor({ timeout: 30_000 });
      await page.locator('.message-assistant .reply-meta').last().waitFor({ timeout: 30_000 });
      expect(await thumbs.count()).toBe(0);

      // After a reload the history still carries them, and a click opens the viewer.
      await page.reload();
      await page
        .locator('.message-user')
        .last()
        .getByRole('button', { name: 'View attached image 1' })
        .click();
      const viewer = page.getByRole('dialog', { name: 'Attached image 1' });
      await viewer.waitFor();
      await expect
        .poll(() => viewer.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth))
        .toBe(320);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'images-viewer');
      await page.keyboard.press('Escape');
      await viewer.waitFor({ state: 'hidden' });
      expect(errors).toEqual([]);
      await close();
    });
  });
