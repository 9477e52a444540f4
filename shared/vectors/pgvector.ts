import type { Db } from '../db/db';
import type { Migration } from '../db/migration';
import { cosine } from '../embeddings/embedder';
import {
  candidatesFor,
  checkChunks,
  checkVector,
  isZero,
  fuseRankings,
  type MemoryVectors,
  type RankedChunk,
  type VectorStore,
} from './store';

/**
 * Turns pgvector on where the server has it. Where it does not (PostgreSQL 15 on our
 * machines) or refuses it (Azure before the extension is allow-listed), it says so and the
 * chunks table works without vectors: search is by keyword alone. Safe to run again once
 * the extension can be had: `enablePgvector`.
 */
const ENABLE_PGVECTOR = `
DO $$
DECLARE
  ext_schema text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    RAISE NOTICE 'pgvector is not installed on this server: documents are searched by keyword only';
    RETURN;
  END IF;
  BEGIN
    CREATE EXTENSION IF NOT EXISTS vector;
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'pgvector is installed but could not be enabled (%): documents are searched by keyword only', SQLERRM;
    RETURN;
  END;
  -- The type is named with its schema: the extension may live in a schema that is not first
  -- on this connection's search_path (one database, several schemas).
  SELECT n.nspname INTO ext_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
   WHERE e.extname = 'vector';
  IF NOT EXISTS (
    SELECT 1 FROM pg_attribute
     WHERE attrelid = 'document_chunks'::regclass AND attname = 'embedding' AND NOT attisdropped
  ) THEN
    EXECUTE format('ALTER TABLE document_chunks ADD COLUMN embedding %I.vector', ext_schema);
  END IF;
END $$;
`;

/** The per-user word counts recomputed from the chunks (writes wait meanwhile). */
const REBUILD_KEYWORD_COUNTS = `
LOCK TABLE document_chunks IN SHARE MODE;
DELETE FROM document_chunk_terms;
DELETE FROM document_chunk_totals;
INSERT INTO document_chunk_terms (user_id, term, chunks)
SELECT c.user_id, t.term, count(*)
  FROM document_chunks c CROSS JOIN LATERAL unnest(tsvector_to_array(c.tsv)) AS t(term)
 GROUP BY 1, 2;
INSERT INTO document_chunk_totals (user_id, chunks) SELECT user_id, count(*) FROM document_chunks GROUP BY 1;
`;

/**
 * Keyword search from the GIN index instead of a scan of every chunk: the chunk's words as a
 * stored tsvector (CJK text split into characters, which the 'simple' parser would keep as one
 * word per run of script), and per user the number of chunks holding each word, kept by
 * triggers so that any writer (COPY included) keeps them right. The counts give BM25's inverse
 * document frequency without counting matches at query time.
 *
 * Rebuilding the counts from the chunks is idempotent: this migration backfills the chunks of
 * 050 (whose tsv had no CJK splitting, so the column is recomputed) and may run again.
 */
