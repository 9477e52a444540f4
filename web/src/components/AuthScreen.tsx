import { useEffect, useRef, useState } from 'preact/hooks';
import { isApiError } from '../api';
import { useSession } from '../session';
import { Logo } from './icons';

type Mode = 'sign-in' | 'sign-up';

const MIN_PASSWORD = 8;

/** Turns an API refusal into a sentence that says what to do next. */
function explain(err: unknown, mode: Mode): string {
  if (!isApiError(err)) return 'Something went wrong. Try again.';
  switch (err.code) {
    case 'invalid_credentials':
      return 'That email and password do not match an account.';
    case 'conflict':
      return 'An account with this email already exists. Sign in instead.';
    case 'rate_limited':
      return `Too many attempts. Try again in ${err.retryAfterSeconds ?? 60} seconds.`;
    case 'invalid_request':
      return mode === 'sign-up' ? `Check the form: ${err.message}` : err.message;
    default:
      return err.message;
  }
}

/** OAuth callbacks come back to `/?authError=...` (API.md). */
function authErrorFromUrl(): string | null {
  const code = new URLSearchParams(location.search).get('authError');
  return code ? `Sign-in with that provider did not complete (${code}).` : null;
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

  const switchMode = (next: Mode) => {
    setMode(next);
    setError(null);
  };

  async function submit(event: Event) {
    event.preventDefault();
    if (mode === 'sign-up' && password.length < MIN_PASSWORD) {
      setError(`Use a password of at least ${MIN_PASSWORD} characters.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (mode === 'sign-in') await session.signIn(email.trim(), password);
      else await session.signUp(email.trim(), password, name.trim() || undefined);
    } catch (err) {
      setError(explain(err, mode));
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
        <form
          class="auth-form"
          onSubmit={(e) => void submit(e)}

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
