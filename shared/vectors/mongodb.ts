import type { AnyBulkWriteOperation, Document, MongoClient, MongoServerError } from 'mongodb';
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

export const DEFAULT_COLLECTION = 'document_chunks';
export const TEXT_INDEX = 'document_chunks_text';
export const vectorIndexName = (dimensions: number) => `document_chunks_vector_${dimensions}`;
/**
 * A vector index has one size, so each size has its own field and index: chunks of a
 * 384-dimensional embedder and of a 1536-dimensional one can live side by side while a
 * change of embedder re-ingests.
 */
export const vectorPath = (dimensions: number) => `embedding_${dimensions}`;

/** Atlas asks for at least 20 candidates per result for good recall; 10,000 is its ceiling. */
export const numCandidatesFor = (limit: number) => Math.min(10_000, Math.max(100, 20 * limit));

interface Scope {
  userId: string;
  documentIds?: string[];
  limit: number;
}

const projectHit = (meta: 'vectorSearchScore' | 'searchScore') => ({
  $project: { _id: 0, documentId: 1, index: 1, page: 1, text: 1, score: { $meta: meta } },
});

/** `$vectorSearch` must be the first stage; its filter fields are declared in the index. */
export function vectorSearchPipeline(
  q: Scope & { embedding: number[]; model: string },
  opts: { numCandidates?: number } = {},
): Document[] {
  const dims = q.embedding.length;
  return [
    {
      $vectorSearch: {
        index: vectorIndexName(dims),
        path: vectorPath(dims),
        queryVector: q.embedding,
        numCandidates: opts.numCandidates ?? numCandidatesFor(q.limit),
        limit: q.limit,
        filter: {
          $and: [
            { userId: { $eq: q.userId } },
            { model: { $eq: q.model } },
            ...(q.documentIds ? [{ documentId: { $in: q.documentIds } }] : []),
          ],
        },
      },
    },
    projectHit('vectorSearchScore'),
  ];
}

/** Atlas Search over the chunk text (Lucene, BM25: rare words weigh more), in the user's chunks only. */
export function keywordPipeline(q: Scope & { text: string }): Document[] {
  return [
    {
      $search: {
        index: TEXT_INDEX,
        compound: {
          must: [{ text: { query: q.text, path: 'text' } }],
          filter: [
            { equals: { path: 'userId', value: q.userId } },
            ...(q.documentIds ? [{ in: { path: 'documentId', value: q.documentIds } }] : []),
          ],
        },
      },
    },
    { $limit: q.limit },
    projectHit('searchScore'),
  ];
}

/** The search indexes the store needs for one vector size. */
export function searchIndexDefinitions(
  dimensions: number,
): { name: string; type: string; definition: Document }[] {
  return [
    {
      name: vectorIndexName(dimensions),
      type: 'vectorSearch',
      definition: {
        fields: [
          { type: 'vector', path: vectorPath(dimensions), numDimensions: dimensions, similarity: 'cosine' },
          { type: 'filter', path: 'userId' },
          { type: 'filter', path: 'documentId' },
          { type: 'filter', path: 'model' },
        ],
      },
    },
    {
      name: TEXT_INDEX,
      type: 'search',
      definition: {
        mappings: {
          dynamic: false,
          fields: {
            text: { type: 'string', analyzer: 'lucene.standard' },
            userId: { type: 'token' },
            documentId: { type: 'token' },
          },
        },
      },
    },
  ];
}

interface Options {
  client: MongoClient;
  database: string;
  collection?: string;
}

/**
 * Creates what the store needs, or updates a definition that changed: the chunk and memory
 * collections, an ordinary index on each for deletes and hasChunks, and their vector and text
 * search indexes. Atlas builds search indexes in the background; `waitMs` waits until they
 * answer queries.
 */
