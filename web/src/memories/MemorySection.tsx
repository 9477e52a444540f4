import { useEffect, useRef, useState } from 'preact/hooks';
import { MAX_MEMORY_CHARS, type Memory, type MemoryKind } from '../../../shared/contracts/memories';
import { api } from '../api';
import { fieldErrors } from '../account/field-errors';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { formatDate } from '../format';
import { useSession } from '../session';
import '../styles/settings.css';

/** Where the "Memory updated" note under a reply leads (`/settings#memory`). */
export const MEMORY_SECTION_ID = 'memory';

/** A server refusal of a memory's text, as the sentence to show under the field. */
const textError = (err: unknown) => {
  const e = fieldErrors((err as Error).message, ['text']);
  return e.text ?? e.form ?? (err as Error).message;
};

function MemoryEditor({
  memory,
  onSaved,
  onCancel,
}: {
  memory: Memory;
  onSaved: (m: Memory) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState(memory.text);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = `memory-edit-${memory.id}`;
  return (
    <form
      class="settings-form memory-edit"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        api.updateMemory(memory.id, text).then(
          ({ memory: saved }) => onSaved(saved),
          (err: unknown) => {
            setBusy(false);
            setError(textError(err));
          },
        );
      }}
    >
      <label for={id}>Edit memory</label>
      <input
        id={id}
        value={text}
        maxLength={MAX_MEMORY_CHARS}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onInput={(e) => setText(e.currentTarget.value)}
        // Edits are short: Esc leaves the editor without saving.
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            onCancel();
          }
        }}
        autoFocus
      />
      {error && (
        <p id={`${id}-error`} class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="form-actions">
        <button type="button" class="button button-secondary button-small" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="button button-primary button-small" disabled={busy}>
          Save
        </button>
      </div>
    </form>
  );
}