const KEYWORD_SEARCH = `
CREATE OR REPLACE FUNCTION search_words(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $fn$ SELECT regexp_replace(t, '([\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff])', ' \\1 ', 'g') $fn$;

DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = 'document_chunks'::regclass AND a.attname = 'tsv' AND NOT a.attisdropped
       AND pg_get_expr(d.adbin, d.adrelid) LIKE '%search_words%'
  ) THEN
    ALTER TABLE document_chunks DROP COLUMN IF EXISTS tsv;
    ALTER TABLE document_chunks
      ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_words(text))) STORED;
  END IF;
END $$;
CREATE INDEX IF NOT EXISTS document_chunks_tsv ON document_chunks USING gin (tsv);

-- Zero counts are deleted: a deleted document leaves none of its words behind.
CREATE TABLE IF NOT EXISTS document_chunk_terms (
  user_id text NOT NULL,
  term text NOT NULL,
  chunks integer NOT NULL,
  PRIMARY KEY (user_id, term)
);
CREATE TABLE IF NOT EXISTS document_chunk_totals (
  user_id text PRIMARY KEY,
  chunks integer NOT NULL
);

CREATE OR REPLACE FUNCTION document_chunk_terms_count() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  -- One writer per user at a time, taken in user order: the counts are shared by all of a
  -- user's documents, and two replaces updating them in different orders would deadlock.
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(u.user_id, 5001))
       FROM (SELECT DISTINCT user_id FROM old_rows ORDER BY 1) u;
    UPDATE document_chunk_terms s SET chunks = s.chunks - o.n
      FROM (SELECT r.user_id, t.term, count(*) AS n
              FROM old_rows r CROSS JOIN LATERAL unnest(tsvector_to_array(r.tsv)) AS t(term)
             GROUP BY 1, 2) o
     WHERE s.user_id = o.user_id AND s.term = o.term;
    DELETE FROM document_chunk_terms s
     USING (SELECT DISTINCT r.user_id, t.term
              FROM old_rows r CROSS JOIN LATERAL unnest(tsvector_to_array(r.tsv)) AS t(term)) o
     WHERE s.user_id = o.user_id AND s.term = o.term AND s.chunks <= 0;
    UPDATE document_chunk_totals s SET chunks = s.chunks - o.n
      FROM (SELECT user_id, count(*) AS n FROM old_rows GROUP BY 1) o WHERE s.user_id = o.user_id;
    DELETE FROM document_chunk_totals s USING (SELECT DISTINCT user_id FROM old_rows) o
     WHERE s.user_id = o.user_id AND s.chunks <= 0;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(u.user_id, 5001))
       FROM (SELECT DISTINCT user_id FROM new_rows ORDER BY 1) u;
    INSERT INTO document_chunk_terms (user_id, term, chunks)
    SELECT r.user_id, t.term, count(*)
      FROM new_rows r CROSS JOIN LATERAL unnest(tsvector_to_array(r.tsv)) AS t(term)
     GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (user_id, term) DO UPDATE SET chunks = document_chunk_terms.chunks + EXCLUDED.chunks;
    INSERT INTO document_chunk_totals (user_id, chunks)
    SELECT user_id, count(*) FROM new_rows GROUP BY 1 ORDER BY 1
    ON CONFLICT (user_id) DO UPDATE SET chunks = document_chunk_totals.chunks + EXCLUDED.chunks;
  END IF;
  RETURN NULL;
END $fn$;

DROP TRIGGER IF EXISTS document_chunks_terms_insert ON document_chunks;
DROP TRIGGER IF EXISTS document_chunks_terms_delete ON document_chunks;
DROP TRIGGER IF EXISTS document_chunks_terms_update ON document_chunks;
CREATE TRIGGER document_chunks_terms_insert AFTER INSERT ON document_chunks
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION document_chunk_terms_count();
CREATE TRIGGER document_chunks_terms_delete AFTER DELETE ON document_chunks
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION document_chunk_terms_count();
CREATE TRIGGER document_chunks_terms_update AFTER UPDATE ON document_chunks
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION document_chunk_terms_count();

${REBUILD_KEYWORD_COUNTS}
`;

/**
 * Below this many chunks in scope the vectors are compared one by one: as fast as the index at
 * that size, and exact. Above it, HNSW; with iterative scan (pgvector 0.8) the index keeps
 * walking until enough of the asking user's chunks are found, instead of returning the
 * nearest of everyone's and filtering most of them away.
 */
export const EXACT_SCAN_MAX = 5000;

/**
 * HNSW indexes for the vector sizes some user already has more than EXACT_SCAN_MAX chunks of
 * (the store makes the others when a user first passes that: createHnswIndex). Needs pgvector
 * 0.5; without it search stays exact.
 */
