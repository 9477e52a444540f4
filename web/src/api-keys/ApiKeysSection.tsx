import { useEffect, useState } from 'preact/hooks';
import type { ApiKey, CreatedApiKey } from '../../../shared/contracts/api-keys';
import { fieldErrors } from '../account/field-errors';
import { api } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { formatDate, formatNumber } from '../format';
import { snippets } from './snippets';
import '../styles/settings.css';

const FIELDS = ['name', 'spendLimitCredits'] as const;
type Tab = keyof ReturnType<typeof snippets>;
const TABS: { id: Tab; label: string }[] = [
  { id: 'curl', label: 'curl' },
  { id: 'python', label: 'Python' },
  { id: 'javascript', label: 'JavaScript' },
];

/** The secret of a key just created, once, with examples that use it. */
function NewSecret({
  created,
  model,
  onDone,
}: {
  created: CreatedApiKey;
  model: string;
  onDone: () => void;
}) {
  const [tab, setTab] = useState<Tab>('curl');
  const [copied, setCopied] = useState('');
  const code = snippets(location.origin, created.secret, model);
  const copy = (text: string, what: string) =>
    void navigator.clipboard?.writeText(text).then(() => setCopied(`${what} copied.`));
  return (
    <div class="card api-key-secret" role="region" aria-label={`New key ${created.key.name}`}>
      <p>
        <strong>Copy the secret of “{created.key.name}” now.</strong> It is shown only this once; we keep only
        a hash of it.
      </p>
      <p class="secret-row">
        <code data-testid="api-key-secret">{created.secret}</code>{' '}
        <button type="button" class="button button-small" onClick={() => copy(created.secret, 'Secret')}>
          Copy secret
        </button>
      </p>
      <div role="tablist" aria-label="Example">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`api-snippet-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls="api-snippet"
            class={tab === t.id ? 'button button-small active' : 'button button-small'}
            onClick={() => setTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <pre id="api-snippet" role="tabpanel" aria-labelledby={`api-snippet-tab-${tab}`} tabIndex={0}>
        <code>{code[tab]}</code>
      </pre>
      <p>
        <button type="button" class="button button-small" onClick={() => copy(code[tab], 'Example')}>
          Copy example
        </button>{' '}
        <button type="button" class="button button-small" onClick={onDone}>
          Done
        </button>{' '}
        <span role="status" class="muted">
          {copied}
        </span>
      </p>
    </div>
  );
}

/**
 * Personal keys for the OpenAI-compatible API (`/api/v1`): create with an optional spend limit,
 * see what each spent and when it was last used, revoke. Calls are billed to the same credits.
 */
export function ApiKeysSection({ defaultModel }: { defaultModel: string }) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [loadError, setLoadError] = useState('');
  const [name, setName] = useState('');
  const [limit, setLimit] = useState('');
  const [errors, setErrors] = useState<Partial<Record<(typeof FIELDS)[number] | 'form', string>>>({});
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);

  const load = () =>
    api.apiKeys().then(
      (r) => setKeys(r.keys),
      (err: unknown) => setLoadError((err as Error).message),
    );
  useEffect(() => void load(), []);

  const submit = (e: Event) => {
    e.preventDefault();
    setErrors({});
    setBusy(true);
    // The server's rules (and sentences) decide what is valid; an empty limit is "none".
    const spendLimitCredits = limit.trim() === '' ? null : Number(limit);
    api.createApiKey({ name, spendLimitCredits }).then(
      (r) => {
        setBusy(false);
        setCreated(r);
        setName('');
        setLimit('');
        void load();
      },
      (err: unknown) => {
        setBusy(false);
        setErrors(fieldErrors((err as Error).message, FIELDS));
      },
    );
  };

  const revoke = () => {
    const key = revoking;
    if (!key) return;
    api.revokeApiKey(key.id).then(
      () => {
        setRevoking(null);
        if (created?.key.id === key.id) setCreated(null);
        void load();
      },
      (err: unknown) => {
        setRevoking(null);
        setLoadError((err as Error).message);
      },
    );
  };

  return (
    <section class="page-section" aria-labelledby="settings-api-keys">
      <h2 id="settings-api-keys" class="section-title">
        API keys
      </h2>
      <p class="muted">
        Use your credits from scripts, editors and other apps through the OpenAI-compatible API at{' '}
        <code>{location.origin}/api/v1</code>. Every call is billed like a chat reply.
      </p>
      {created && <NewSecret created={created} model={defaultModel} onDone={() => setCreated(null)} />}
      {loadError && <p role="alert">{loadError}</p>}
      {keys && keys.length === 0 && <p class="muted">No API keys yet.</p>}
      {keys && keys.length > 0 && (
        <table class="data-table">
          <caption class="visually-hidden">Your API keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Spent / limit (credits)</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>
                  {formatNumber(k.spentCredits)} /{' '}
                  {k.spendLimitCredits === null ? 'no limit' : formatNumber(k.spendLimitCredits)}
                </td>
                <td>{k.lastUsedAt ? formatDate(k.lastUsedAt) : 'never'}</td>
                <td>
                  <button
                    type="button"
                    class="button button-small"
                    aria-label={`Revoke ${k.name}`}
                    onClick={() => setRevoking(k)}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="settings-form" onSubmit={submit} noValidate>
        <div class="field">
          <label for="api-key-name">Name</label>
          <input
            id="api-key-name"
            value={name}
            placeholder="e.g. my editor"
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={errors.name ? 'api-key-name-error' : undefined}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          {errors.name && (
            <p id="api-key-name-error" class="form-error">
              {errors.name}
            </p>
          )}
        </div>
        <div class="field">
          <label for="api-key-limit">Spend limit (credits, optional)</label>
          <input
            id="api-key-limit"
            inputMode="numeric"
            value={limit}
            aria-invalid={errors.spendLimitCredits ? true : undefined}
            aria-describedby={errors.spendLimitCredits ? 'api-key-limit-error' : undefined}
            onInput={(e) => setLimit(e.currentTarget.value)}
          />
          {errors.spendLimitCredits && (
            <p id="api-key-limit-error" class="form-error">
              {errors.spendLimitCredits}
            </p>
          )}
        </div>
        {errors.form && <p role="alert">{errors.form}</p>}
        <p>
          <button type="submit" class="button button-primary button-small" disabled={busy}>
            {busy ? 'Creating…' : 'Create key'}
          </button>
        </p>
      </form>
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this key?"
        confirmLabel="Revoke key"
        onConfirm={revoke}
        onCancel={() => setRevoking(null)}
      >
        <p>
          “{revoking?.name}” stops working at once, also for calls running now. Apps that use it will get 401
          errors.
        </p>
      </ConfirmDialog>
    </section>
  );
}
