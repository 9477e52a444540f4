import { useEffect, useState } from 'preact/hooks';
import type { Model } from '../../../shared/contracts/models';
import type { Preset } from '../../../shared/contracts/presets';
import type { Share } from '../../../shared/contracts/shares';
import { DeleteAccount } from '../account/DeleteAccount';
import { ApiKeysSection } from '../api-keys/ApiKeysSection';
import { SpendingSettings } from '../account/SpendingSettings';
import { api } from '../api';
import { REPLY_LENGTHS } from '../components/Composer';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { LinkedAccounts } from '../components/LinkedAccounts';
import { formatDate, formatNumber } from '../format';
import { MemorySection } from '../memories/MemorySection';
import { conversationPath, Link, navigate } from '../router';
import { useSession } from '../session';

type Draft = { name: string; model: string; systemPrompt: string; temperature: string; maxTokens: string };

const toDraft = (p?: Preset): Draft => ({
  name: p?.name ?? '',
  model: p?.model ?? '',
  systemPrompt: p?.systemPrompt ?? '',
  temperature: p?.temperature === null || p?.temperature === undefined ? '' : String(p.temperature),
  maxTokens: p?.maxTokens === null || p?.maxTokens === undefined ? '' : String(p.maxTokens),
});

function PresetForm({
  initial,
  models,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial: Draft;
  models: Model[];
  submitLabel: string;
  onSubmit: (d: Draft) => Promise<void>;
  onCancel?: () => void;
}) {
  const [d, setD] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = (f: string) => `preset-${submitLabel.replace(/\W+/g, '-').toLowerCase()}-${f}`;
  const set = (k: keyof Draft) => (e: { currentTarget: { value: string } }) =>
    setD({ ...d, [k]: e.currentTarget.value });
  return (
    <form
      class="settings-form preset-form"
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        onSubmit(d).then(
          () => {
            setBusy(false);
            if (!onCancel) setD(toDraft());
          },
          (err: unknown) => {
            setBusy(false);
            setError((err as Error).message);
          },
        );
      }}
    >
      <div class="settings-row">
        <div>
          <label for={id('name')}>Name</label>
          <input id={id('name')} required maxLength={80} value={d.name} onInput={set('name')} />
        </div>
        <div>
          <label for={id('model')}>Model</label>
          <input id={id('model')} required list="preset-models" value={d.model} onInput={set('model')} />
        </div>
      </div>
      <label for={id('prompt')}>System prompt</label>
      <textarea
        id={id('prompt')}
        rows={3}
        maxLength={8000}
        value={d.systemPrompt}
        onInput={set('systemPrompt')}
      />
      <div class="settings-row">
        <div>
          <label for={id('temperature')}>Temperature</label>
          <input
            id={id('temperature')}
            type="number"
            min={0}
            max={2}
            step={0.1}
            placeholder="Default"
            value={d.temperature}
            onInput={set('temperature')}
          />
        </div>
        <div>
          <label for={id('length')}>Reply length</label>
          <select id={id('length')} value={d.maxTokens} onChange={set('maxTokens')}>
            {REPLY_LENGTHS.map((n) => (
              <option key={n ?? 'default'} value={n === null ? '' : String(n)}>
                {n === null ? 'Default length' : `Up to ${formatNumber(n)} tokens`}
              </option>
            ))}
            {d.maxTokens && !REPLY_LENGTHS.includes(Number(d.maxTokens)) && (
              <option value={d.maxTokens}>Up to {formatNumber(Number(d.maxTokens))} tokens</option>
            )}
          </select>
        </div>
      </div>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="form-actions">
        {onCancel && (
          <button type="button" class="button button-secondary button-small" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" class="button button-primary button-small" disabled={busy}>
          {submitLabel}
        </button>
      </div>
      {models.length > 0 && (
        <datalist id="preset-models">
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </datalist>
      )}
    </form>
  );
}

const fromDraft = (d: Draft) => ({
  name: d.name.trim(),
  model: d.model.trim(),
  systemPrompt: d.systemPrompt.trim() ? d.systemPrompt : null,
  temperature: d.temperature.trim() === '' ? null : Number(d.temperature),
  maxTokens: d.maxTokens === '' ? null : Number(d.maxTokens),
});

