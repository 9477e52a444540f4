import type { AuthErrorCode } from '../../shared/contracts/auth';

/** What a provider sign-in that came back with `?authError=<code>` means, as a sentence (API.md). */
export const AUTH_ERRORS: Record<AuthErrorCode, string> = {
  state_mismatch: 'Sign-in took too long or was started in another tab. Try again.',
  invalid_token: 'The provider’s answer could not be verified. Try again.',
  email_unverified:
    'That account’s email address is not verified with the provider, so it cannot sign you in here. Verify it there, or sign in with a password and link the provider from Settings.',
  denied: 'Sign-in was cancelled at the provider. Try again when you are ready.',
  provider_error: 'The provider could not sign you in just now. Try again in a moment.',
  already_linked: 'That provider account already signs in to another account here, so it was not linked.',
};

/** The sentence for the `authError` in the address bar, if there is one. */
export function authErrorFromUrl(): string | null {
  const code = new URLSearchParams(location.search).get('authError');
  if (!code) return null;
  return (
    (AUTH_ERRORS as Record<string, string>)[code] ?? 'Sign-in with that provider did not complete. Try again.'
  );
}

/** Takes `authError` out of the address bar (once shown, a reload should not show it again). */
export function clearAuthErrorFromUrl(): void {
  const url = new URL(location.href);
  if (!url.searchParams.has('authError')) return;
  url.searchParams.delete('authError');
  history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
}

/** The page to come back to after a provider sign-in: where we are, without `authError`. */
export function currentReturnTo(): string {
  const url = new URL(location.href);
  url.searchParams.delete('authError');
  return `${url.pathname}${url.search}`;
}

/** The link that starts a provider sign-in (or, signed in, links the provider). */
export const providerHref = (id: string, returnTo: string) =>
  `/api/auth/${encodeURIComponent(id)}?returnTo=${encodeURIComponent(returnTo)}`;
