import { createHash } from 'node:crypto';
import type { Clock } from '../clock';
import { blobSafeName, type Document, type UploadUrlBody } from '../contracts/documents';
import type { Db } from '../db/db';
import type { Embedder } from '../embeddings/embedder';
import { AppError, notFound } from '../errors';
import { newId } from '../ids';
import type { BlobStore } from '../storage/blobs';
import type { VectorStore } from '../vectors/store';
import { chunkPages } from './chunk';
import { DocumentRejected, extractDocument } from './extract';
import { sniffDocument } from './sniff';
import { documentStore, type DocumentRow } from './store';

export const DOCUMENTS_CONTAINER = 'documents';
export const INBOX_CONTAINER = 'inbox';
/** Upload links last this long: enough for a large file on a slow line, short enough to be useless later. */
const UPLOAD_LINK_MS = 15 * 60_000;
/** One embeddings call takes at most this many inputs (Azure OpenAI's limit is higher; 64 keeps calls short). */
export const EMBED_BATCH = 64;

const UNSUPPORTED =
  'We can read PDF, Word (.docx), HTML, Markdown, CSV, JSON and plain text files; this file is none of those.';

export const toDocument = (r: DocumentRow): Document => ({
  id: r.id,
  name: r.name,
  contentType: r.content_type,
  size: Number(r.size),
  source: r.source,
  status: r.status,
  error: r.error,
  pages: r.pages,
  chunkCount: r.chunk_count,
  progress: Number(r.progress),
  createdAt: r.created_at.toISOString(),
});

/**
 * The durable instance id of one blob version: a redelivered event for the same version starts
 * the same id (which the extension refuses as running or done), a new version a new one.
 * Hashed: ids may not hold `/` and must stay under 100 printable characters.
 */
export const ingestInstanceId = (container: string, blobName: string, etag: string) =>
  `ingest-${createHash('sha256').update(`${container}/${blobName}\n${etag}`).digest('hex').slice(0, 40)}`;

export type DocumentService = ReturnType<typeof documentService>;

