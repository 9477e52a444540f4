import { randomBytes } from 'node:crypto';
import { MongoClient, type Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { CONTRACT_DIMENSIONS, vectorStoreContract } from './contract';
import {
  ensureMongoIndexes,
  keywordPipeline,
  memoryIndexDefinition,
  memorySearchPipeline,
  mongoVectorStore,
  numCandidatesFor,
  searchIndexDefinitions,
  vectorSearchPipeline,
} from './mongodb';

describe('MongoDB pipelines', () => {
  it('vector search comes first, filters by user and model (and documents), with 20× candidates', () => {
    const p = vectorSearchPipeline({ userId: 'u1', embedding: [0.1, 0.2, 0.3], model: 'm', limit: 10 });
    expect(Object.keys(p[0]!)).toEqual(['$vectorSearch']);
    expect(p[0]!.$vectorSearch).toEqual({
      index: 'document_chunks_vector_3',
      path: 'embedding_3',
      queryVector: [0.1, 0.2, 0.3],
      numCandidates: 200,
      limit: 10,
      filter: { $and: [{ userId: { $eq: 'u1' } }, { model: { $eq: 'm' } }] },
    });
    expect(p[1]).toEqual({
      $project: { _id: 0, documentId: 1, index: 1, page: 1, text: 1, score: { $meta: 'vectorSearchScore' } },
    });
    const scoped = vectorSearchPipeline({
      userId: 'u1',
      embedding: [1],
      model: 'm',
      limit: 2,
      documentIds: ['d1'],
    });
    expect(scoped[0]!.$vectorSearch.filter.$and).toContainEqual({ documentId: { $in: ['d1'] } });
    expect(scoped[0]!.$vectorSearch.numCandidates).toBe(100);
    for (const limit of [1, 5, 50, 400, 1000])
      expect(numCandidatesFor(limit)).toBeGreaterThanOrEqual(Math.min(10_000, 20 * limit));
  });

  it('keyword search is Atlas Search in the user’s chunks, optionally in some documents', () => {
    const p = keywordPipeline({ userId: 'u1', text: 'rare word', limit: 20, documentIds: ['d1', 'd2'] });
    expect(p[0]).toEqual({
      $search: {
        index: 'document_chunks_text',
        compound: {
          must: [{ text: { query: 'rare word', path: 'text' } }],
          filter: [
            { equals: { path: 'userId', value: 'u1' } },
            { in: { path: 'documentId', value: ['d1', 'd2'] } },
          ],
        },
      },
    });
    expect(p[1]).toEqual({ $limit: 20 });
    expect(p[2]!.$project.score).toEqual({ $meta: 'searchScore' });
  });

  it('declares the filter fields in the vector index and indexes user and document ids as tokens', () => {
    const [vector, text] = searchIndexDefinitions(384);
    expect(vector).toMatchObject({ name: 'document_chunks_vector_384', type: 'vectorSearch' });
    expect(vector!.definition.fields).toEqual([
      { type: 'vector', path: 'embedding_384', numDimensions: 384, similarity: 'cosine' },
      { type: 'filter', path: 'userId' },
      { type: 'filter', path: 'documentId' },
      { type: 'filter', path: 'model' },
    ]);
    expect(text!.definition.mappings.fields).toMatchObject({
      userId: { type: 'token' },
      documentId: { type: 'token' },
    });
  });
});

describe('MongoDB memory pipelines', () => {
  it('memory recall is a vector search in the user’s own vectors of the model, floored on Atlas’s scale', () => {
    const p = memorySearchPipeline({
      userId: 'u1',
      embedding: [0.6, 0.8],
      model: 'm',
      limit: 10,
      minSimilarity: 0.2,
    });
    expect(p[0]!.$vectorSearch).toEqual({
      index: 'memory_vectors_vector_2',
      path: 'embedding_2',
      queryVector: [0.6, 0.8],
      numCandidates: 200,
      limit: 10,
      filter: { $and: [{ userId: { $eq: 'u1' } }, { model: { $eq: 'm' } }] },
    });
    // Cosine 0.2 is an Atlas score of (1 + 0.2) / 2.
    expect(p.at(-1)).toEqual({ $match: { score: { $gte: 0.6 } } });
    expect(memoryIndexDefinition(2).definition.fields).toEqual([
      { type: 'vector', path: 'embedding_2', numDimensions: 2, similarity: 'cosine' },
      { type: 'filter', path: 'userId' },
      { type: 'filter', path: 'model' },
    ]);
  });
});

/** Just enough of the driver to see what the store sends: calls are recorded, answers scripted. */
function fakeClient(
  answers: {
    vector?: Document[];
    keyword?: Document[];
    memories?: Document[];
    searchIndexes?: Document[];
  } = {},
) {
  const calls: { op: string; args: unknown[] }[] = [];
  const record =
    (op: string, result: unknown = undefined) =>
    async (...args: unknown[]) => {
      calls.push({ op, args });
      return result;
    };
  const collection = {
    aggregate: (pipeline: Document[]) => {
      calls.push({ op: 'aggregate', args: [pipeline] });
      const first = pipeline[0]!;
      const rows =
        '$vectorSearch' in first
          ? String((first.$vectorSearch as Document).index).startsWith('memory_')
            ? answers.memories
            : answers.vector
          : answers.keyword;
      return { toArray: async () => rows ?? [] };
    },
    bulkWrite: record('bulkWrite'),
    replaceOne: record('replaceOne'),
    deleteOne: record('deleteOne'),
    deleteMany: record('deleteMany'),
    findOne: record('findOne', null),
    createIndex: record('createIndex'),
    createSearchIndex: record('createSearchIndex'),
    updateSearchIndex: record('updateSearchIndex'),
    listSearchIndexes: () => ({ toArray: async () => answers.searchIndexes ?? [] }),
  };
  const client = {
    db: () => ({
      collection: () => collection,
      createCollection: record('createCollection'),
    }),
    startSession: () => ({
      withTransaction: async (fn: () => Promise<void>) => {
        calls.push({ op: 'transaction', args: [] });
        await fn();
      },
      endSession: record('endSession'),
    }),
  };
  return { client: client as unknown as MongoClient, calls };
}

describe('mongoVectorStore (against a recording fake of the driver)', () => {
  it('replaces in one transaction: upserts by fixed ids, then removes the chunks no longer there', async () => {
    const { client, calls } = fakeClient();
    const store = mongoVectorStore({ client, database: 'db' });
    await store.replaceDocumentChunks({
      userId: 'u1',
      documentId: 'd1',
      model: 'm',
      dimensions: 2,
      chunks: [
        { index: 0, page: 1, text: 'a', tokens: 1, embedding: [1, 0] },
        { index: 1, page: null, text: 'b', tokens: 1, embedding: [0, 1] },
      ],
    });
    expect(calls.map((c) => c.op)).toEqual(['transaction', 'bulkWrite', 'deleteMany', 'endSession']);
    const [ops, options] = calls[1]!.args as [Document[], Document];
    expect(ops[0]).toEqual({
      replaceOne: {
        filter: { _id: { u: 'u1', d: 'd1', i: 0 } },
        replacement: {
          userId: 'u1',
          documentId: 'd1',
          index: 0,
          page: 1,
          text: 'a',
          tokens: 1,
          model: 'm',
          dims: 2,
          embedding_2: [1, 0],
        },
        upsert: true,
      },
    });
    expect(options.session).toBeDefined();
    expect(calls[2]!.args[0]).toEqual({ userId: 'u1', documentId: 'd1', index: { $nin: [0, 1] } });
  });

  it('searches both ways in the user’s chunks and fuses them, turning Atlas scores into cosine', async () => {
    const hit = (documentId: string, index: number, score: number) => ({
      documentId,
      index,
      page: 1,
      text: 't',
      score,
    });
    const { client, calls } = fakeClient({
      vector: [hit('d1', 0, 0.95), hit('d1', 1, 0.9)],
      keyword: [hit('d1', 1, 3.2)],
    });
    const store = mongoVectorStore({ client, database: 'db' });
    const hits = await store.search({ userId: 'u1', embedding: [1, 0], text: 'word', model: 'm', limit: 5 });
    expect(hits.map((h) => [h.index, h.vectorRank, h.keywordRank])).toEqual([
      [1, 2, 1],
      [0, 1, null],
    ]);
    expect(hits[1]!.similarity).toBeCloseTo(0.9);
    const pipelines = calls.filter((c) => c.op === 'aggregate').map((c) => c.args[0] as Document[]);
    expect(pipelines).toHaveLength(2);
    expect(JSON.stringify(pipelines)).toContain('"userId":{"$eq":"u1"}');
    expect(JSON.stringify(pipelines)).toContain('"equals":{"path":"userId","value":"u1"}');
  });

  it('asks nothing for an empty question, an empty document list or a zero vector', async () => {
    const { client, calls } = fakeClient();
    const store = mongoVectorStore({ client, database: 'db' });
    expect(await store.search({ userId: 'u', embedding: [0, 0], text: ' ', model: 'm', limit: 5 })).toEqual(
      [],
    );
    expect(
      await store.search({
        userId: 'u',
        embedding: [1, 0],
        text: 'x',
        model: 'm',
        limit: 5,
        documentIds: [],
      }),
    ).toEqual([]);
    expect(calls.filter((c) => c.op === 'aggregate')).toHaveLength(0);
  });

  it('keeps one vector per memory under a fixed id, and reads Atlas scores back as cosine', async () => {
    const { client, calls } = fakeClient({ memories: [{ memoryId: 'm1', score: 0.9 }] });
    const store = mongoVectorStore({ client, database: 'db' });
    await store.memories.put({ userId: 'u1', memoryId: 'm1', model: 'm', embedding: [0.6, 0.8] });
    expect(calls.at(-1)).toEqual({
      op: 'replaceOne',
      args: [
        { _id: { u: 'u1', m: 'm1' } },
        { userId: 'u1', memoryId: 'm1', model: 'm', dims: 2, embedding_2: [0.6, 0.8] },
        { upsert: true },
      ],
    });
    await expect(
      store.memories.put({ userId: 'u1', memoryId: 'm2', model: 'm', embedding: [NaN] }),
    ).rejects.toThrow(/finite/);
    const hits = await store.memories.nearest({
      userId: 'u1',
      embedding: [1, 0],
      model: 'm',
      limit: 5,
      minSimilarity: 0.2,
    });
    expect(hits).toHaveLength(1);
    expect(hits[0]!.similarity).toBeCloseTo(0.8);
    await store.memories.delete('u1', 'm1');
    await store.memories.deleteAll('u1');
    expect(calls.slice(-2)).toEqual([
      { op: 'deleteOne', args: [{ _id: { u: 'u1', m: 'm1' } }] },
      { op: 'deleteMany', args: [{ userId: 'u1' }] },
    ]);
  });

  it('ensureMongoIndexes creates what is missing, updates what changed, leaves what matches', async () => {
    const [vector, text] = searchIndexDefinitions(8);
    const fresh = fakeClient();
    await ensureMongoIndexes({ client: fresh.client, database: 'db', dimensions: 8 });
    expect(
      fresh.calls.filter((c) => c.op === 'createSearchIndex').map((c) => (c.args[0] as Document).name),
    ).toEqual([vector!.name, text!.name, memoryIndexDefinition(8).name]);
    const changed = fakeClient({
      searchIndexes: [
        {
          name: vector!.name,
          latestDefinition: { fields: [{ type: 'vector', path: 'embedding_8', numDimensions: 4 }] },
        },
        // Atlas fills in defaults (here storedSource); an echo with extras still matches.
        { name: text!.name, latestDefinition: { ...text!.definition, storedSource: false } },
      ],
    });
    await ensureMongoIndexes({ client: changed.client, database: 'db', dimensions: 8 });
    // The fake lists the same indexes for both collections: only the memory index is missing.
    expect(
      changed.calls.filter((c) => c.op === 'createSearchIndex').map((c) => (c.args[0] as Document).name),
    ).toEqual([memoryIndexDefinition(8).name]);
    expect(changed.calls.filter((c) => c.op === 'updateSearchIndex').map((c) => c.args[0])).toEqual([
      vector!.name,
    ]);
  });
});

const uri = process.env.MONGODB_URI;
vectorStoreContract(
  'MongoDB Atlas (MONGODB_URI)',
  uri
    ? async () => {
        const client = await MongoClient.connect(uri);
        const database = `gm_contract_${randomBytes(4).toString('hex')}`;
        await ensureMongoIndexes({ client, database, dimensions: CONTRACT_DIMENSIONS, waitMs: 180_000 });
        return {
          store: mongoVectorStore({ client, database }),
          vectorSearch: true,
          settleMs: 30_000,
          close: async () => {
            await client.db(database).dropDatabase();
            await client.close();
          },
        };
      }
    : {
        skip: 'MONGODB_URI is not set (no MongoDB server can run here; set it to an Atlas cluster to run these)',
      },
);
