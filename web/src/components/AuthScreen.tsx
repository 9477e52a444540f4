import { useEffect, useRef, useState } from 'preact/hooks';
import { isApiError } from '../api';
import { authErrorFromUrl, clearAuthErrorFromUrl } from '../auth-errors';
import { useSession } from '../session';
import { Logo } from './icons';
import { ProviderButtons } from './ProviderButtons';

type Mode = 'sign-in' | 'sign-up';

const MIN_PASSWORD = 8;

/** Turns an API refusal into a sentence that says what to do next. */
function explain(err: unknown): string {
  if (!isApiError(err)) return 'Something went wrong. Try again.';
  switch (err.code) {
    case 'invalid_credentials':
      return 'That email and password do not match an account. Check both, or create an account.';
    case 'conflict':
      return 'An account with this email already exists. Sign in instead.';
    case 'rate_limited':
      return `Too many attempts. Try again in ${err.retryAfterSeconds ?? 60} seconds.`;
    default:
      // The server's messages are sentences that say what to change (API.md).
      return err.message;
  }
}

/**
 * The form checked with the server's own rules (shared/contracts/auth), so a message says what to
 * change before anything is sent. The rules carry zod, which is not part of the first load: they
 * are fetched when the form is first submitted.
 */
async function problemWith(mode: Mode, form: { email: string; password: string; name: string }) {
  let rules: typeof import('../../../shared/contracts/auth');
  try {
    rules = await import('../../../shared/contracts/auth');
  } catch {
    // The rules could not be loaded (offline): the server checks the same and says so.
    return null;
  }
  const body = mode === 'sign-up' ? rules.registerBody : rules.loginBody;
  const { email, password, name } = form;
  const result = body.safeParse({ email, password, ...(name.trim() ? { name } : {}) });
  return result.success ? null : (result.error.issues[0]?.message ?? null);
}

export function AuthScreen() {
  const session = useSession();
  const [mode, setMode] = useState<Mode>('sign-in');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const sessionNote = session.state.status === 'signed-out' ? session.state.error : undefined;
  const [error, setError] = useState<string | null>(() => authErrorFromUrl() ?? sessionNote ?? null);
  const emailInput = useRef<HTMLInputElement>(null);

  useEffect(() => emailInput.current?.focus(), [mode]);
  // The provider's error is shown once (it is in the state above); a reload should not repeat it.
  useEffect(() => clearAuthErrorFromUrl(), []);

  const switchMode = (next: Mode) => {
    setMode(next);
    setError(null);
  };

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const problem = await problemWith(mode, { email, password, name });
    if (problem) {
      setError(problem);
      setBusy(false);
      return;
    }
    try {
      if (mode === 'sign-in') await session.signIn(email.trim(), password);
      else await session.signUp(email.trim(), password, name.trim() || undefined);
    } catch (err) {
      setError(explain(err));
      setBusy(false);
    }
  }

  const title = mode === 'sign-in' ? 'Welcome back' : 'Create your account';
  return (
    <main class="auth-screen">
      <div class="auth-card">
        <div class="auth-brand">
          <Logo size={40} />
          <span>GloriaMundo</span>
        </div>
        <h1 class="auth-title">{title}</h1>
        <p class="auth-subtitle">
          {mode === 'sign-in'
            ? 'Sign in to continue your conversations.'
            : 'Every model, one account. Pay only for what you use.'}
        </p>
        <ProviderButtons />
        <form
          class="auth-form"
          onSubmit={(e) => void submit(e)}
          // The messages are ours (the server's rules, saying what to change), not the browser's.
          noValidate

          aria-describedby="auth-error"
        >
          {mode === 'sign-up' && (
            <div class="field">
              <label for="auth-name">
                Name <span class="field-optional">(optional)</span>
              </label>
              <input
                id="auth-name"
                name="name"
                autocomplete="name"
                maxLength={100}
                value={name}
                onInput={(e) => setName(e.currentTarget.value)}
              />
            </div>
          )}
          <div class="field">
            <label for="auth-email">Email</label>
            <input
              ref={emailInput}
              id="auth-email"
              name="email"
              type="email"
              autocomplete={mode === 'sign-in' ? 'username' : 'email'}
              required
              maxLength={254}
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="auth-password">Password</label>
            <input
              id="auth-password"
              name="password"
              type="password"
              autocomplete={mode === 'sign-in' ? 'current-password' : 'new-password'}
              required
              minLength={mode === 'sign-up' ? MIN_PASSWORD : undefined}
              maxLength={256}
              aria-describedby={mode === 'sign-up' ? 'password-hint' : undefined}
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
            {mode === 'sign-up' && (
              <p id="password-hint" class="field-hint">
                At least {MIN_PASSWORD} characters.
              </p>
            )}
          </div>
          <div id="auth-error" class="form-error" role="alert">
            {error}
          </div>
          <button class="button button-primary button-block" type="submit" disabled={busy}>
            {busy
              ? mode === 'sign-in'
                ? 'Signing in…'
                : 'Creating account…'
              : mode === 'sign-in'
                ? 'Sign in'
                : 'Create account'}
          </button>
        </form>
        <p class="auth-switch">
          {mode === 'sign-in' ? (
            <>
              New here?{' '}
              <button type="button" class="link-button" onClick={() => switchMode('sign-up')}>
                Create an account
              </button>
            </>
          ) : (
            <>
              Already have an account?{' '}
              <button type="button" class="link-button" onClick={() => switchMode('sign-in')}>
                Sign in
              </button>
            </>
          )}
        </p>
      </div>
    </main>
  );
}