export function documentService(deps: {
  db: Db;
  clock: Clock;
  blobs: BlobStore;
  embedder: Embedder;
  vectors: VectorStore;
  maxBytes: number;
  log?: (msg: string, err?: unknown) => void;
}) {
  const { db, clock, blobs } = deps;
  const store = () => documentStore(db);
  const tooLarge = () =>
    new AppError(
      'too_large',
      `Files can be at most ${Math.round(deps.maxBytes / 1024 / 1024)} MB; this one is larger. Split it, or upload a smaller one.`,
    );

  return {
    /** A file posted to the API: typed from its bytes, kept as a blob; the blob's arrival starts ingestion. */
    async upload(userId: string, file: { name: string; bytes: Uint8Array }): Promise<Document> {
      if (file.bytes.byteLength === 0) throw new AppError('invalid_request', 'The file is empty.');
      if (file.bytes.byteLength > deps.maxBytes) throw tooLarge();
      const type = await sniffDocument(file.bytes);
      if (!type) throw new AppError('unsupported_type', UNSUPPORTED);
      const id = newId();
      const name = file.name.trim().slice(0, 200) || 'file';
      const blobName = `${userId}/${id}/${blobSafeName(name)}`;
      const row = await store().insert({
        id,
        userId,
        name,
        contentType: type.contentType,
        size: file.bytes.byteLength,
        source: 'upload',
        container: DOCUMENTS_CONTAINER,
        blobName,
        at: clock.now(),
      });
      try {
        await blobs.put(DOCUMENTS_CONTAINER, blobName, file.bytes, type.contentType);
      } catch (err) {
        await store().delete(userId, id);
        throw err;
      }
      return toDocument(row);
    },

    /** A document waiting for its bytes, and a write-only link for the browser to PUT them to. */
    async uploadUrl(userId: string, body: UploadUrlBody) {
      if (body.size > deps.maxBytes) throw tooLarge();
      const id = newId();
      const blobName = `${userId}/${id}/${blobSafeName(body.name)}`;
      const row = await store().insert({
        id,
        userId,
        name: body.name,
        contentType: body.contentType ?? 'application/octet-stream',
        size: body.size,
        source: 'upload',
        container: DOCUMENTS_CONTAINER,
        blobName,
        at: clock.now(),
      });
      const expiresAt = new Date(clock.now().getTime() + UPLOAD_LINK_MS);
      return {
        document: toDocument(row),
        uploadUrl: await blobs.uploadUrl(DOCUMENTS_CONTAINER, blobName, expiresAt),
        expiresAt: expiresAt.toISOString(),
      };
    },

    async list(userId: string): Promise<Document[]> {
      return (await store().list(userId)).map(toDocument);
    },

    async get(userId: string, id: string): Promise<Document> {
      const row = await store().get(userId, id);
      if (!row) throw notFound('Document');
      return toDocument(row);
    },

    async file(userId: string, id: string) {
      const row = await store().get(userId, id);
      if (!row) throw notFound('Document');
      const blob = await blobs.get(row.blob_container, row.blob_name);
      if (!blob) throw new AppError('not_found', 'The file of this document is gone. Upload it again.');
      return { name: row.name, contentType: row.content_type, bytes: blob.bytes };
    },

    /** Removes the row, the chunks and vectors, and the blob; returns the ingestion to stop, if any. */
    async delete(userId: string, id: string): Promise<{ instanceId: string | null }> {
      const row = await store().delete(userId, id);
      if (!row) throw notFound('Document');
      await deps.vectors.deleteDocument(userId, id);
      await blobs.delete(row.blob_container, row.blob_name);
      return { instanceId: row.status === 'processing' ? row.instance_id : null };
    },

    /** Every document of the user, for account deletion: rows, chunks, vectors and blobs. */
    async deleteAll(userId: string): Promise<void> {
      for (let rows = await store().list(userId); rows.length; rows = await store().list(userId)) {
        for (const row of rows) await this.delete(userId, row.id);
      }
    },

    /**
     * A blob arrived (upload, upload link, or an inbox drop). Returns what to ingest, or null:
     * a blob nobody owns is left alone, a redelivered version is not ingested twice.
     */
    async blobArrived(b: {
      container: string;
      blobName: string;
      etag: string;
      size: number;
    }): Promise<{ documentId: string; instanceId: string } | null> {
      const at = clock.now();
      let row: DocumentRow | null;
      if (b.container === DOCUMENTS_CONTAINER) {
        row = await store().byBlob(b.container, b.blobName);
      } else if (b.container === INBOX_CONTAINER) {
        const [userId, ...rest] = b.blobName.split('/');
        const owner = userId ? await db.maybeOne(`SELECT 1 FROM users WHERE id = $1`, [userId]) : null;
        if (!owner || rest.length === 0) {
          deps.log?.(`inbox blob ${b.blobName} is under no known user; left alone`);
          return null;
        }
        row = await store().upsertInbox({
          id: newId(),
          userId: userId!,
          name: rest.join('/').slice(0, 200),
          size: b.size,
          container: b.container,
          blobName: b.blobName,
          at,
        });
      } else return null;
      if (!row) {
        deps.log?.(`blob ${b.container}/${b.blobName} belongs to no document; left alone`);
        return null;
      }
      const instanceId = ingestInstanceId(b.container, b.blobName, b.etag);
      if (!(await store().beginIngest(row.id, b.etag, instanceId, at))) return null;
      return { documentId: row.id, instanceId };
    },

    /** Step 1: the text, typed from the bytes, cut into chunks and staged. */
    async extract(
      documentId: string,
    ): Promise<{ chunks: number; pages: number | null } | { rejected: string } | null> {
      const row = await store().byId(documentId);
      if (!row) return null;
      const blob = await blobs.get(row.blob_container, row.blob_name);
      if (!blob) return null;
      if (blob.bytes.byteLength === 0) return { rejected: 'The file is empty.' };
      if (blob.bytes.byteLength > deps.maxBytes) return { rejected: tooLarge().message };
      const type = await sniffDocument(blob.bytes);
      if (!type) return { rejected: UNSUPPORTED };
      try {
        const { pages } = await extractDocument(blob.bytes, type.kind, {
          maxPages: 2000,
          maxChars: 20_000_000,
          maxUncompressedBytes: 200 * 1024 * 1024,
        });
        const chunks = chunkPages(pages);
        if (chunks.length === 0) {
          return { rejected: 'No text found: scanned pages need OCR, which we do not do yet.' };
        }
        const numbered = pages.filter((p) => p.page !== null).length;
        await store().setExtracted(documentId, {
          contentType: type.contentType,
          size: blob.bytes.byteLength,
          pages: numbered > 0 ? numbered : null,
        });
        await store().stage(
          documentId,
          chunks.map((c) => ({ idx: c.index, page: c.page, text: c.text, tokens: c.tokens })),
        );
        await store().setProgress(documentId, 0.1, clock.now());
        return { chunks: chunks.length, pages: numbered > 0 ? numbered : null };
      } catch (err) {
        if (err instanceof DocumentRejected) return { rejected: err.message };
        throw err;
      }
    },

    /** Step 2 (fanned out): embeds staged chunks [from, to); progress runs from 0.1 to 0.9. */
    async embed(documentId: string, from: number, to: number): Promise<number> {
      const staged = (await store().staged(documentId, from, to)).filter((c) => c.embedding === null);
      if (staged.length === 0) return 0;
      const vectors = await deps.embedder.embed(staged.map((c) => c.text));
      await store().saveEmbeddings(
        documentId,
        staged.map((c, i) => ({ idx: c.idx, embedding: vectors[i]! })),
      );
      const total = (await store().staged(documentId)).length;
      const done = await store().embeddedCount(documentId);
      await store().setProgress(documentId, 0.1 + (0.8 * done) / Math.max(1, total), clock.now());
      return staged.length;
    },

    /**
     * Step 3: the chunks and vectors replace the document's old ones; the document is ready.
     * The vector store may be another database, so no transaction spans both: a document
     * deleted meanwhile is noticed when marking it ready, and its chunks are removed again.
     */
    async store(documentId: string): Promise<{ chunks: number } | null> {
      const row = await store().byId(documentId);
      if (!row) return null;
      const staged = await store().staged(documentId);
      if (staged.some((c) => c.embedding === null)) throw new Error('chunks left unembedded');
      await deps.vectors.replaceDocumentChunks({
        userId: row.user_id,
        documentId,
        model: deps.embedder.model,
        dimensions: deps.embedder.dimensions,
        chunks: staged.map((c) => ({
          index: c.idx,
          page: c.page,
          text: c.text,
          tokens: c.tokens,
          embedding: c.embedding!,
        })),
      });
      if ((await store().markReady(documentId, { chunks: staged.length, at: clock.now() })) === 0) {
        await deps.vectors.deleteDocument(row.user_id, documentId);
        return null;
      }
      await store().clearStaging(documentId);
      return { chunks: staged.length };
    },

    async fail(documentId: string, reason: string): Promise<void> {
      await store().markFailed(documentId, reason, clock.now());
      await store().clearStaging(documentId);
    },
  };
}
