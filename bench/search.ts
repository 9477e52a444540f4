/**
 * Hybrid top-8 search latency over many chunks of one user, as documentRetrieval asks it
 * (embed the question, then pgvectorStore.search with limit 8), at growing sizes.
 *
 * PGlite: the first documents go through replaceDocumentChunks (the app's path, timed), the
 * rest by binary COPY with the keyword and HNSW indexes dropped during the load and rebuilt
 * before each measurement (how one bulk-loads PostgreSQL; the word-count triggers stay on),
 * then ANALYZE (PGlite has no autovacuum; without statistics the plans are worse). PostgreSQL
 * (BENCH_DATABASE_URL): a schema of its own, loaded through replaceDocumentChunks (which builds
 * the HNSW index itself once the user passes EXACT_SCAN_MAX chunks); there the search is
 * hybrid or keyword-only depending on whether the server has pgvector, and the output says which.
 *
 * Each size gets BENCH_SEARCH_QUERIES questions (50); past the first size, at most
 * BENCH_SEARCH_SECONDS_PER_SIZE seconds of them (never fewer than 5). A size whose load would
 * take the whole load past BENCH_SEARCH_LOAD_SECONDS is replaced by the largest round size
 * that fits, if that is worth measuring, and the output says so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../shared/db/db';
import { scopedSchema } from '../dev/postgres-schema';
import { openDb } from '../shared/db/open';
import { lexicalVector } from '../shared/embeddings/lexical';
import { hnswIndexName, pgvectorStore, type PgvectorStore } from '../shared/vectors/pgvector';
import {
  BULK_DIMS,
  BULK_MODEL,
  BULK_USER,
  bulkNames,
  CHUNKS_PER_DOCUMENT,
  chunkProducer,
  openBulkPglite,
  type BulkChunk,
} from './bulk';
import { question, rng } from './prose';

const env = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
export const SEARCH_SIZES = (process.env.BENCH_SEARCH_SIZES ?? '10000,100000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0)
  .sort((a, b) => a - b);
const QUERIES = env('BENCH_SEARCH_QUERIES', 50);
const SECONDS_PER_SIZE = env('BENCH_SEARCH_SECONDS_PER_SIZE', 30);
// PGlite builds the HNSW index of 100k 384-d vectors in ~7 minutes here (WebAssembly, one core).
const LOAD_SECONDS = env('BENCH_SEARCH_LOAD_SECONDS', 1800);
const FIRST_SIZE_SECONDS = 150;
const MIN_QUERIES = 5;
const APP_PATH_CHUNKS = 2000;
const COPY_BATCH = 500;

export interface LatencyAt {
  chunks: number;
  queries: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Fewer than the asked queries ran: the time budget for this size ran out. */
  budgetLimited: boolean;
}

