import type { Db } from '../db/db';
import type { Migration } from '../db/migration';
import {
  candidatesFor,
  checkChunks,
  isZero,
  reciprocalRankFusion,
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
];

/** Adds the vector column if pgvector has become available since the migration ran. */
export async function enablePgvector(db: Db): Promise<void> {
  await db.exec(ENABLE_PGVECTOR);
}

/**
 * Keyword ranking for questions, not search-box syntax: a chunk matches when it holds any
 * word of the question (websearch_to_tsquery would ask for all of them, and a whole question
 * is almost never in one chunk). PostgreSQL's own ranks know nothing of how rare a word is,
 * so each word weighs its BM25 inverse document frequency among the chunks searched. English
 * function words are no evidence and are left out, and so are words in most of those chunks
 * when the question has rarer ones (else "contract" would match every chunk of a contract).
 * $1 user, $2 document ids or null, $3 candidates.
 */
const keywordSql = (text: string) => `
  SELECT 'k' AS side, row_number() OVER (ORDER BY k.r DESC, k.document_id, k.idx) AS rank,
         c.document_id, c.idx, c.page, c.text, NULL::float8 AS similarity
    FROM (
      WITH scope AS (
             SELECT document_id, idx, tsv FROM document_chunks
              WHERE user_id = $1 AND ($2::text[] IS NULL OR document_id = ANY($2::text[]))
           ),
           terms AS MATERIALIZED (
             SELECT DISTINCT t AS term FROM unnest(tsvector_to_array(to_tsvector('simple', ${text}))) AS t
              WHERE to_tsvector('english', t) <> ''::tsvector
           ),
           total AS MATERIALIZED (SELECT count(*) AS n FROM scope),
           dfs AS MATERIALIZED (
             SELECT to_tsquery('simple', quote_literal(terms.term)) AS query,
                    ln(1 + (total.n - df.n + 0.5) / (df.n + 0.5)) AS idf,
                    total.n >= 4 AND df.n > 0.6 * total.n AS common
               FROM terms CROSS JOIN total
               CROSS JOIN LATERAL (
                 SELECT count(*) AS n FROM scope WHERE scope.tsv @@ to_tsquery('simple', quote_literal(terms.term))
               ) df
              WHERE df.n > 0
           ),
           weights AS MATERIALIZED (
             SELECT query, idf FROM dfs
              WHERE NOT common OR NOT EXISTS (SELECT 1 FROM dfs rare WHERE NOT rare.common)
           )
      SELECT s.document_id, s.idx, sum(w.idf) AS r
        FROM scope s JOIN weights w ON s.tsv @@ w.query
       GROUP BY s.document_id, s.idx
       ORDER BY r DESC, s.document_id, s.idx
       LIMIT $3
    ) k
    JOIN document_chunks c ON c.user_id = $1 AND c.document_id = k.document_id AND c.idx = k.idx`;

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const vectorLiteral = (v: number[]) => `[${v.join(',')}]`;
const INSERT_BATCH = 500;

export interface PgvectorStore extends VectorStore {
  readonly name: 'pgvector';
  /** Whether this database has the vector column; without it search is by keyword only. */
  hasVectorSearch(): Promise<boolean>;
}

/**
 * Chunks in PostgreSQL: pgvector for similarity (an exact scan of the asking user's chunks,
 * which is fast for the few thousand a person has and never misses one the way a filtered
 * approximate index can) and a GIN full-text index for keywords, fused by rank.
 */
export function pgvectorStore(db: Db): PgvectorStore {
  let capability: Promise<{ type: string; distance: string } | null> | undefined;
  /** The schema-qualified vector type and cosine operator, or null without pgvector. */
  const vectorSql = () =>
    (capability ??= db
      .maybeOne<{ schema: string }>(
        `SELECT tn.nspname AS schema
           FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace
          WHERE a.attrelid = 'document_chunks'::regclass AND a.attname = 'embedding' AND NOT a.attisdropped`,
      )
      .then((r) =>
        r
          ? { type: `${quoteIdent(r.schema)}.vector`, distance: `OPERATOR(${quoteIdent(r.schema)}.<=>)` }
          : null,
      )
      .catch((err: unknown) => {
        capability = undefined; // a failed look-up is asked again next time
        throw err;
      }));

  return {
    name: 'pgvector',

    hasVectorSearch: async () => (await vectorSql()) !== null,

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
      const parts: string[] = [];
      const params: unknown[] = [q.userId, docs, n];
      if (useVector) {
        params.push(vectorLiteral(q.embedding), q.model, q.embedding.length);
        const e = `$${params.length - 2}::${vec.type}`;
        parts.push(`
          SELECT 'v' AS side, row_number() OVER (ORDER BY d, document_id, idx) AS rank,
                 document_id, idx, page, text, 1 - d AS similarity
            FROM (SELECT document_id, idx, page, text, embedding ${vec.distance} ${e} AS d
                    FROM document_chunks
                   WHERE user_id = $1 AND ($2::text[] IS NULL OR document_id = ANY($2::text[]))
                     AND model = $${params.length - 1} AND dims = $${params.length} AND embedding IS NOT NULL
                   ORDER BY d, document_id, idx
                   LIMIT $3) v`);
      }
      if (useKeyword) {
        params.push(q.text);
        parts.push(keywordSql(`$${params.length}`));
      }
      const rows = await db.many<{
        side: 'v' | 'k';
        rank: number;
        document_id: string;
        idx: number;
        page: number | null;
        text: string;
        similarity: number | null;
      }>(`${parts.join(' UNION ALL ')} ORDER BY side, rank`, params);
      const ranked = (side: 'v' | 'k'): RankedChunk[] =>
        rows
          .filter((r) => r.side === side)
          .map((r) => ({
            documentId: r.document_id,
            index: r.idx,
            page: r.page,
            text: r.text,
            similarity: r.similarity === null ? null : Number(r.similarity),
          }));
      return reciprocalRankFusion(ranked('v'), ranked('k'), q.limit);
    },
  };
}
