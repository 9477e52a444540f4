import { useEffect, useState } from 'preact/hooks';
import type { Preset } from '../../../shared/contracts/presets';
import { api } from '../api';
import { conversationPath, Link, navigate } from '../router';

/**
 * The open "New chat from preset" menu (its own chunk): the presets load when it opens; choosing
 * one creates a conversation with the preset's model and settings and opens it.
 */
export default function PresetMenuList({ onDone }: { onDone: (started: boolean) => void }) {
  const [presets, setPresets] = useState<Preset[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.presets().then(
      (r) => setPresets(r.presets),
      (err: unknown) => setError((err as Error).message),
    );
  }, []);

  const start = (preset: Preset) => {
    setBusy(true);
    api.createConversation({ presetId: preset.id }).then(
      ({ conversation }) => {
        setBusy(false);
        navigate(conversationPath(conversation.id));
        onDone(true);
        requestAnimationFrame(() => document.getElementById('composer-input')?.focus());
      },
      (err: unknown) => {
        setBusy(false);
        setError((err as Error).message);
      },
    );
  };

  return (
    <div id="preset-menu-list" class="preset-menu-popover" aria-busy={presets === null && !error}>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {presets && presets.length === 0 && <p class="muted">No presets yet.</p>}
      {presets && presets.length > 0 && (
        <ul aria-label="Presets">
          {presets.map((p) => (
            <li key={p.id}>
              <button type="button" class="preset-menu-item" disabled={busy} onClick={() => start(p)}>
                <span class="preset-menu-name">{p.name}</span>
                <span class="preset-menu-model">{p.model}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <Link class="preset-menu-manage" href="/settings" onClick={() => onDone(false)}>
        Manage presets
      </Link>
    </div>
  );
}