const VECTOR_INDEXES = `
DO $$
DECLARE
  ext_schema text;
  ext_version text;
  d integer;
BEGIN
  SELECT n.nspname, e.extversion INTO ext_schema, ext_version
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector';
  IF ext_schema IS NULL OR string_to_array(ext_version, '.')::int[] < ARRAY[0, 5] OR NOT EXISTS (
    SELECT 1 FROM pg_attribute
     WHERE attrelid = 'document_chunks'::regclass AND attname = 'embedding' AND NOT attisdropped
  ) THEN
    RETURN;
  END IF;
  -- The sizes are read first: an index cannot be built while a query on its table is open.
  FOREACH d IN ARRAY coalesce(
    (SELECT array_agg(DISTINCT dims) FROM (
       SELECT dims FROM document_chunks WHERE dims <= 2000 AND embedding IS NOT NULL
        GROUP BY user_id, dims HAVING count(*) > ${EXACT_SCAN_MAX}) big),
    '{}'::int[]
  ) LOOP
    EXECUTE format(
      'CREATE INDEX IF NOT EXISTS %I ON document_chunks USING hnsw ((embedding::%I.vector(%s)) %I.vector_cosine_ops) WHERE dims = %s',
      'document_chunks_hnsw_' || d, ext_schema, d, ext_schema, d);
  END LOOP;
END $$;
`;

/**
 * Memories' vectors move out of the memories rows (JSONB, compared in JavaScript) into the
 * vector store. Here as real[]: compared with pgvector's operators through a cast where the
 * extension is, in JavaScript where it is not, so the column never has to change type. A user
 * has hundreds of memories, not millions: an exact scan of theirs is the whole search.
 */
const MEMORY_VECTORS = `
CREATE TABLE IF NOT EXISTS memory_vectors (
  user_id text NOT NULL,
  memory_id text NOT NULL,
  model text NOT NULL,
  dims integer NOT NULL,
  embedding real[] NOT NULL,
  PRIMARY KEY (user_id, memory_id)
);
DO $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM pg_attribute WHERE attrelid = 'memories'::regclass AND attname = 'embedding' AND NOT attisdropped
  ) THEN
    INSERT INTO memory_vectors (user_id, memory_id, model, dims, embedding)
    SELECT m.user_id, m.id, m.embedding_model, jsonb_array_length(m.embedding),
           ARRAY(SELECT e::real FROM jsonb_array_elements_text(m.embedding) WITH ORDINALITY AS t(e, i) ORDER BY i)
      FROM memories m
     WHERE jsonb_typeof(m.embedding) = 'array' AND jsonb_array_length(m.embedding) > 0
    ON CONFLICT (user_id, memory_id) DO NOTHING;
    ALTER TABLE memories DROP COLUMN embedding;
  END IF;
END $$;
`;

export const vectorMigrations: Migration[] = [
  {
    id: '050_document_chunks',
    sql: `
      -- No foreign key to documents: the vector store may be another database, so removal
      -- goes through deleteDocument. Every query leads with user_id (the primary key's prefix).
      CREATE TABLE IF NOT EXISTS document_chunks (
        user_id text NOT NULL,
        document_id text NOT NULL,
        idx integer NOT NULL,
        page integer,
        text text NOT NULL,
        tokens integer NOT NULL,
        -- Vectors are compared only within one model and size; the column itself has no
        -- fixed size, so that a change of embedder needs no migration.
        model text NOT NULL,
        dims integer NOT NULL,
        -- 'simple': no stemming or stopwords, so any language is matched word for word.
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED,
        PRIMARY KEY (user_id, document_id, idx)
      );
      CREATE INDEX IF NOT EXISTS document_chunks_tsv ON document_chunks USING gin (tsv);
      ${ENABLE_PGVECTOR}
    `,
  },
  { id: '051_keyword_search', sql: KEYWORD_SEARCH },
  { id: '052_vector_indexes', sql: VECTOR_INDEXES },
  // After 070_memories, which made the table.
  { id: '079_memory_vectors', sql: MEMORY_VECTORS },
];

/** For bulk loads that ran with the triggers off; the same statements the migration ends with. */
export async function rebuildKeywordCounts(db: Db): Promise<void> {
  await db.tx((tx) => tx.exec(REBUILD_KEYWORD_COUNTS));
}

