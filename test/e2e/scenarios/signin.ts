import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { e2e, openPage, pageApi, screenshot, seriousA11yViolations, signUp, uniqueEmail } from '../browser';

/** The offline Google provider's consent page: who signs in, vouched for by the provider. */
async function consent(page: Page, email: string, name: string) {
  await page.waitForURL((url) => url.origin === new URL(e2e.google.url).origin);
  await page.getByRole('heading', { name: 'Sign in with the offline Google provider' }).waitFor();
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Name', { exact: true }).fill(name);
  expect(await page.getByLabel('The provider vouches for this email').isChecked()).toBe(true);
  await page.getByRole('button', { name: 'Continue' }).click();
}

const signInMethod = (page: Page, name: string) =>
  page.getByRole('region', { name: 'Sign-in methods' }).getByRole('listitem').filter({ hasText: name });

/** The sign-in screen, as a signed-out visitor sees it. */
const signInScreen = (page: Page) => page.getByRole('heading', { level: 1, name: 'Welcome back' });

export const signInScenarios = () =>
  describe('sign-in with a provider, linking, and deleting the account', () => {
    it('signs in with Google through its consent page; an account without a password is deleted without one', async () => {
      const { page, errors, close } = await openPage(e2e.browser);
      await page.goto(e2e.stack.url);
      await page.getByRole('link', { name: 'Continue with Google' }).click();
      const email = uniqueEmail();
      await consent(page, email, 'Grace Google');

      // Back in the app, signed in as that person, on the chat screen.
      await page.locator('#composer-input').waitFor();
      expect(new URL(page.url()).origin).toBe(new URL(e2e.stack.url).origin);
      const { user } = (await pageApi(page, 'GET', '/api/auth/session')).body;
      expect(user).toMatchObject({ email, name: 'Grace Google', identities: ['google'] });

      await page.getByRole('link', { name: 'Settings', exact: true }).click();
      expect(await signInMethod(page, 'Google').textContent()).toContain('· linked');
      expect(await signInMethod(page, 'Password').textContent()).toContain('none yet');

      // No password to ask for: the dialog only confirms.
      await page.getByRole('button', { name: 'Delete account…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
      expect(await dialog.getByLabel('Your password').count()).toBe(0);
      await dialog.getByRole('button', { name: 'Delete account' }).click();
      await signInScreen(page).waitFor();
      expect(new URL(page.url()).pathname).toBe('/');
      expect((await pageApi(page, 'GET', '/api/auth/session')).status).toBe(401);
      expect(errors).toEqual([]);
      await close();
    });

    it('links Google from settings, signs in with it to the same account, and deletes the account with its password', async () => {
      const { page, errors, close } = await openPage(e2e.browser);
      const email = await signUp(page, e2e.stack.url);
      await page.getByRole('link', { name: 'Settings', exact: true }).click();
      expect(await signInMethod(page, 'Google').textContent()).toContain('not linked');
      await page.getByRole('link', { name: 'Link Google' }).click();
      const googleEmail = uniqueEmail();
      await consent(page, googleEmail, 'Ada at Google');

      // Back on the settings page it left, with Google linked to this account.
      await page.waitForURL((url) => url.pathname === '/settings');
      await expect.poll(() => signInMethod(page, 'Google').textContent()).toContain('· linked');
      expect((await pageApi(page, 'GET', '/api/auth/session')).body.user).toMatchObject({
        email,
        identities: ['password', 'google'],
      });
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'settings-account');

      // Signed out, Google signs in to this same account.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signInScreen(page).waitFor();
      await page.getByRole('link', { name: 'Continue with Google' }).click();
      await consent(page, googleEmail, 'Ada at Google');
      await page.locator('#composer-input').waitFor();
      expect((await pageApi(page, 'GET', '/api/auth/session')).body.user.email).toBe(email);

      // Deleting asks for the password: a wrong one changes nothing.
      await page.getByRole('link', { name: 'Settings', exact: true }).click();
      await page.getByRole('button', { name: 'Delete account…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
      await dialog.getByLabel('Your password').fill('not my password');
      await dialog.getByRole('button', { name: 'Delete account' }).click();
      await dialog.getByText('That password is not correct.').waitFor();
      expect((await pageApi(page, 'GET', '/api/auth/session')).status).toBe(200);
      await dialog.getByLabel('Your password').fill('correct horse battery');
      await dialog.getByRole('button', { name: 'Delete account' }).click();
      await signInScreen(page).waitFor();

      // The account is gone: its password no longer signs in.
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('correct horse battery');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect.poll(() => page.locator('#auth-error').textContent()).not.toBe('');
      expect((await pageApi(page, 'GET', '/api/auth/session')).status).toBe(401);
      expect(errors).toEqual([]);
      await close();
    });
  });