function Presets({ models }: { models: Model[] }) {
  const [presets, setPresets] = useState<Preset[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  useEffect(() => {
    api.presets().then(
      (r) => setPresets(r.presets),
      (err: unknown) => setError((err as Error).message),
    );
  }, []);

  const start = (p: Preset) =>
    api.createConversation({ presetId: p.id }).then(
      ({ conversation }) => navigate(conversationPath(conversation.id)),
      (err: unknown) => setError((err as Error).message),
    );
  const remove = (p: Preset) =>
    api.deletePreset(p.id).then(
      () => setPresets((list) => list?.filter((x) => x.id !== p.id) ?? null),
      (err: unknown) => setError((err as Error).message),
    );

  return (
    <section class="page-section" aria-labelledby="settings-presets">
      <h2 id="settings-presets" class="section-title">
        Presets
      </h2>
      <p class="muted">
        A preset starts a new chat with its model, system prompt, temperature and reply length.
      </p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {!presets && !error && <div class="page-state" aria-busy="true" aria-label="Loading presets" />}
      {presets && presets.length === 0 && <p class="muted">No presets yet: create one below.</p>}
      {presets && presets.length > 0 && (
        <ul class="preset-list">
          {presets.map((p) => (
            <li key={p.id} class="preset-item">
              {editing === p.id ? (
                <PresetForm
                  initial={toDraft(p)}
                  models={models}
                  submitLabel="Save preset"
                  onCancel={() => setEditing(null)}
                  onSubmit={async (d) => {
                    const { preset } = await api.updatePreset(p.id, fromDraft(d));
                    setPresets((list) => list?.map((x) => (x.id === p.id ? preset : x)) ?? null);
                    setEditing(null);
                  }}
                />
              ) : (
                <>
                  <div class="preset-summary">
                    <h3 class="preset-name">{p.name}</h3>
                    <p class="muted">
                      {p.model}
                      {p.temperature !== null && ` · temperature ${p.temperature}`}
                      {p.maxTokens !== null && ` · up to ${formatNumber(p.maxTokens)} tokens`}
                    </p>
                    {p.systemPrompt && <p class="preset-prompt">{p.systemPrompt}</p>}
                  </div>
                  <div class="preset-actions">
                    <button
                      type="button"
                      class="button button-primary button-small"
                      onClick={() => void start(p)}
                    >
                      New chat <span class="visually-hidden">from {p.name}</span>
                    </button>
                    <button
                      type="button"
                      class="button button-secondary button-small"
                      onClick={() => setEditing(p.id)}
                    >
                      Edit <span class="visually-hidden">{p.name}</span>
                    </button>
                    <button
                      type="button"
                      class="button button-secondary button-small"
                      onClick={() => void remove(p)}
                    >
                      Delete <span class="visually-hidden">{p.name}</span>
                    </button>
                  </div>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <h3 class="subsection-title">New preset</h3>
      <PresetForm
        initial={toDraft()}
        models={models}
        submitLabel="Create preset"
        onSubmit={async (d) => {
          const { preset } = await api.createPreset(fromDraft(d));
          setPresets((list) => [...(list ?? []), preset]);
        }}
      />
    </section>
  );
}

function SharedLinks() {
  const [shares, setShares] = useState<Share[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Share | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.shares().then(
      (r) => setShares(r.shares),
      (err: unknown) => setError((err as Error).message),
    );
  }, []);
  const revoke = () => {
    if (!revoking) return;
    setBusy(true);
    api.revokeShare(revoking.id).then(
      () => {
        setShares((list) => list?.filter((s) => s.id !== revoking.id) ?? null);
        setRevoking(null);
        setBusy(false);
      },
      (err: unknown) => {
        setError((err as Error).message);
        setRevoking(null);
        setBusy(false);
      },
    );
  };
  return (
    <section class="page-section" aria-labelledby="settings-shares">
      <h2 id="settings-shares" class="section-title">
        Shared links
      </h2>
      <p class="muted">
        Each link shows a chat as it was when you shared it. Revoked links stop working at once.
      </p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {!shares && !error && <div class="page-state" aria-busy="true" aria-label="Loading shared links" />}
      {shares && shares.length === 0 && <p class="muted">You have not shared any chat.</p>}
      {shares && shares.length > 0 && (
        <div class="table-scroll">
          <table class="data-table">
            <thead>
              <tr>
                <th scope="col">Chat</th>
                <th scope="col">Shared</th>
                <th scope="col" class="num">
                  Messages
                </th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shares.map((s) => (
                <tr key={s.id}>
                  <th scope="row">
                    <a href={s.url} target="_blank" rel="noopener noreferrer">
                      {s.title ?? 'Untitled chat'}
                    </a>
                  </th>
                  <td>{formatDate(s.createdAt)}</td>
                  <td class="num">{s.messageCount}</td>
                  <td>
                    <button
                      type="button"
                      class="button button-secondary button-small"
                      onClick={() => setRevoking(s)}
                    >
                      Revoke <span class="visually-hidden">the link to {s.title ?? 'Untitled chat'}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this link?"
        confirmLabel={busy ? 'Revoking…' : 'Revoke'}
        busy={busy}
        onConfirm={revoke}
        onCancel={() => setRevoking(null)}
      >
        <p>
          Anyone who opens the link to “{revoking?.title ?? 'Untitled chat'}” will see that it no longer
          exists.
        </p>
      </ConfirmDialog>
    </section>
  );
}

export default function SettingsPage({ models }: { models: Model[] }) {
  const session = useSession();
  const user = session.state.status === 'signed-in' ? session.state.user : null;
  return (
    <div class="page">
      <div class="page-head">
        <h1 class="page-title">Settings</h1>
      </div>
      <MemorySection />
      {/* Keyed by the user: the inputs start from what the server has after a save elsewhere. */}
      {user && <SpendingSettings key={user.id} user={user} />}
      <Presets models={models} />
      <SharedLinks />
      <ApiKeysSection
        defaultModel={models.find((m) => !m.free)?.id ?? models[0]?.id ?? 'openai/gpt-4o-mini'}
      />
      <LinkedAccounts />
      {user && <DeleteAccount user={user} />}
      <p class="muted">
        <Link href="/usage">Usage and account activity</Link>
      </p>
    </div>
  );
}
