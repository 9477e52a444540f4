import { useRef, useState } from 'preact/hooks';
import type { Document } from '../../../shared/contracts/documents';
import { api as defaultApi } from '../api';
import type { ApiClient, putBlob } from '../api/client';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CheckIcon, CloseIcon, CopyIcon, DownloadIcon, TrashIcon } from '../components/icons';
import { useUser } from '../session';
import { useDocuments, type Upload } from './use-documents';
import '../styles/documents.css';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

function Progress({ value, label }: { value: number; label: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <div
      class="doc-progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
    >
      <span style={{ width: `${pct}%` }} />
    </div>
  );
}

function StatusBadge({ document }: { document: Document }) {
  if (document.status === 'ready') return <span class="badge doc-status is-ready">Ready</span>;
  if (document.status === 'failed') return <span class="badge doc-status is-failed">Failed</span>;
  return (
    <span class="badge doc-status is-processing">Processing {Math.round(document.progress * 100)}%</span>
  );
}

function DocumentRow({
  document,
  api,
  onDelete,
}: {
  document: Document;
  api: ApiClient;
  onDelete: () => void;
}) {
  const details = [
    formatBytes(document.size),
    document.pages ? `${document.pages} ${document.pages === 1 ? 'page' : 'pages'}` : null,
    document.source === 'inbox' ? 'from the inbox' : null,
  ].filter(Boolean);
  return (
    <li class="doc-row" data-status={document.status} data-testid="document-row">
      <div class="doc-main">
        <span class="doc-name" title={document.name}>
          {document.name}
        </span>
        <StatusBadge document={document} />
        <span class="doc-details">{details.join(' · ')}</span>
      </div>
      {document.status === 'processing' && (
        <Progress value={document.progress} label={`Processing ${document.name}`} />
      )}
      {document.status === 'failed' && document.error && (
        <p class="doc-error" role="alert">
          {document.error}
        </p>
      )}
      <div class="doc-actions">
        <a
          class="icon-button icon-button-small"
          href={api.documentFileUrl(document.id)}
          download={document.name}
          aria-label={`Download ${document.name}`}
          title="Download the original"
        >
          <DownloadIcon size={15} />
        </a>
        <button
          type="button"
          class="icon-button icon-button-small"
          aria-label={`Delete ${document.name}`}
          title="Delete"
          onClick={onDelete}
        >
          <TrashIcon size={15} />
        </button>
      </div>
    </li>
  );
}

function UploadRow({ upload, onDismiss }: { upload: Upload; onDismiss: () => void }) {
  return (
    <li class="doc-row" data-status={upload.error ? 'failed' : 'uploading'}>
      <div class="doc-main">
        <span class="doc-name">{upload.name}</span>
        <span class={upload.error ? 'badge doc-status is-failed' : 'badge doc-status is-processing'}>
          {upload.error ? 'Not uploaded' : `Uploading ${Math.round(upload.progress * 100)}%`}
        </span>
      </div>
      {!upload.error && <Progress value={upload.progress} label={`Uploading ${upload.name}`} />}
      {upload.error && (
        <p class="doc-error" role="alert">
          {upload.error}
        </p>
      )}
      {upload.error && (
        <div class="doc-actions">
          <button
            type="button"
            class="icon-button icon-button-small"
            aria-label={`Dismiss ${upload.name}`}
            onClick={onDismiss}
          >
            <CloseIcon size={15} />
          </button>
        </div>
      )}
    </li>
  );
}

function InboxPath({ userId }: { userId: string }) {
  const path = `inbox/${userId}/`;
  const [copied, setCopied] = useState(false);
  return (
    <div class="doc-inbox">
      <p>
        Or put files in the storage account's <code>inbox</code> container under this path (Storage Explorer,
        azcopy, a script): they become your documents.
      </p>
      <div class="doc-inbox-path">
        <code data-testid="inbox-path">{path}</code>
        <button
          type="button"
          class="button button-secondary button-small"
          onClick={() => {
            void navigator.clipboard?.writeText(path).then(() => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            });
          }}
        >
          {copied ? <CheckIcon size={14} /> : <CopyIcon size={14} />}
          {copied ? 'Copied' : 'Copy path'}
        </button>
      </div>
    </div>
  );
}

export interface DocumentsPageProps {
  api?: ApiClient;
  /** For tests: how large files are PUT to their upload link. */
  put?: typeof putBlob;
}

export default function DocumentsPage({ api = defaultApi, put }: DocumentsPageProps) {
  const user = useUser();
  const docs = useDocuments(api, put ? { put } : {});
  const fileInput = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [deleting, setDeleting] = useState<Document | null>(null);
  const [busy, setBusy] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);

  return (
    <div class="page documents-page">
      <div class="page-head">
        <h1 class="page-title">Documents</h1>
      </div>
      <p class="doc-lede">
        Replies search your ready documents and cite them as [1], [2]… You can also pick documents for a
        single message in the message box.
      </p>
      <div
        class={dragging ? 'doc-drop is-dragging' : 'doc-drop'}
        data-testid="document-drop"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          const files = e.dataTransfer?.files;
          if (files?.length) void docs.upload(files);
        }}
      >
        <p>Drop files here (PDF, Word, HTML, Markdown, CSV, JSON or text)</p>
        <button type="button" class="button" onClick={() => fileInput.current?.click()}>
          Choose files
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          class="visually-hidden"
          aria-label="Upload documents"
          tabIndex={-1}
          onChange={(e) => {
            const input = e.currentTarget;
            if (input.files?.length) void docs.upload([...input.files]);
            input.value = '';
          }}
        />
      </div>
      {docs.error && (
        <p class="notice notice-error" role="alert">
          {docs.error}{' '}
          <button type="button" class="link-button" onClick={() => void docs.reload()}>
            Try again
          </button>
        </p>
      )}
      {deleteError && (
        <p class="notice notice-error" role="alert">
          {deleteError}
        </p>
      )}
      {docs.loading ? (
        <div class="page-state" aria-busy="true" aria-label="Loading documents" />
      ) : (
        <ul class="doc-list" aria-label="Your documents">
          {docs.uploads.map((u) => (
            <UploadRow key={`u${u.key}`} upload={u} onDismiss={() => docs.dismissUpload(u.key)} />
          ))}
          {docs.documents.map((d) => (
            <DocumentRow key={d.id} document={d} api={api} onDelete={() => setDeleting(d)} />
          ))}
          {!docs.uploads.length && !docs.documents.length && <li class="doc-empty">No documents yet.</li>}
        </ul>
      )}
      <InboxPath userId={user.id} />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this document?"
        confirmLabel="Delete"
        busy={busy}
        onCancel={() => setDeleting(null)}
        onConfirm={() => {
          if (!deleting) return;
          setBusy(true);
          setDeleteError(null);
          docs
            .remove(deleting.id)
            .catch((err: unknown) =>
              setDeleteError((err as Error).message || 'The document could not be deleted. Try again.'),
            )
            .finally(() => {
              setBusy(false);
              setDeleting(null);
            });
        }}
      >
        {deleting?.name} and its passages are removed; replies will no longer cite it.
      </ConfirmDialog>
    </div>
  );
}