export async function ensureMongoIndexes(
  opts: Options & { dimensions: number; waitMs?: number },
): Promise<void> {
  const db = opts.client.db(opts.database);
  const wanted: {
    collection: string;
    keys: Record<string, 1>;
    indexes: { name: string; type: string; definition: Document }[];
  }[] = [
    {
      collection: opts.collection ?? DEFAULT_COLLECTION,
      keys: { userId: 1, documentId: 1, index: 1 },
      indexes: searchIndexDefinitions(opts.dimensions),
    },
    { collection: MEMORY_COLLECTION, keys: { userId: 1 }, indexes: [memoryIndexDefinition(opts.dimensions)] },
  ];
  for (const w of wanted) {
    try {
      await db.createCollection(w.collection);
    } catch (err) {
      if ((err as MongoServerError).codeName !== 'NamespaceExists') throw err;
    }
    const col = db.collection(w.collection);
    await col.createIndex(w.keys);
    const existing = new Map(
      (await col.listSearchIndexes().toArray()).map((i) => [
        String(i.name),
        i as Document & { latestDefinition?: Document },
      ]),
    );
    for (const want of w.indexes) {
      const have = existing.get(want.name);
      if (!have) await col.createSearchIndex(want);
      else if (!sameDefinition(have.latestDefinition, want.definition))
        await col.updateSearchIndex(want.name, want.definition);
    }
  }
  if (!opts.waitMs) return;
  const deadline = Date.now() + opts.waitMs;
  for (const w of wanted) {
    const col = db.collection(w.collection);
    const names = w.indexes.map((d) => d.name);
    for (;;) {
      const indexes = (await col.listSearchIndexes().toArray()) as Document[];
      if (names.every((n) => indexes.some((i) => i.name === n && i.queryable === true))) break;
      if (Date.now() > deadline)
        throw new Error(`Atlas search indexes ${names.join(', ')} are not ready yet`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/** Atlas echoes a definition with defaults filled in; only what we set is compared. */
function sameDefinition(have: Document | undefined, want: Document): boolean {
  if (have === undefined) return false;
  const covers = (h: unknown, w: unknown): boolean => {
    if (Array.isArray(w))
      return Array.isArray(h) && h.length === w.length && w.every((x, i) => covers(h[i], x));
    if (w && typeof w === 'object') {
      return (
        !!h &&
        typeof h === 'object' &&
        Object.entries(w).every(([k, v]) => covers((h as Record<string, unknown>)[k], v))
      );
    }
    return h === w;
  };
  return covers(have, want);
}

interface HitDoc {
  documentId: string;
  index: number;
  page: number | null;
  text: string;
  score: number;
}

/**
 * Chunks in MongoDB Atlas: `$vectorSearch` and Atlas Search, fused here by fuseRankings (as
 * pgvector is) rather than with `$rankFusion`, which needs MongoDB 8.0+ and fuses by rank only.
 */
export function mongoVectorStore(opts: Options): VectorStore {
  const col = opts.client.db(opts.database).collection(opts.collection ?? DEFAULT_COLLECTION);
  return {
    name: 'mongodb',

    memories: mongoMemoryVectors(opts),

    async replaceDocumentChunks(r) {
      checkChunks(r);
      const session = opts.client.startSession();
      try {
        // Chunks have fixed ids, so a repeated or racing replace overwrites rather than adds;
        // the transaction keeps readers from seeing half of one set and half of another.
        await session.withTransaction(async () => {
          const writes: AnyBulkWriteOperation[] = r.chunks.map((c) => ({
            replaceOne: {
              filter: { _id: { u: r.userId, d: r.documentId, i: c.index } },
              replacement: {
                userId: r.userId,
                documentId: r.documentId,
                index: c.index,
                page: c.page,
                text: c.text,
                tokens: c.tokens,
                model: r.model,
                dims: r.dimensions,
                [vectorPath(r.dimensions)]: c.embedding,
              },
              upsert: true,
            },
          }));
          if (writes.length > 0) await col.bulkWrite(writes, { session, ordered: false });
          await col.deleteMany(
            { userId: r.userId, documentId: r.documentId, index: { $nin: r.chunks.map((c) => c.index) } },
            { session },
          );
        });
      } finally {
        await session.endSession();
      }
    },

    async deleteDocument(userId, documentId) {
      await col.deleteMany({ userId, documentId });
    },

    async hasChunks(userId) {
      return (await col.findOne({ userId }, { projection: { _id: 1 } })) !== null;
    },

    async search(q) {
      if (q.limit <= 0 || (q.documentIds && q.documentIds.length === 0)) return [];
      const n = candidatesFor(q.limit);
      const scope = { userId: q.userId, documentIds: q.documentIds, limit: n };
      const useVector = q.embedding.length > 0 && !isZero(q.embedding);
      const useKeyword = q.text.trim() !== '';
      const [vector, keyword] = await Promise.all([
        useVector
          ? col
              .aggregate<HitDoc>(vectorSearchPipeline({ ...scope, embedding: q.embedding, model: q.model }))
              .toArray()
          : [],
        useKeyword ? col.aggregate<HitDoc>(keywordPipeline({ ...scope, text: q.text })).toArray() : [],
      ]);
      const ranked = (hits: HitDoc[], cosine: boolean): RankedChunk[] =>
        hits.map((h) => ({
          documentId: h.documentId,
          index: h.index,
          page: h.page ?? null,
          text: h.text,
          // Atlas reports cosine as (1 + cos) / 2.
          similarity: cosine ? 2 * h.score - 1 : null,
          keywordScore: cosine ? null : h.score,
        }));
      return fuseRankings(ranked(vector, true), ranked(keyword, false), q.limit);
    },
  };
}

export const MEMORY_COLLECTION = 'memory_vectors';
export const memoryIndexName = (dimensions: number) => `memory_vectors_vector_${dimensions}`;

/** The index memory recall needs for one vector size, filtered by owner and model. */
export function memoryIndexDefinition(dimensions: number): {
  name: string;
  type: string;
  definition: Document;
} {
  return {
    name: memoryIndexName(dimensions),
    type: 'vectorSearch',
    definition: {
      fields: [
        { type: 'vector', path: vectorPath(dimensions), numDimensions: dimensions, similarity: 'cosine' },
        { type: 'filter', path: 'userId' },
        { type: 'filter', path: 'model' },
      ],
    },
  };
}

/**
 * The user's nearest memories: `$vectorSearch` in their own vectors of the model, then the
 * floor (Atlas scores cosine as (1 + cos) / 2, so the floor is turned into that scale).
 */
export function memorySearchPipeline(q: {
  userId: string;
  embedding: number[];
  model: string;
  limit: number;
  minSimilarity: number;
}): Document[] {
  const dims = q.embedding.length;
  return [
    {
      $vectorSearch: {
        index: memoryIndexName(dims),
        path: vectorPath(dims),
        queryVector: q.embedding,
        numCandidates: numCandidatesFor(q.limit),
        limit: q.limit,
        filter: { $and: [{ userId: { $eq: q.userId } }, { model: { $eq: q.model } }] },
      },
    },
    { $project: { _id: 0, memoryId: 1, score: { $meta: 'vectorSearchScore' } } },
    { $match: { score: { $gte: (1 + q.minSimilarity) / 2 } } },
  ];
}

function mongoMemoryVectors(opts: Options): MemoryVectors {
  const col = opts.client.db(opts.database).collection(MEMORY_COLLECTION);
  return {
    async put(r) {
      checkVector(r.embedding);
      await col.replaceOne(
        { _id: { u: r.userId, m: r.memoryId } },
        {
          userId: r.userId,
          memoryId: r.memoryId,
          model: r.model,
          dims: r.embedding.length,
          [vectorPath(r.embedding.length)]: r.embedding,
        },
        { upsert: true },
      );
    },
    async delete(userId, memoryId) {
      await col.deleteOne({ _id: { u: userId, m: memoryId } });
    },
    async deleteAll(userId) {
      await col.deleteMany({ userId });
    },
    async nearest(q) {
      if (q.limit <= 0 || q.embedding.length === 0 || isZero(q.embedding)) return [];
      const rows = await col
        .aggregate<{ memoryId: string; score: number }>(memorySearchPipeline(q))
        .toArray();
      return rows.map((r) => ({ memoryId: r.memoryId, similarity: 2 * r.score - 1 }));
    },
  };
}