/** Adds the vector column if pgvector has become available since the migration ran. */
export async function enablePgvector(db: Db): Promise<void> {
  await db.exec(ENABLE_PGVECTOR);
}

/** A lexeme as a tsquery, verbatim: the words come from to_tsvector already normalised. */
const lexemeQuery = (term: string) =>
  `('''' || replace(replace(${term}, '\\', '\\\\'), '''', '''''') || '''')::tsquery`;

/** Chunks a keyword search reads from the index at most, per word list (see keywordSql). */
export const KEYWORD_CANDIDATES = 500;

/**
 * Keyword ranking for questions, not search-box syntax: a chunk matches when it holds any
 * word of the question (websearch_to_tsquery would ask for all of them, and a whole question
 * is almost never in one chunk). PostgreSQL's own ranks know nothing of how rare a word is,
 * so each word weighs its BM25 inverse document frequency among the user's chunks, read from
 * the counts the triggers keep. English function words are no evidence and are left out, and
 * so are words in most of the user's chunks when the question has rarer ones.
 *
 * Only chunks the GIN index finds are scored, never the user's whole set: those holding one of
 * the rarest words (as many words as keep their chunks within KEYWORD_CANDIDATES, read from the
 * index without touching their text), plus a few holding every word. A chunk whose only words
 * are common ones can thus be missed; it would rank below the rare-word chunks anyway, and the
 * vector ranking still sees it.
 * $1 user, $2 document ids or null, $3 candidates.
 */
const keywordSql = (text: string) => `
  WITH words AS MATERIALIZED (
         SELECT DISTINCT w AS term FROM unnest(tsvector_to_array(to_tsvector('simple', search_words(${text})))) AS w
          WHERE to_tsvector('english', w) <> ''::tsvector
       ),
       terms AS MATERIALIZED (
         SELECT s.term, s.chunks AS df, ln(1 + (t.chunks - s.chunks + 0.5) / (s.chunks + 0.5)) AS idf,
                t.chunks >= 4 AND s.chunks > 0.6 * t.chunks AS common
           FROM words w
           JOIN document_chunk_terms s ON s.user_id = $1 AND s.term = w.term AND s.chunks > 0
           JOIN document_chunk_totals t ON t.user_id = $1
       ),
       weights AS MATERIALIZED (
         SELECT term, idf, ${lexemeQuery('term')} AS query, sum(df) OVER (ORDER BY df, term) AS running
           FROM terms
          WHERE NOT common OR NOT EXISTS (SELECT 1 FROM terms rare WHERE NOT rare.common)
       ),
       hits AS MATERIALIZED (
         SELECT c.document_id, c.idx, w.idf
           FROM weights w
           CROSS JOIN LATERAL (
             SELECT document_id, idx FROM document_chunks
              WHERE user_id = $1 AND ($2::text[] IS NULL OR document_id = ANY($2::text[])) AND tsv @@ w.query
           ) c
          WHERE w.running <= ${KEYWORD_CANDIDATES}
         UNION ALL
         -- Chunks with every word: all score the same, so a few more than asked are enough.
         (SELECT document_id, idx, NULL FROM document_chunks
           WHERE user_id = $1 AND ($2::text[] IS NULL OR document_id = ANY($2::text[]))
             AND tsv @@ (SELECT string_agg(query::text, ' & ')::tsquery FROM weights)
           LIMIT $3)
       ),
       partial AS (
         SELECT document_id, idx, bool_or(idf IS NULL) AS every_word,
                CASE WHEN bool_or(idf IS NULL) THEN (SELECT sum(idf) FROM weights) ELSE sum(idf) END AS r
           FROM hits
          GROUP BY document_id, idx
          ORDER BY r DESC, document_id, idx
          LIMIT 4 * $3
       ),
       -- The words too common to read from the index are looked up in the best candidates only;
       -- each weighs less than any word that was read, so the order changes little past them.
       scored AS (
         SELECT p.document_id, p.idx,
                p.r + CASE WHEN p.every_word THEN 0 ELSE coalesce((
                  SELECT sum(w.idf) FROM weights w WHERE w.running > ${KEYWORD_CANDIDATES} AND c.tsv @@ w.query
                ), 0) END AS r
           FROM partial p
           JOIN document_chunks c ON c.user_id = $1 AND c.document_id = p.document_id AND c.idx = p.idx
          ORDER BY r DESC, p.document_id, p.idx
          LIMIT $3
       )
  SELECT c.document_id, c.idx, c.page, c.text, NULL::float8 AS similarity, s.r::float8 AS keyword_score
    FROM scored s
    JOIN document_chunks c ON c.user_id = $1 AND c.document_id = s.document_id AND c.idx = s.idx
   ORDER BY s.r DESC, s.document_id, s.idx`;

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const vectorLiteral = (v: number[]) => `[${v.join(',')}]`;
const INSERT_BATCH = 500;

