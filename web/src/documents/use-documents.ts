import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Document } from '../../../shared/contracts/documents';
import { DIRECT_UPLOAD_MAX_BYTES, isApiError, putBlob, type ApiClient } from '../api/client';

/** How often the list is read again while any document is still being processed. */
export const POLL_INTERVAL_MS = 2000;

/** A file on its way up (before the server has a document for it, or while a large one is PUT). */
export interface Upload {
  key: number;
  name: string;
  /** 0 to 1 as the bytes leave the browser. */
  progress: number;
  error: string | null;
}

export interface DocumentsState {
  documents: Document[];
  uploads: Upload[];
  loading: boolean;
  error: string | null;
  upload: (files: Iterable<File>) => Promise<void>;
  remove: (id: string) => Promise<void>;
  dismissUpload: (key: number) => void;
  reload: () => Promise<void>;
}

let uploadSeq = 0;

const messageOf = (err: unknown) =>
  isApiError(err) ? err.message : 'The upload failed. Check your connection and try again.';

/**
 * One file up: small ones through `POST /api/documents`, larger ones through an upload link
 * (the bytes go straight to Blob Storage, with progress).
 */
export async function uploadFile(
  api: ApiClient,
  file: File,
  onProgress: (fraction: number) => void,
  put: typeof putBlob = putBlob,
): Promise<Document> {
  if (file.size <= DIRECT_UPLOAD_MAX_BYTES) {
    const document = await api.uploadDocument(file);
    onProgress(1);
    return document;
  }
  const link = await api.documentUploadUrl({
    name: file.name,
    size: file.size,
    ...(file.type ? { contentType: file.type } : {}),
  });
  await put(link.uploadUrl, file, onProgress);
  return link.document;
}

/** The user's documents, kept current: polled while any is processing, never otherwise. */
export function useDocuments(api: ApiClient, options: { put?: typeof putBlob } = {}): DocumentsState {
  const [documents, setDocuments] = useState<Document[]>([]);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const live = useRef(true);
  useEffect(
    () => () => {
      live.current = false;
    },
    [],
  );

  const reload = useCallback(async () => {
    try {
      const answer = await api.listDocuments();
      if (!live.current) return;
      setDocuments(answer.documents);
      setError(null);
    } catch (err) {
      if (live.current) setError(messageOf(err));
    } finally {
      if (live.current) setLoading(false);
    }
  }, [api]);

  useEffect(() => void reload(), [reload]);

  const processing = documents.some((d) => d.status === 'processing');
  useEffect(() => {
    if (!processing) return;
    const timer = setTimeout(() => void reload(), POLL_INTERVAL_MS);
    return () => clearTimeout(timer);
  }, [processing, documents, reload]);

  const patchUpload = (key: number, patch: Partial<Upload>) =>
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...patch } : u)));

  const upload = useCallback(
    async (files: Iterable<File>) => {
      await Promise.all(
        [...files].map(async (file) => {
          const key = ++uploadSeq;
          setUploads((list) => [...list, { key, name: file.name, progress: 0, error: null }]);
          try {
            const document = await uploadFile(
              api,
              file,
              (progress) => live.current && patchUpload(key, { progress }),
              options.put,
            );
            if (!live.current) return;
            setUploads((list) => list.filter((u) => u.key !== key));
            setDocuments((list) => [document, ...list.filter((d) => d.id !== document.id)]);
          } catch (err) {
            if (live.current) patchUpload(key, { error: messageOf(err) });
          }
        }),
      );
    },
    [api, options.put],
  );

  const remove = useCallback(
    async (id: string) => {
      await api.deleteDocument(id);
      if (live.current) setDocuments((list) => list.filter((d) => d.id !== id));
    },
    [api],
  );

  const dismissUpload = useCallback(
    (key: number) => setUploads((list) => list.filter((u) => u.key !== key)),
    [],
  );

  return { documents, uploads, loading, error, upload, remove, dismissUpload, reload };
}
