import type { Db } from '../db/db';

export interface DocumentRow {
  id: string;
  user_id: string;
  name: string;
  content_type: string;
  size: number;
  source: 'upload' | 'inbox';
  status: 'processing' | 'ready' | 'failed';
  error: string | null;
  pages: number | null;
  chunk_count: number;
  progress: number;
  blob_container: string;
  blob_name: string;
  blob_etag: string | null;
  instance_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface StagedChunk {
  idx: number;
  page: number | null;
  text: string;
  tokens: number;
  embedding: number[] | null;
}

/** Documents and their staged text; every query a user can reach carries the owner. */
export const documentStore = (db: Db) => ({
  insert: (d: {
    id: string;
    userId: string;
    name: string;
    contentType: string;
    size: number;
    source: 'upload' | 'inbox';
    container: string;
    blobName: string;
    at: Date;
  }) =>
    db.one<DocumentRow>(
      `INSERT INTO documents (id, user_id, name, content_type, size, source, status, blob_container, blob_name,
                              created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'processing', $7, $8, $9, $9) RETURNING *`,
      [d.id, d.userId, d.name, d.contentType, d.size, d.source, d.container, d.blobName, d.at],
    ),

  /** An inbox drop: one document per blob name; a new version of the blob is ingested again. */
  upsertInbox: (d: {
    id: string;
    userId: string;
    name: string;
    size: number;
    container: string;
    blobName: string;
    at: Date;
  }) =>
    db.one<DocumentRow>(
      `INSERT INTO documents (id, user_id, name, content_type, size, source, status, blob_container, blob_name,
                              created_at, updated_at)
       VALUES ($1, $2, $3, 'application/octet-stream', $4, 'inbox', 'processing', $5, $6, $7, $7)
       ON CONFLICT (blob_container, blob_name) DO UPDATE SET size = EXCLUDED.size, updated_at = EXCLUDED.updated_at
       RETURNING *`,
      [d.id, d.userId, d.name, d.size, d.container, d.blobName, d.at],
    ),

  get: (userId: string, id: string) =>
    db.maybeOne<DocumentRow>(`SELECT * FROM documents WHERE id = $1 AND user_id = $2`, [id, userId]),

  /** For the ingestion steps, which run with a document id only. */
  byId: (id: string) => db.maybeOne<DocumentRow>(`SELECT * FROM documents WHERE id = $1`, [id]),

  byBlob: (container: string, blobName: string) =>
    db.maybeOne<DocumentRow>(`SELECT * FROM documents WHERE blob_container = $1 AND blob_name = $2`, [
      container,
      blobName,
    ]),

  list: (userId: string) =>
    db.many<DocumentRow>(
      `SELECT * FROM documents WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 500`,
      [userId],
    ),

  readyIds: async (userId: string, only?: string[]) =>
    (
      await db.many<{ id: string }>(
        `SELECT id FROM documents WHERE user_id = $1 AND status = 'ready' AND ($2::text[] IS NULL OR id = ANY($2))`,
        [userId, only ?? null],
      )
    ).map((r) => r.id),

  /** A new blob version to ingest; returns false when this version is already being (or was) ingested. */
  beginIngest: async (id: string, etag: string, instanceId: string, at: Date) =>
    (await db.exec(
      `UPDATE documents SET status = 'processing', error = NULL, progress = 0, blob_etag = $2, instance_id = $3,
              updated_at = $4
        WHERE id = $1 AND blob_etag IS DISTINCT FROM $2`,
      [id, etag, instanceId, at],
    )) > 0,

  setProgress: (id: string, progress: number, at: Date) =>
    db.exec(
      `UPDATE documents SET progress = GREATEST(progress, $2), updated_at = $3 WHERE id = $1 AND status = 'processing'`,
      [id, progress, at],
    ),

  /** What extraction learned: the type from the bytes, the real size, the page count. */
  setExtracted: (id: string, e: { contentType: string; size: number; pages: number | null }) =>
    db.exec(`UPDATE documents SET content_type = $2, size = $3, pages = $4 WHERE id = $1`, [
      id,
      e.contentType,
      e.size,
      e.pages,
    ]),

  markReady: (id: string, r: { chunks: number; at: Date }) =>
    db.exec(
      `UPDATE documents SET status = 'ready', progress = 1, chunk_count = $2, error = NULL, updated_at = $3
        WHERE id = $1`,
      [id, r.chunks, r.at],
    ),

  markFailed: (id: string, error: string, at: Date) =>
    db.exec(`UPDATE documents SET status = 'failed', error = $2, updated_at = $3 WHERE id = $1`, [
      id,
      error,
      at,
    ]),

  delete: (userId: string, id: string) =>
    db.maybeOne<DocumentRow>(`DELETE FROM documents WHERE id = $1 AND user_id = $2 RETURNING *`, [
      id,
      userId,
    ]),

  stage: (documentId: string, chunks: Omit<StagedChunk, 'embedding'>[]) =>
    db.exec(
      `WITH d AS (DELETE FROM document_staging WHERE document_id = $1)
       INSERT INTO document_staging (document_id, idx, page, text, tokens)
       SELECT $1, * FROM unnest($2::int[], $3::int[], $4::text[], $5::int[])`,
      [
        documentId,
        chunks.map((c) => c.idx),
        chunks.map((c) => c.page),
        chunks.map((c) => c.text),
        chunks.map((c) => c.tokens),
      ],
    ),

  staged: (documentId: string, from = 0, to = 2 ** 31 - 1) =>
    db.many<StagedChunk>(
      `SELECT idx, page, text, tokens, embedding FROM document_staging
        WHERE document_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx`,
      [documentId, from, to],
    ),

  saveEmbeddings: (documentId: string, rows: { idx: number; embedding: number[] }[]) =>
    db.exec(
      `UPDATE document_staging s SET embedding = e.embedding
         FROM (SELECT * FROM unnest($2::int[], $3::jsonb[]) AS e(idx, embedding)) e
        WHERE s.document_id = $1 AND s.idx = e.idx`,
      [documentId, rows.map((r) => r.idx), rows.map((r) => JSON.stringify(r.embedding))],
    ),

  embeddedCount: async (documentId: string) =>
    (
      await db.one<{ n: number }>(
        `SELECT count(*) FILTER (WHERE embedding IS NOT NULL)::bigint AS n FROM document_staging WHERE document_id = $1`,
        [documentId],
      )
    ).n,

  clearStaging: (documentId: string) =>
    db.exec(`DELETE FROM document_staging WHERE document_id = $1`, [documentId]),
});
