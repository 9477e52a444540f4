import { useEffect, useRef, useState } from 'preact/hooks';
import type { Document } from '../../../shared/contracts/documents';
import { api } from '../api';
import { Link } from '../router';
import { DocumentIcon } from './DocumentIcon';

interface DocumentPickerProps {
  /** The documents this message is restricted to; empty: all ready documents are searched. */
  selected: string[];
  onChange: (ids: string[]) => void;
  /** How the list is read (the first time the menu opens). */
  load?: () => Promise<{ documents: Document[] }>;
}

/** A compact menu in the composer: restrict the next messages to some of the user's documents. */
export function DocumentPicker({ selected, onChange, load = api.listDocuments }: DocumentPickerProps) {
  const [open, setOpen] = useState(false);
  const [documents, setDocuments] = useState<Document[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    let live = true;
    load().then(
      (answer) => live && setDocuments(answer.documents.filter((d) => d.status === 'ready')),
      () => live && setError('Your documents could not be loaded. Try again in a moment.'),
    );
    const outside = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', outside);
    return () => {
      live = false;
      document.removeEventListener('mousedown', outside);
    };
  }, [open]);

  const toggle = (id: string, on: boolean) =>
    onChange(on ? [...selected, id] : selected.filter((x) => x !== id));

  return (
    <div
      class="doc-picker"
      ref={root}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.stopPropagation();
          setOpen(false);
          root.current?.querySelector<HTMLButtonElement>('.doc-picker-toggle')?.focus();
        }
      }}
    >
      <button
        type="button"
        class="button button-secondary button-small doc-picker-toggle"
        aria-expanded={open}
        aria-haspopup="true"
        title="Search only some of your documents for the next messages"
        onClick={() => setOpen(!open)}
      >
        <DocumentIcon size={14} />
        {selected.length ? `${selected.length} document${selected.length === 1 ? '' : 's'}` : 'All documents'}
      </button>
      {open && (
        <div class="doc-picker-menu" role="group" aria-label="Documents to search">
          {error && <p role="alert">{error}</p>}
          {!error && documents === null && <p aria-busy="true">Loading documents…</p>}
          {documents?.length === 0 && (
            <p>
              No ready documents. <Link href="/documents">Upload some</Link>.
            </p>
          )}
          {documents && documents.length > 0 && (
            <>
              <p>Replies search only the documents ticked (none ticked: all of them).</p>
              {documents.map((d) => (
                <label key={d.id}>
                  <input
                    type="checkbox"
                    checked={selected.includes(d.id)}
                    onChange={(e) => toggle(d.id, e.currentTarget.checked)}
                  />
                  {d.name}
                </label>
              ))}
              {selected.length > 0 && (
                <button type="button" class="link-button" onClick={() => onChange([])}>
                  Search all documents
                </button>
              )}
            </>
          )}
        </div>
      )}
    </div>
  );
}
