import type { Citation } from '../../../shared/contracts/conversations';
import { api } from '../api';
import { DownloadIcon } from '../components/icons';
import '../styles/documents.css';

/** The id prefix of a reply's citation cards; `[n]` in its text links to `#{prefix}-{n}`. */
export const citationPrefix = (messageId: string) => `cite-${messageId}`.replace(/[^\w-]/g, '_');

interface CitationCardsProps {
  messageId: string;
  citations: Citation[];
  /** The card last pointed at by a marker in the reply. */
  active: number | null;
  fileUrl?: (documentId: string) => string;
}

/** The passages a reply cites: which document, which page, what it says, and the file itself. */
export function CitationCards({
  messageId,
  citations,
  active,
  fileUrl = api.documentFileUrl,
}: CitationCardsProps) {
  if (!citations.length) return null;
  const prefix = citationPrefix(messageId);
  return (
    <ol class="citations" aria-label="Sources">
      {citations.map((c) => (
        <li
          key={c.n}
          id={`${prefix}-${c.n}`}
          class={active === c.n ? 'citation-card is-active' : 'citation-card'}
          tabIndex={-1}
          data-testid="citation-card"
        >
          <div class="citation-head">
            <span class="citation-n">[{c.n}]</span>
            <span class="citation-name">{c.documentName}</span>
            {c.page !== null && <span class="citation-page">page {c.page}</span>}
            <a
              class="icon-button icon-button-small"
              href={fileUrl(c.documentId)}
              download={c.documentName}
              aria-label={`Download ${c.documentName}`}
              title="Download the document"
            >
              <DownloadIcon size={14} />
            </a>
          </div>
          <p class="citation-snippet">{c.snippet}</p>
        </li>
      ))}
    </ol>
  );
}
