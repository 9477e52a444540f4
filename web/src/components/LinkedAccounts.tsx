import { useEffect, useState } from 'preact/hooks';
import type { User } from '../../../shared/contracts/auth';
import { api, isApiError } from '../api';
import { authErrorFromUrl, clearAuthErrorFromUrl, currentReturnTo, providerHref } from '../auth-errors';
import { useSession } from '../session';
import { useProviders } from './ProviderButtons';

function PasswordForm({ user, onDone }: { user: User; onDone: (message: string) => void }) {
  const hasPassword = user.identities.includes('password');
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.setPassword({ ...(hasPassword ? { currentPassword: current } : {}), newPassword: next });
      onDone(hasPassword ? 'Password changed. Other devices were signed out.' : 'Password set.');
    } catch (err) {
      setError(
        isApiError(err, 'invalid_credentials')
          ? 'The current password is not correct.'
          : (err as Error).message,
      );
      setBusy(false);
    }
  }

  return (
    <form class="auth-form" onSubmit={(e) => void submit(e)} noValidate aria-describedby="password-error">
      {hasPassword && (
        <div class="field">
          <label for="current-password">Current password</label>
          <input
            id="current-password"
            type="password"
            autocomplete="current-password"
            value={current}
            onInput={(e) => setCurrent(e.currentTarget.value)}
          />
        </div>
      )}
      <div class="field">
        <label for="new-password">New password</label>
        <input
          id="new-password"
          type="password"
          autocomplete="new-password"
          value={next}
          onInput={(e) => setNext(e.currentTarget.value)}
        />
        <p class="field-hint">At least 8 characters.</p>
      </div>
      <div id="password-error" class="form-error" role="alert">
        {error}
      </div>
      <div>
        <button class="button button-primary" type="submit" disabled={busy}>
          {hasPassword ? 'Change password' : 'Set password'}
        </button>
      </div>
    </form>
  );
}

/**
 * How the account signs in: its password (set one, or change it) and the providers, each linked
 * or with a link that connects it (a provider sign-in while signed in links it to this account).
 */
export function LinkedAccounts() {
  const session = useSession();
  const providers = useProviders();
  const [notice, setNotice] = useState<string | null>(() => authErrorFromUrl());
  const [editing, setEditing] = useState(false);
  useEffect(() => clearAuthErrorFromUrl(), []);
  if (session.state.status !== 'signed-in') return null;
  const user = session.state.user;
  const hasPassword = user.identities.includes('password');
  const returnTo = currentReturnTo();

  return (
    <section class="page-section" aria-labelledby="sign-in-methods">
      <h2 id="sign-in-methods" class="section-title">
        Sign-in methods
      </h2>
      {notice && (
        <div class="notice notice-info" role="status">
          {notice}
        </div>
      )}
      <ul class="linked-accounts" style={{ listStyle: 'none', padding: 0, display: 'grid', gap: '10px' }}>
        <li style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: '12px' }}>
          <span>
            Password{' '}
            <span class="muted">{hasPassword ? '· set' : '· none yet (you sign in with a provider)'}</span>
          </span>
          {!editing && (
            <button
              type="button"
              class="button button-secondary button-small"
              onClick={() => setEditing(true)}
            >
              {hasPassword ? 'Change password' : 'Set a password'}
            </button>
          )}
        </li>
        {providers.map((p) => {
          const linked = user.identities.includes(p.id);
          return (
            <li
              key={p.id}
              style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: '12px' }}
            >
              <span>
                {p.name} <span class="muted">{linked ? '· linked' : '· not linked'}</span>
              </span>
              {!linked && (
                <a class="button button-secondary button-small" href={providerHref(p.id, returnTo)}>
                  Link {p.name}
                </a>
              )}
            </li>
          );
        })}
      </ul>
      {editing && (
        <PasswordForm
          user={user}
          onDone={(message) => {
            setEditing(false);
            setNotice(message);
            void session.refresh();
          }}
        />
      )}
    </section>
  );
}