function AddMemory({ onAdded }: { onAdded: (m: Memory) => void }) {
  const [text, setText] = useState('');
  const [kind, setKind] = useState<MemoryKind>('fact');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="settings-form memory-add"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        api.createMemory({ text, kind }).then(
          ({ memory }) => {
            setBusy(false);
            setText('');
            onAdded(memory);
          },
          (err: unknown) => {
            setBusy(false);
            setError(textError(err));
          },
        );
      }}
    >
      <div class="memory-add-row">
        <div>
          <label for="memory-new">Add a memory</label>
          <input
            id="memory-new"
            value={text}
            maxLength={MAX_MEMORY_CHARS}
            placeholder="e.g. Prefers metric units"
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'memory-new-error' : undefined}
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </div>
        <div>
          <label for="memory-new-kind">Kind</label>
          <select
            id="memory-new-kind"
            value={kind}
            onChange={(e) => setKind(e.currentTarget.value as MemoryKind)}
          >
            <option value="fact">Fact</option>
            <option value="preference">Preference</option>
          </select>
        </div>
        <button type="submit" class="button button-secondary" disabled={busy}>
          Add
        </button>
      </div>
      {error && (
        <p id="memory-new-error" class="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** Memory on or off for this account (`PATCH /api/settings {memoryEnabled}`). */
function MemorySwitch() {
  const session = useSession();
  const user = session.state.status === 'signed-in' ? session.state.user : null;
  /** What was just chosen, shown at once while the server saves it. */
  const [saving, setSaving] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!user) return null;
  const on = saving ?? user.memoryEnabled;
  return (
    <div class="memory-switch">
      <label class="switch-label">
        <input
          type="checkbox"
          role="switch"
          checked={on}
          disabled={saving !== null}
          onChange={(e) => {
            const memoryEnabled = e.currentTarget.checked;
            setSaving(memoryEnabled);
            setError(null);
            api
              .updateSettings({ memoryEnabled })
              .then(() => session.refresh())
              .catch((err: unknown) => setError((err as Error).message))
              .finally(() => setSaving(null));
          }}
        />
        Remember what I tell you
      </label>
      <p class="field-hint">
        {on
          ? 'After each reply, facts and preferences you state about yourself are kept, and the relevant ones are used in later chats. An incognito chat (an option on a new chat) is left out.'
          : 'Memory is off: nothing new is remembered and nothing below is used in chats.'}
      </p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * What the assistant remembers about the user (API.md Memories): memory on or off, every memory
 * with edit and delete, one added by hand, and forget everything behind a confirmation.
 */
export function MemorySection() {
  const [memories, setMemories] = useState<Memory[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [forgetting, setForgetting] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    api.memories().then(
      (r) => setMemories(r.memories),
      (err: unknown) => setError((err as Error).message),
    );
  }, []);

  // Opened from a reply's "Memory updated" note: show this section, not the top of the page.
  useEffect(() => {
    if (location.hash !== `#${MEMORY_SECTION_ID}`) return;
    heading.current?.scrollIntoView?.({ block: 'start' });
    heading.current?.focus({ preventScroll: true });
  }, []);

  const replace = (m: Memory) => setMemories((list) => list?.map((x) => (x.id === m.id ? m : x)) ?? null);

  const remove = (m: Memory) =>
    api.deleteMemory(m.id).then(
      () => {
        setMemories((list) => list?.filter((x) => x.id !== m.id) ?? null);
        setNotice(`Forgot “${m.text}”.`);
      },
      (err: unknown) => setError((err as Error).message),
    );

  const forgetAll = () => {
    setBusy(true);
    api.forgetMemories().then(
      () => {
        setMemories([]);
        setForgetting(false);
        setBusy(false);
        setNotice('Everything was forgotten.');
      },
      (err: unknown) => {
        setError((err as Error).message);
        setForgetting(false);
        setBusy(false);
      },
    );
  };

  return (
    <section id={MEMORY_SECTION_ID} class="page-section" aria-labelledby="settings-memory">
      <h2 id="settings-memory" class="section-title" tabIndex={-1} ref={heading}>
        Memory
      </h2>
      <MemorySwitch />
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="visually-hidden" role="status">
        {notice}
      </div>
      {!memories && !error && <div class="page-state" aria-busy="true" aria-label="Loading memories" />}
      {memories && memories.length === 0 && <p class="muted">Nothing is remembered about you.</p>}
      {memories && memories.length > 0 && (
        <ul class="memory-list" aria-label="What is remembered">
          {memories.map((m) => (
            <li key={m.id} class="memory-item">
              {editing === m.id ? (
                <MemoryEditor
                  memory={m}
                  onCancel={() => setEditing(null)}
                  onSaved={(saved) => {
                    replace(saved);
                    setEditing(null);
                    setNotice('Memory saved.');
                  }}
                />
              ) : (
                <>
                  <div class="memory-text">
                    <p>{m.text}</p>
                    <p class="field-hint">
                      {m.kind === 'preference' ? 'Preference' : 'Fact'} ·{' '}
                      {m.source === 'user' ? 'added or edited by you' : 'learned from a chat'} ·{' '}
                      {formatDate(m.updatedAt)}
                    </p>
                  </div>
                  <div class="memory-actions">
                    <button
                      type="button"
                      class="button button-secondary button-small"
                      onClick={() => setEditing(m.id)}
                    >
                      Edit <span class="visually-hidden">“{m.text}”</span>
                    </button>
                    <button
                      type="button"
                      class="button button-secondary button-small"
                      onClick={() => void remove(m)}
                    >
                      Delete <span class="visually-hidden">“{m.text}”</span>
                    </button>
                  </div>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {memories && <AddMemory onAdded={(m) => setMemories((list) => [m, ...(list ?? [])])} />}
      {memories && memories.length > 0 && (
        <p>
          <button type="button" class="button button-danger button-small" onClick={() => setForgetting(true)}>
            Forget everything
          </button>
        </p>
      )}
      <ConfirmDialog
        open={forgetting}
        title="Forget everything?"
        confirmLabel={busy ? 'Forgetting…' : 'Forget everything'}
        busy={busy}
        onConfirm={forgetAll}
        onCancel={() => setForgetting(false)}
      >
        <p>
          {memories?.length === 1 ? 'The one memory is' : `All ${memories?.length ?? 0} memories are`} deleted
          for good. This does not turn memory off: later chats can teach it new things unless you switch it
          off above.
        </p>
      </ConfirmDialog>
    </section>
  );
}
