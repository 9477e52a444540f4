import { useEffect, useRef, useState } from 'preact/hooks';
import type { Preset } from '../../../shared/contracts/presets';
import { api } from '../api';
import { conversationPath, Link, navigate } from '../router';
import { ChevronDownIcon } from './icons';

/**
 * "New chat from preset": the presets load when the menu opens; choosing one creates a
 * conversation with the preset's model and settings and opens it.
 */
export function PresetMenu({ onStarted }: { onStarted: () => void }) {
  const [open, setOpen] = useState(false);
  const [presets, setPresets] = useState<Preset[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    setError(null);
    api.presets().then(
      (r) => setPresets(r.presets),
      (err: unknown) => setError((err as Error).message),
    );
    const outside = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, [open]);

  const start = (preset: Preset) => {
    setBusy(true);
    api.createConversation({ presetId: preset.id }).then(
      ({ conversation }) => {
        setBusy(false);
        setOpen(false);
        navigate(conversationPath(conversation.id));
        onStarted();
        requestAnimationFrame(() => document.getElementById('composer-input')?.focus());
      },
      (err: unknown) => {
        setBusy(false);
        setError((err as Error).message);
      },
    );
  };

  return (
    <div
      class="preset-menu"
      ref={root}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.preventDefault();
          e.stopPropagation();
          setOpen(false);
          toggle.current?.focus();
        }
      }}
    >
      <button
        ref={toggle}
        type="button"
        class="button button-ghost button-small preset-menu-toggle"
        aria-expanded={open}
        aria-controls="preset-menu-list"
        onClick={() => setOpen(!open)}
      >
        New chat from preset <ChevronDownIcon size={14} />
      </button>
      {open && (
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
          <Link class="preset-menu-manage" href="/settings" onClick={() => setOpen(false)}>
            Manage presets
          </Link>
        </div>
      )}
    </div>
  );
}
