/**
 * The documents core without the host: the real document service, chunker, local lexical
 * embedder and pgvector store on an in-memory PGlite, with blobs kept in a Map. The ingestion
 * steps are called one after the other as the orchestration calls them, so each can be timed.
 */
import { randomUUID } from 'node:crypto';
import { systemClock } from '../shared/clock';
import type { Db } from '../shared/db/db';
import { openDb } from '../shared/db/open';
import { documentRetrieval } from '../shared/documents/retrieval';
import { DOCUMENTS_CONTAINER, documentService, EMBED_BATCH } from '../shared/documents/service';
import { localLexicalEmbedder } from '../shared/embeddings/lexical';
import type { BlobStore } from '../shared/storage/blobs';
import { pgvectorStore } from '../shared/vectors/pgvector';

export interface StepTimings {
  uploadMs: number;
  extractMs: number;
  embedMs: number;
  storeMs: number;
  chunks: number;
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

function memoryBlobs(): BlobStore & { last?: { container: string; name: string; etag: string } } {
  const blobs = new Map<string, { bytes: Buffer; contentType: string; etag: string }>();
  const store: BlobStore & { last?: { container: string; name: string; etag: string } } = {
    async put(container, name, bytes, contentType) {
      const etag = `"${randomUUID()}"`;
      blobs.set(`${container}/${name}`, { bytes: Buffer.from(bytes), contentType, etag });
      store.last = { container, name, etag };
      return { etag };
    },
    get: async (container, name) => blobs.get(`${container}/${name}`) ?? null,
    size: async (container, name) => blobs.get(`${container}/${name}`)?.bytes.byteLength ?? null,
    async delete(container, name) {
      blobs.delete(`${container}/${name}`);
    },
    uploadUrl: () => Promise.resolve('http://localhost/unused'),
    allowUploadsFrom: async () => undefined,
  };
  return store;
}

export async function inProcessDocuments() {
  const db: Db = await openDb({ pgliteDir: 'memory://' });
  const blobs = memoryBlobs();
  const embedder = localLexicalEmbedder();
  const vectors = pgvectorStore(db);
  const service = documentService({
    db,
    clock: systemClock,
    blobs,
    embedder,
    vectors,
    maxBytes: 100 * 1024 * 1024,
  });
  const retrieve = documentRetrieval({ db, embedder, vectors });

  return {
    db,
    embedder,
    vectors,
    retrieve,
    hasVectorSearch: () => vectors.hasVectorSearch(),

    async user(id: string): Promise<string> {
      await db.exec(`INSERT INTO users (id, email) VALUES ($1, $2)`, [id, `${id}@bench.invalid`]);
      return id;
    },

    /** Upload → blob arrived → extract → embed (in the orchestration's batches) → store, each timed. */
    async ingest(
      userId: string,
      name: string,
      bytes: Uint8Array,
    ): Promise<{ documentId: string; timings: StepTimings }> {
      let t = process.hrtime.bigint();
      const doc = await service.upload(userId, { name, bytes });
      const uploadMs = ms(t);
      const blob = blobs.last!;
      if (blob.container !== DOCUMENTS_CONTAINER) throw new Error('upload wrote elsewhere');
      const started = await service.blobArrived({
        container: blob.container,
        blobName: blob.name,
        etag: blob.etag,
        size: bytes.byteLength,
      });
      if (!started) throw new Error('blobArrived started nothing');
      t = process.hrtime.bigint();
      const extracted = await service.extract(doc.id);
      const extractMs = ms(t);
      if (!extracted || 'rejected' in extracted) throw new Error(`extract: ${JSON.stringify(extracted)}`);
      t = process.hrtime.bigint();
      for (let from = 0; from < extracted.chunks; from += EMBED_BATCH) {
        await service.embed(doc.id, from, Math.min(extracted.chunks, from + EMBED_BATCH));
      }
      const embedMs = ms(t);
      t = process.hrtime.bigint();
      const stored = await service.store(doc.id);
      const storeMs = ms(t);
      if (!stored) throw new Error('store: document gone');
      return {
        documentId: doc.id,
        timings: { uploadMs, extractMs, embedMs, storeMs, chunks: stored.chunks },
      };
    },

    close: () => db.close(),
  };
}

export type InProcessDocuments = Awaited<ReturnType<typeof inProcessDocuments>>;
