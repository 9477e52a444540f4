import { useState } from 'preact/hooks';
import type { User } from '../../../shared/contracts/auth';
import { api, isApiError } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { navigate } from '../router';
import { useSession } from '../session';
import '../styles/settings.css';

/**
 * Deletes the account (`DELETE /api/account`) after a confirmation; the password is asked for
 * only when the account has one (one signed in with a provider alone has none). Afterwards the
 * session is gone and the sign-in screen shows.
 */
export function DeleteAccount({ user }: { user: User }) {
  const session = useSession();
  const hasPassword = user.identities.includes('password');
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const close = () => {
    setOpen(false);
    setPassword('');
    setError(null);
  };

  const confirm = () => {
    if (hasPassword && !password) {
      setError('Enter your password to delete the account.');
      return;
    }
    setBusy(true);
    setError(null);
    api.deleteAccount(hasPassword ? { password } : {}).then(
      () => {
        // Signed in again later, this browser starts from a new chat, not from these settings.
        navigate('/', { replace: true });
        void session.refresh();
      },
      (err: unknown) => {
        setBusy(false);
        setError(
          isApiError(err, 'invalid_credentials') ? 'That password is not correct.' : (err as Error).message,
        );
      },
    );
  };

  return (
    <section class="page-section danger-zone" aria-labelledby="settings-delete">
      <h2 id="settings-delete" class="section-title">
        Delete account
      </h2>
      <p class="muted">
        Deletes your conversations, images, documents, memories, presets, shared links and API keys for good.
        Purchases and usage stay in the accounting records, without your email address. Unused credits are
        lost.
      </p>
      <p>
        <button type="button" class="button button-danger button-small" onClick={() => setOpen(true)}>
          Delete account…
        </button>
      </p>
      <ConfirmDialog
        open={open}
        title="Delete your account?"
        confirmLabel={busy ? 'Deleting…' : 'Delete account'}
        busy={busy}
        onConfirm={confirm}
        onCancel={close}
      >
        <p>This cannot be undone. {user.email} will be signed out everywhere.</p>
        {hasPassword && (
          <div class="field">
            <label for="delete-account-password">Your password</label>
            <input
              id="delete-account-password"
              type="password"
              autocomplete="current-password"
              value={password}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? 'delete-account-error' : undefined}
              onInput={(e) => setPassword(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  confirm();
                }
              }}
            />
          </div>
        )}
        {error && (
          <p id="delete-account-error" class="form-error" role="alert">
            {error}
          </p>
        )}
      </ConfirmDialog>
    </section>
  );
}
