import { useState } from 'preact/hooks';
import type { Share } from '../../../shared/contracts/shares';
import { api } from '../api';
import { Link } from '../router';
import { Modal } from './Modal';

/** Makes a link to a snapshot of the conversation as it is now; revoke it in Settings. */
export default function ShareDialog({
  conversationId,
  onClose,
}: {
  conversationId: string;
  onClose: () => void;
}) {
  const [share, setShare] = useState<Share | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

  const create = () => {
    setBusy(true);
    setError(null);
    api.createShare(conversationId).then(
      (r) => {
        setBusy(false);
        setShare(r.share);
      },
      (err: unknown) => {
        setBusy(false);
        setError((err as Error).message);
      },
    );
  };

  return (
    <Modal title="Share this chat" onClose={onClose}>
      <div class="dialog-body">
        <p>
          Anyone with the link can read the conversation as it is now, without signing in. Later messages are
          not shared. The link shows nothing about you; you can revoke it at any time under{' '}
          <Link href="/settings" onClick={onClose}>
            Settings
          </Link>
          .
        </p>
        {share && (
          <div class="share-link">
            <label for="share-url">Link</label>
            <input
              id="share-url"
              type="text"
              readOnly
              value={share.url}
              onFocus={(e) => e.currentTarget.select()}
            />
            <button
              type="button"
              class="button button-secondary button-small"
              onClick={() =>
                void navigator.clipboard?.writeText(share.url).then(() => {
                  setCopied(true);
                  setTimeout(() => setCopied(false), 1500);
                })
              }
            >
              {copied ? 'Copied' : 'Copy link'}
            </button>
          </div>
        )}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
      </div>
      <div class="dialog-actions">
        <button type="button" class="button button-secondary" onClick={onClose}>
          {share ? 'Done' : 'Cancel'}
        </button>
        {!share && (
          <button type="button" class="button button-primary" disabled={busy} onClick={create}>
            {busy ? 'Creating…' : 'Create link'}
          </button>
        )}
      </div>
    </Modal>
  );
}