export interface PgvectorStore extends VectorStore {
  readonly name: 'pgvector';
  /** Whether this database has the vector column; without it search is by keyword only. */
  hasVectorSearch(): Promise<boolean>;
  /**
   * Builds the HNSW index of this vector size now, if the server can have one (the store does
   * so itself when a user first passes EXACT_SCAN_MAX chunks); for bulk loads, which build it
   * once at the end.
   */
  buildVectorIndex(dims: number): Promise<void>;
}

interface VectorSql {
  /** Schema-qualified names: the extension may live outside this connection's search_path. */
  schema: string;
  type: string;
  distance: string;
  /** HNSW indexes (pgvector 0.5) and their iterative scan (0.8). */
  hnsw: boolean;
  iterativeScan: boolean;
  halfvec: boolean;
}

/** HNSW indexes one size: a partial index per size over the column cast to it (halfvec past 2,000). */
export const hnswIndexName = (dims: number) => `document_chunks_hnsw_${dims}`;
const hnswType = (v: VectorSql, dims: number) =>
  dims <= 2000
    ? `${v.schema}.vector(${dims})`
    : v.halfvec && dims <= 4000
      ? `${v.schema}.halfvec(${dims})`
      : null;

const atLeast = (version: string, major: number, minor: number) => {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
};

/**
 * Chunks in PostgreSQL: pgvector for similarity (an exact scan for a user with few chunks, HNSW
 * past EXACT_SCAN_MAX) and the GIN full-text index for keywords, fused by fuseRankings.
 */