export interface SearchFigures {
  database: 'PGlite' | 'PostgreSQL';
  mode: 'hybrid' | 'keyword-only';
  targetChunks: number;
  targetP95Ms: number;
  loadedChunks: number;
  loadSeconds: number;
  /** replaceDocumentChunks, 100 chunks a call, keyword index live. */
  appPathMsPerChunk: number;
  /** The bulk path (PGlite: binary COPY without the keyword index, plus its rebuild). */
  bulkMsPerChunk: number | null;
  /** Building the HNSW index after each bulk load, seconds (null: none built). */
  indexSeconds: { chunks: number; seconds: number }[];
  latency: LatencyAt[];
  /** At each size: each half of the hybrid query alone. */
  halves: { chunks: number; queries: number; vectorP50Ms: number | null; keywordP50Ms: number }[];
  skipped: { chunks: number; projectedLoadSeconds: number }[];
  /** Why the search is keyword-only here, when it is. */
  note: string | null;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
const now = () => Number(process.hrtime.bigint()) / 1e6;

function questions(): string[] {
  const names = bulkNames();
  const r = rng(424242);
  return Array.from({ length: QUERIES + 3 }, () => question(r, names));
}

async function timeQueries(
  store: PgvectorStore,
  qs: string[],
  opts: { vector: boolean; keyword: boolean; budgetMs: number; max: number },
): Promise<number[]> {
  const one = async (q: string) => {
    const t = now();
    const embedding = opts.vector ? lexicalVector(q, BULK_DIMS) : [];
    await store.search({
      userId: BULK_USER,
      embedding,
      text: opts.keyword ? q : '',
      model: BULK_MODEL,
      limit: 8,
    });
    return now() - t;
  };
  // Warm: plans, caches, JIT.
  await one(qs[0]!);
  const out: number[] = [];
  const start = now();
  for (const q of qs.slice(3, 3 + opts.max)) {
    out.push(await one(q));
    if (out.length >= MIN_QUERIES && now() - start > opts.budgetMs) break;
  }
  return out.sort((a, b) => a - b);
}

async function loadAppPath(store: PgvectorStore, chunks: BulkChunk[]): Promise<number> {
  const t = now();
  for (let i = 0; i < chunks.length; i += CHUNKS_PER_DOCUMENT) {
    const doc = chunks.slice(i, i + CHUNKS_PER_DOCUMENT);
    await store.replaceDocumentChunks({
      userId: BULK_USER,
      documentId: doc[0]!.documentId,
      model: BULK_MODEL,
      dimensions: BULK_DIMS,
      chunks: doc.map((c) => ({
        index: c.index,
        page: c.index,
        text: c.text,
        tokens: c.tokens,
        embedding: c.embedding,
      })),
    });
  }
  return now() - t;
}

/** The first size always gets every query (up to FIRST_SIZE_SECONDS): its p95 is the one to trust. */
async function measureAt(
  store: PgvectorStore,
  chunks: number,
  qs: string[],
  vector: boolean,
  first: boolean,
) {
  const times = await timeQueries(store, qs, {
    vector,
    keyword: true,
    budgetMs: (first ? FIRST_SIZE_SECONDS : SECONDS_PER_SIZE) * 1000,
    max: QUERIES,
  });
  return {
    chunks,
    queries: times.length,
    p50Ms: pct(times, 50),
    p95Ms: pct(times, 95),
    maxMs: times.at(-1) ?? Number.NaN,
    budgetLimited: times.length < QUERIES,
  };
}

async function halvesAt(store: PgvectorStore, chunks: number, qs: string[], vector: boolean) {
  const n = 10;
  const budgetMs = (SECONDS_PER_SIZE * 1000) / 4;
  const keyword = await timeQueries(store, qs, { vector: false, keyword: true, budgetMs, max: n });
  const vec = vector
    ? await timeQueries(store, qs, { vector: true, keyword: false, budgetMs, max: n })
    : null;
  return {
    chunks,
    queries: keyword.length,
    keywordP50Ms: pct(keyword, 50),
    vectorP50Ms: vec ? pct(vec, 50) : null,
  };
}

/** PGlite, on disk in a temporary directory (in memory, 10k chunks already took about 1 GB). */
export async function benchSearchPglite(
  log: (line: string) => void = () => undefined,
): Promise<SearchFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-bench-search-'));
  const { db, copy } = await openBulkPglite(dir);
  const store = pgvectorStore(db);
  const producer = chunkProducer(BULK_USER);
  const qs = questions();
  const vector = await store.hasVectorSearch();
  const figures: SearchFigures = {
    database: 'PGlite',
    mode: vector ? 'hybrid' : 'keyword-only',
    targetChunks: SEARCH_SIZES.at(-1) ?? 0,
    targetP95Ms: 100,
    loadedChunks: 0,
    loadSeconds: 0,
    appPathMsPerChunk: Number.NaN,
    bulkMsPerChunk: null,
    latency: [],
    indexSeconds: [],
    halves: [],
    skipped: [],
    note: vector ? null : 'no vector column in this database',
  };
  try {
    const first = await producer.chunks(0, APP_PATH_CHUNKS, vector);
    const appMs = await loadAppPath(store, first);
    figures.appPathMsPerChunk = appMs / APP_PATH_CHUNKS;
    let loaded = APP_PATH_CHUNKS;
    let loadMs = appMs;
    let bulkMs = 0;
    let bulkChunks = 0;
    for (let size of SEARCH_SIZES) {
      let last = false;
      if (size > loaded) {
        const rate = bulkChunks > 0 ? bulkMs / bulkChunks : figures.appPathMsPerChunk / 2;
        const projected = (loadMs + rate * (size - loaded)) / 1000;
        if (projected > LOAD_SECONDS) {
          figures.skipped.push({ chunks: size, projectedLoadSeconds: projected });
          // The largest round size that still fits the budget, if it is worth another measurement.
          const fits = Math.floor((loaded + (LOAD_SECONDS * 1000 - loadMs) / rate) / 5000) * 5000;
          if (fits < loaded * 1.3) break;
          size = fits;
          last = true;
        }
        const t = now();
        // Indexes are built once after the load, as one bulk-loads PostgreSQL.
        await db.exec('DROP INDEX IF EXISTS document_chunks_tsv');
        await db.exec(`DROP INDEX IF EXISTS ${hnswIndexName(BULK_DIMS)}`);
        let next = producer.copy(loaded, Math.min(size, loaded + COPY_BATCH), vector);
        for (let from = loaded; from < size; from += COPY_BATCH) {
          const payload = await next;
          const after = from + COPY_BATCH;
          if (after < size) next = producer.copy(after, Math.min(size, after + COPY_BATCH), vector);
          await copy(payload, vector);
        }
        await db.exec('CREATE INDEX IF NOT EXISTS document_chunks_tsv ON document_chunks USING gin (tsv)');
        if (vector) {
          const ti = now();
          await store.buildVectorIndex(BULK_DIMS);
          figures.indexSeconds.push({ chunks: size, seconds: (now() - ti) / 1000 });
        }
        await db.exec('ANALYZE document_chunks');
        const took = now() - t;
        bulkMs += took;
        bulkChunks += size - loaded;
        loadMs += took;
        loaded = size;
      } else {
        await db.exec('ANALYZE document_chunks');
      }
      figures.loadedChunks = loaded;
      figures.loadSeconds = loadMs / 1000;
      figures.bulkMsPerChunk = bulkChunks > 0 ? bulkMs / bulkChunks : null;
      const at = await measureAt(store, loaded, qs, vector, figures.latency.length === 0);
      figures.latency.push(at);
      log(latencyLine(figures.database, figures.mode, at, figures.loadSeconds));
      figures.halves.push(await halvesAt(store, loaded, qs, vector));
      if (last) break;
    }
    return figures;
  } finally {
    await producer.close();
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** PostgreSQL at BENCH_DATABASE_URL, in a schema of its own that is dropped afterwards. */
export async function benchSearchPostgres(
  url: string,
  log: (line: string) => void = () => undefined,
): Promise<SearchFigures> {
  const scope = await scopedSchema(url, 'bench');
  let db: Db | undefined;
  const producer = chunkProducer(BULK_USER);
  try {
    db = await openDb({ databaseUrl: scope.url });
    const store = pgvectorStore(db);
    const vector = await store.hasVectorSearch();
    const installed = await db.one<{ any: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS any`,
    );
    const qs = questions();
    const figures: SearchFigures = {
      database: 'PostgreSQL',
      mode: vector ? 'hybrid' : 'keyword-only',
      targetChunks: SEARCH_SIZES.at(-1) ?? 0,
      targetP95Ms: 100,
      loadedChunks: 0,
      loadSeconds: 0,
      appPathMsPerChunk: Number.NaN,
      bulkMsPerChunk: null,
      latency: [],
      indexSeconds: [],
      halves: [],
      skipped: [],
      note: vector
        ? null
        : installed.any
          ? 'pgvector is installed on this server but could not be enabled'
          : 'pgvector is not installed on this server',
    };
    let loaded = 0;
    let loadMs = 0;
    for (let size of SEARCH_SIZES) {
      let last = false;
      if (loaded > 0) {
        const rate = loadMs / loaded;
        const projected = (loadMs + rate * (size - loaded)) / 1000;
        if (projected > LOAD_SECONDS) {
          figures.skipped.push({ chunks: size, projectedLoadSeconds: projected });
          const fits = Math.floor((loaded + (LOAD_SECONDS * 1000 - loadMs) / rate) / 5000) * 5000;
          if (fits < loaded * 1.3) break;
          size = fits;
          last = true;
        }
      }
      const batch = 10 * CHUNKS_PER_DOCUMENT;
      let next = producer.chunks(loaded, Math.min(size, loaded + batch), vector);
      for (let from = loaded; from < size; from += batch) {
        const chunks = await next;
        const after = from + batch;
        if (after < size) next = producer.chunks(after, Math.min(size, after + batch), vector);
        loadMs += await loadAppPath(store, chunks);
      }
      loaded = size;
      await db.exec('ANALYZE document_chunks');
      figures.loadedChunks = loaded;
      figures.loadSeconds = loadMs / 1000;
      figures.appPathMsPerChunk = loadMs / loaded;
      const at = await measureAt(store, loaded, qs, vector, figures.latency.length === 0);
      figures.latency.push(at);
      log(latencyLine(figures.database, figures.mode, at, figures.loadSeconds));
      figures.halves.push(await halvesAt(store, loaded, qs, vector));
      if (last) break;
    }
    return figures;
  } finally {
    await producer.close();
    await db?.close();
    await scope.drop().catch(() => undefined);
  }
}

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '–');

function latencyLine(db: string, mode: string, at: LatencyAt, loadSeconds: number): string {
  return (
    `  ${db} ${mode}, ${at.chunks.toLocaleString('en')} chunks (loaded in ${loadSeconds.toFixed(0)} s so far): ` +
    `p50 ${f0(at.p50Ms)} ms · p95 ${f0(at.p95Ms)} ms · max ${f0(at.maxMs)} ms over ${at.queries} queries` +
    (at.budgetLimited ? ' (stopped at the time budget for this size)' : '')
  );
}

export function searchLines(f: SearchFigures): string[] {
  const lines = [
    `Hybrid top-8 search over one user's chunks (384-d lexical vectors) on ${f.database}` +
      (f.mode === 'keyword-only' ? `: KEYWORD-ONLY here, ${f.note ?? 'no vector search'}` : '') +
      `; target p95 ≤ ${f.targetP95Ms} ms at ${f.targetChunks.toLocaleString('en')} chunks`,
    `  load: ${f.loadedChunks.toLocaleString('en')} chunks in ${f.loadSeconds.toFixed(1)} s; replaceDocumentChunks ` +
      `${f.appPathMsPerChunk.toFixed(2)} ms/chunk` +
      (f.bulkMsPerChunk !== null
        ? `, binary COPY + keyword index rebuild ${f.bulkMsPerChunk.toFixed(2)} ms/chunk (used past the first ${APP_PATH_CHUNKS.toLocaleString('en')})`
        : ''),
  ];
  for (const at of f.latency) {
    const ok = at.p95Ms <= f.targetP95Ms;
    lines.push(
      `  ${at.chunks.toLocaleString('en').padStart(7)} chunks: p50 ${f0(at.p50Ms).padStart(5)} ms · p95 ${f0(at.p95Ms).padStart(5)} ms ` +
        `(ratio to target ${(at.p95Ms / f.targetP95Ms).toFixed(1)}) ${ok ? '✓' : '✗'} · ${at.queries} queries` +
        (at.budgetLimited ? `, cut by the time budget for this size` : ''),
    );
  }
  if (f.latency.length >= 2) {
    const a = f.latency[0]!;
    const b = f.latency.at(-1)!;
    lines.push(
      `  scaling: ${(b.chunks / a.chunks).toFixed(1)}× the chunks → ${(b.p50Ms / a.p50Ms).toFixed(1)}× the p50, ` +
        `${(b.p95Ms / a.p95Ms).toFixed(1)}× the p95`,
    );
  }
  for (const h of f.halves) {
    lines.push(
      `  each half alone at ${h.chunks.toLocaleString('en')} chunks (p50 of ${h.queries}): keyword ${f0(h.keywordP50Ms)} ms` +
        (h.vectorP50Ms !== null ? ` · vector ${f0(h.vectorP50Ms)} ms` : ''),
    );
  }
  for (const x of f.indexSeconds) {
    lines.push(
      `  HNSW index built after loading ${x.chunks.toLocaleString('en')} chunks in ${x.seconds.toFixed(0)} s (included in the load time)`,
    );
  }
  for (const s of f.skipped) {
    lines.push(
      `  ${s.chunks.toLocaleString('en')} chunks NOT measured: loading them would take ~${s.projectedLoadSeconds.toFixed(0)} s ` +
        `here (budget ${LOAD_SECONDS} s, BENCH_SEARCH_LOAD_SECONDS); the largest size that fitted is above`,
    );
  }
  return lines;
}
