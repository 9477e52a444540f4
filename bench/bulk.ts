/**
 * Bulk loading for the search benchmark: many chunks of one user, generated and embedded off the
 * main thread (where PGlite's WebAssembly runs), written with binary COPY into the same
 * document_chunks table the app uses. Binary COPY because PGlite parses a 384-d vector's text form
 * slower than it writes the row: measured here, it loads about 2–4× faster than
 * replaceDocumentChunks (which the bench also times on the first documents).
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { poolDb, type Db } from '../shared/db/db';
import { migrate } from '../shared/db/migrate';
import { lexicalVector } from '../shared/embeddings/lexical';
import { namePool, prose, rng } from './prose';

export const BULK_MODEL = 'lexical-hash-v1-384';
export const BULK_DIMS = 384;
export const BULK_USER = 'bench-user';
export const CHUNKS_PER_DOCUMENT = 100;
/** Words per generated chunk: about what the chunker's 600-token target holds. */
const CHUNK_WORDS = 430;
const CORPUS_SEED = 20240817;

export interface BulkChunk {
  documentId: string;
  index: number;
  text: string;
  tokens: number;
  embedding: number[];
}

/** The names the bulk corpus's people and places are drawn from (questions use them too). */
export const bulkNames = () => namePool(rng(CORPUS_SEED), 4000);

/**
 * Chunks [from, to) of the bulk corpus: the same text for the same range on every run. Without
 * `embed` the vectors are zeros (for a database without a vector column, which stores none).
 */
export function bulkChunks(from: number, to: number, names: readonly string[], embed = true): BulkChunk[] {
  const out: BulkChunk[] = [];
  for (let i = from; i < to; i++) {
    const r = rng(CORPUS_SEED + 7919 * (i + 1));
    const text = prose(r, CHUNK_WORDS, names);
    out.push({
      documentId: `bulk-${String(Math.floor(i / CHUNKS_PER_DOCUMENT)).padStart(5, '0')}`,
      index: i % CHUNKS_PER_DOCUMENT,
      text,
      tokens: Math.round(text.split(/\s+/).length * 1.3),
      embedding: embed ? lexicalVector(text, BULK_DIMS) : new Array<number>(BULK_DIMS).fill(0),
    });
  }
  return out;
}

/** PostgreSQL's binary COPY format for document_chunks (user_id, document_id, idx, page, text, tokens, model, dims, embedding). */
export function binaryCopy(userId: string, chunks: BulkChunk[], withVector: boolean): Uint8Array {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)];
  const i16 = (n: number) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    return b;
  };
  const i32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const int = (n: number) => [i32(4), i32(n)];
  const text = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    return [i32(b.length), b];
  };
  const user = text(userId);
  const model = text(BULK_MODEL);
  for (const c of chunks) {
    parts.push(i16(withVector ? 9 : 8), ...user, ...text(c.documentId), ...int(c.index), ...int(c.index));
    parts.push(...text(c.text), ...int(c.tokens), ...model, ...int(BULK_DIMS));
    if (withVector) {
      // pgvector's binary form: int16 dimensions, int16 unused, float4 each.
      const v = Buffer.alloc(4 + 4 * c.embedding.length);
      v.writeInt16BE(c.embedding.length, 0);
      c.embedding.forEach((x, k) => v.writeFloatBE(x, 4 + 4 * k));
      parts.push(i32(v.length), v);
    }
  }
  parts.push(i16(-1));
  return Buffer.concat(parts);
}

/** A PGlite database as the app opens it (pgvector, migrated), with a handle for COPY. */
export async function openBulkPglite(dir: string): Promise<{
  db: Db;
  copy: (payload: Uint8Array, withVector: boolean) => Promise<void>;
}> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  const { vector } = await import('@electric-sql/pglite-pgvector');
  const lite = await PGlite.create(dir, { extensions: { vector } });
  const pool = new pg.Pool({ ...createPgConfig(lite), max: 1, idleTimeoutMillis: 0 });
  const db = poolDb('pglite', pool, async () => {
    await lite.close();
  });
  await migrate(db);
  return {
    db,
    copy: async (payload, withVector) => {
      await lite.query(
        `COPY document_chunks (user_id, document_id, idx, page, text, tokens, model, dims${withVector ? ', embedding' : ''})
           FROM '/dev/blob' WITH (FORMAT binary)`,
        [],
        { blob: new Blob([payload as Uint8Array<ArrayBuffer>]) },
      );
    },
  };
}

export interface WorkerRequest {
  from: number;
  to: number;
  /** `copy`: a binary COPY payload (with the vector column or without); `chunks`: the chunks themselves. */
  format: 'copy' | 'chunks';
  withVector: boolean;
}

/**
 * Generated, embedded (and encoded) chunk ranges from a worker thread, so that the main thread
 * only feeds the database. Answers come back in the order asked; ask one ahead to overlap.
 */
export function chunkProducer(userId: string) {
  const worker = new Worker(path.join(__dirname, 'bulk-worker.js'), { workerData: { userId } });
  const pending: { resolve: (v: unknown) => void; reject: (err: unknown) => void }[] = [];
  worker.on('message', (answer: unknown) => pending.shift()?.resolve(answer));
  worker.on('error', (err) => pending.splice(0).forEach((p) => p.reject(err)));
  const ask = <T>(r: WorkerRequest) =>
    new Promise<T>((resolve, reject) => {
      pending.push({ resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage(r);
    });
  return {
    copy: (from: number, to: number, withVector: boolean) =>
      ask<Uint8Array>({ from, to, format: 'copy', withVector }),
    chunks: (from: number, to: number, withVector: boolean) =>
      ask<BulkChunk[]>({ from, to, format: 'chunks', withVector }),
    close: () => worker.terminate(),
  };
}