export function pgvectorStore(db: Db, opts: { exactScanMax?: number } = {}): PgvectorStore {
  const exactScanMax = opts.exactScanMax ?? EXACT_SCAN_MAX;
  let capability: Promise<VectorSql | null> | undefined;
  const vectorSql = () =>
    (capability ??= db
      .maybeOne<{ schema: string; version: string }>(
        `SELECT tn.nspname AS schema, e.extversion AS version
           FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace
           JOIN pg_extension e ON e.extnamespace = tn.oid AND e.extname = 'vector'
          WHERE a.attrelid = 'document_chunks'::regclass AND a.attname = 'embedding' AND NOT a.attisdropped`,
      )
      .then((r) => {
        if (!r) return null;
        const schema = quoteIdent(r.schema);
        return {
          schema,
          type: `${schema}.vector`,
          distance: `OPERATOR(${schema}.<=>)`,
          hnsw: atLeast(r.version, 0, 5),
          iterativeScan: atLeast(r.version, 0, 8),
          halfvec: atLeast(r.version, 0, 7),
        };
      })
      .catch((err: unknown) => {
        capability = undefined; // a failed look-up is asked again next time
        throw err;
      }));

  const indexed = new Map<number, Promise<void>>();
  /** The HNSW index for this size, made once some user has more chunks of it than exactScanMax. */
  const ensureIndex = (v: VectorSql, dims: number) => {
    let p = indexed.get(dims);
    if (!p) {
      p = createHnswIndex(db, v, dims).catch((err: unknown) => {
        indexed.delete(dims);
        throw err;
      });
      indexed.set(dims, p);
    }
    return p;
  };

  return {
    name: 'pgvector',

    memories: pgMemoryVectors(db),

    hasVectorSearch: async () => (await vectorSql()) !== null,

    async buildVectorIndex(dims) {
      const vec = await vectorSql();
      indexed.delete(dims); // asked again: it may have been dropped since
      if (vec) await ensureIndex(vec, dims);
    },

    async replaceDocumentChunks(r) {
      checkChunks(r);
      const vec = await vectorSql();
      await db.tx(async (tx) => {
        // Two replaces of one document at once would each delete what they can see and both
        // insert; taking turns per document leaves exactly one of them.
        await tx.exec(`SELECT pg_advisory_xact_lock(hashtextextended($1 || E'\\n' || $2, 5000))`, [
          r.userId,
          r.documentId,
        ]);
        await tx.exec('DELETE FROM document_chunks WHERE user_id = $1 AND document_id = $2', [
          r.userId,
          r.documentId,
        ]);
        for (let i = 0; i < r.chunks.length; i += INSERT_BATCH) {
          const batch = r.chunks.slice(i, i + INSERT_BATCH);
          const params: unknown[] = [
            r.userId,
            r.documentId,
            r.model,
            r.dimensions,
            batch.map((c) => c.index),
            batch.map((c) => c.page),
            batch.map((c) => c.text),
            batch.map((c) => c.tokens),
          ];
          if (vec) params.push(batch.map((c) => vectorLiteral(c.embedding)));
          await tx.exec(
            `INSERT INTO document_chunks (user_id, document_id, idx, page, text, tokens, model, dims${vec ? ', embedding' : ''})
             SELECT $1, $2, c.idx, c.page, c.text, c.tokens, $3, $4${vec ? `, c.embedding::${vec.type}` : ''}
               FROM unnest($5::int[], $6::int[], $7::text[], $8::int[]${vec ? ', $9::text[]' : ''})
                 AS c(idx, page, text, tokens${vec ? ', embedding' : ''})`,
            params,
          );
        }
      });
      // The index only pays once a user has more chunks than an exact scan handles well; until
      // then every insert would maintain a graph that no search walks.
      if (vec && !indexed.has(r.dimensions)) {
        const total = await db.maybeOne<{ chunks: number }>(
          'SELECT chunks FROM document_chunk_totals WHERE user_id = $1',
          [r.userId],
        );
        if ((total?.chunks ?? 0) > exactScanMax) await ensureIndex(vec, r.dimensions);
      }
    },

    async deleteDocument(userId, documentId) {
      await db.tx(async (tx) => {
        await tx.exec(`SELECT pg_advisory_xact_lock(hashtextextended($1 || E'\\n' || $2, 5000))`, [
          userId,
          documentId,
        ]);
        await tx.exec('DELETE FROM document_chunks WHERE user_id = $1 AND document_id = $2', [
          userId,
          documentId,
        ]);
      });
    },

    async hasChunks(userId) {
      const row = await db.one<{ any: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM document_chunks WHERE user_id = $1) AS any',
        [userId],
      );
      return row.any;
    },

    async search(q) {
      if (q.limit <= 0) return [];
      const vec = await vectorSql();
      const useVector = vec !== null && q.embedding.length > 0 && !isZero(q.embedding);
      const useKeyword = q.text.trim() !== '';
      if (!useVector && !useKeyword) return [];
      const n = candidatesFor(q.limit);
      const docs = q.documentIds ?? null;
      if (docs !== null && docs.length === 0) return [];
      const [vector, keyword] = await Promise.all([
        useVector ? vectorRanking(db, vec, { ...q, documentIds: docs, candidates: n, exactScanMax }) : [],
        useKeyword ? keywordRanking(db, [q.userId, docs, n, q.text]) : [],
      ]);
      return fuseRankings(vector, keyword, q.limit);
    },
  };
}

interface ChunkRow {
  document_id: string;
  idx: number;
  page: number | null;
  text: string;
  similarity: number | null;
  keyword_score?: number | null;
}

const rankedOf = (r: ChunkRow): RankedChunk => ({
  documentId: r.document_id,
  index: r.idx,
  page: r.page,
  text: r.text,
  similarity: r.similarity === null ? null : Number(r.similarity),
  keywordScore: r.keyword_score === null || r.keyword_score === undefined ? null : Number(r.keyword_score),
});

/**
 * The keyword ranking, every table read through an index. The word lists are only known inside
 * the query, so the planner guesses how many chunks hold them all, and PostgreSQL 15 guessed
 * few enough to scan the table for the first 32 (830 ms at 100k chunks, for 25 rows); an
 * index scan is never slower here.
 */
async function keywordRanking(db: Db, params: unknown[]): Promise<RankedChunk[]> {
  return db.tx(async (tx) => {
    await tx.exec('SET LOCAL enable_seqscan = off');
    return (await tx.many<ChunkRow>(keywordSql('$4'), params)).map(rankedOf);
  });
}

/**
 * The nearest chunks by cosine: an exact scan when the scope is small, else the HNSW index of
 * the vector's size (the cast in ORDER BY is what lets the planner use it), walked iteratively
 * with the user's filter and re-sorted, since a relaxed-order walk may return near-ties out of
 * order.
 */
async function vectorRanking(
  db: Db,
  vec: VectorSql,
  q: {
    userId: string;
    documentIds: string[] | null;
    embedding: number[];
    model: string;
    candidates: number;
    exactScanMax: number;
  },
): Promise<RankedChunk[]> {
  const dims = q.embedding.length;
  // $1 user, $2 document ids or null, $3 model.
  const scope = `user_id = $1 AND ($2::text[] IS NULL OR document_id = ANY($2::text[]))
                 AND model = $3 AND dims = ${dims} AND embedding IS NOT NULL`;
  const cast = vec.hnsw ? hnswType(vec, dims) : null;
  return db.tx(async (tx) => {
    const inScope = cast
      ? (
          await tx.one<{ n: number }>(
            `SELECT count(*)::int AS n FROM (SELECT 1 FROM document_chunks WHERE ${scope} LIMIT ${q.exactScanMax + 1}) s`,
            [q.userId, q.documentIds, q.model],
          )
        ).n
      : 0;
    const params = [q.userId, q.documentIds, q.model, q.candidates, vectorLiteral(q.embedding)];
    let distance = `embedding ${vec.distance} $5::${vec.type}`;
    if (cast && inScope > q.exactScanMax) {
      distance = `embedding::${cast} ${vec.distance} $5::${cast}`;
      await tx.exec(`SET LOCAL hnsw.ef_search = ${Math.min(1000, Math.max(100, 2 * q.candidates))}`);
      if (vec.iterativeScan) await tx.exec(`SET LOCAL hnsw.iterative_scan = relaxed_order`);
    }
    const rows = await tx.many<ChunkRow>(
      `WITH nearest AS MATERIALIZED (
         SELECT document_id, idx, ${distance} AS d FROM document_chunks
          WHERE ${scope} ORDER BY ${distance} LIMIT $4
       )
       SELECT c.document_id, c.idx, c.page, c.text, 1 - (c.embedding ${vec.distance} $5::${vec.type}) AS similarity
         FROM nearest n JOIN document_chunks c ON c.user_id = $1 AND c.document_id = n.document_id AND c.idx = n.idx
        ORDER BY similarity DESC, n.document_id, n.idx`,
      params,
    );
    return rows.map(rankedOf);
  });
}

/** Builds the HNSW index for one vector size unless it exists (asked first: CREATE INDEX locks the table). */
async function createHnswIndex(db: Db, v: VectorSql, dims: number): Promise<void> {
  const cast = v.hnsw ? hnswType(v, dims) : null;
  if (!cast) return;
  const name = hnswIndexName(dims);
  const exists = await db.one<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [name]);
  if (exists.ok) return;
  const ops = cast.includes('halfvec') ? `${v.schema}.halfvec_cosine_ops` : `${v.schema}.vector_cosine_ops`;
  try {
    await db.tx(async (tx) => {
      // The graph is built in memory while it fits, many times faster than on disk: 100k
      // 384-d vectors take ~200 MB, past the 64 MB default.
      await tx.exec(`SET LOCAL maintenance_work_mem = '512MB'`);
      await tx.exec(
        `CREATE INDEX IF NOT EXISTS ${name} ON document_chunks USING hnsw ((embedding::${cast}) ${ops}) WHERE dims = ${dims}`,
      );
    });
  } catch (err) {
    // Another process built it at the same moment.
    if ((await db.one<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [name])).ok) return;
    throw err;
  }
}

/**
 * Memory vectors in PostgreSQL (memory_vectors): the asking user's vectors of the model,
 * compared by pgvector's cosine where the extension is installed (it need not be enabled for
 * documents), else in JavaScript.
 */
function pgMemoryVectors(db: Db): MemoryVectors {
  let extension: Promise<{ type: string; distance: string } | null> | undefined;
  const vectorType = () =>
    (extension ??= db
      .maybeOne<{ schema: string }>(
        `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
          WHERE e.extname = 'vector'`,
      )
      .then((r) =>
        r
          ? { type: `${quoteIdent(r.schema)}.vector`, distance: `OPERATOR(${quoteIdent(r.schema)}.<=>)` }
          : null,
      )
      .catch((err: unknown) => {
        extension = undefined;
        throw err;
      }));
  return {
    async put(r) {
      checkVector(r.embedding);
      await db.exec(
        `INSERT INTO memory_vectors (user_id, memory_id, model, dims, embedding) VALUES ($1, $2, $3, $4, $5::real[])
         ON CONFLICT (user_id, memory_id)
         DO UPDATE SET model = EXCLUDED.model, dims = EXCLUDED.dims, embedding = EXCLUDED.embedding`,
        [r.userId, r.memoryId, r.model, r.embedding.length, r.embedding],
      );
    },

    async delete(userId, memoryId) {
      await db.exec('DELETE FROM memory_vectors WHERE user_id = $1 AND memory_id = $2', [userId, memoryId]);
    },

    async deleteAll(userId) {
      await db.exec('DELETE FROM memory_vectors WHERE user_id = $1', [userId]);
    },

    async nearest(q) {
      if (q.limit <= 0 || q.embedding.length === 0 || isZero(q.embedding)) return [];
      const params = [q.userId, q.model, q.embedding.length];
      const vec = await vectorType();
      if (vec) {
        const e = `$4::${vec.type}`;
        const rows = await db.many<{ memory_id: string; similarity: number }>(
          `SELECT memory_id, similarity FROM (
             SELECT memory_id, 1 - (embedding::${vec.type} ${vec.distance} ${e}) AS similarity FROM memory_vectors
              WHERE user_id = $1 AND model = $2 AND dims = $3
           ) m
            WHERE similarity >= $5 ORDER BY similarity DESC, memory_id LIMIT $6`,
          [...params, vectorLiteral(q.embedding), q.minSimilarity, q.limit],
        );
        return rows.map((r) => ({ memoryId: r.memory_id, similarity: Number(r.similarity) }));
      }
      const rows = await db.many<{ memory_id: string; embedding: number[] }>(
        'SELECT memory_id, embedding FROM memory_vectors WHERE user_id = $1 AND model = $2 AND dims = $3',
        params,
      );
      return rows
        .map((r) => ({ memoryId: r.memory_id, similarity: cosine(r.embedding, q.embedding) }))
        .filter((h) => h.similarity >= q.minSimilarity)
        .sort((a, b) => b.similarity - a.similarity || a.memoryId.localeCompare(b.memoryId))
        .slice(0, q.limit);
    },
  };
}
