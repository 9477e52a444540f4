/**
 * What every VectorStore promises, as one test suite each store runs (see pgvector.test.ts
 * and mongodb.test.ts). Test code: imports vitest.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type { SearchHit, StoredChunk, VectorStore } from './store';

export const CONTRACT_DIMENSIONS = 8;
const MODEL = 'contract-model';

export interface ContractHarness {
  store: VectorStore;
  /** false where the store runs without vectors (PostgreSQL without pgvector): vector claims are skipped. */
  vectorSearch: boolean;
  /** Search indexes that catch up asynchronously (Atlas Search) are waited for this long. */
  settleMs?: number;
  close(): Promise<void>;
}

/** A unit vector near axis `axis`, slightly tilted by `tilt` so that ties do not happen. */
const near = (axis: number, tilt = 0): number[] => {
  const v = Array.from({ length: CONTRACT_DIMENSIONS }, (_, i) =>
    i === axis ? 1 : i === (axis + 1) % 8 ? tilt : 0,
  );
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
};

const chunk = (
  index: number,
  text: string,
  embedding = near(index % CONTRACT_DIMENSIONS),
  page: number | null = 1,
) => ({ index, page, text, tokens: text.split(' ').length, embedding }) satisfies StoredChunk;

const uid = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;

/** Retries an assertion while an eventually consistent index catches up. */
async function eventually<T>(settleMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const keys = (hits: SearchHit[]) => hits.map((h) => `${h.documentId}#${h.index}`).sort();

export function vectorStoreContract(
  title: string,
  setup: (() => Promise<ContractHarness>) | { skip: string },
): void {
  describe(`VectorStore contract: ${title}`, () => {
    if (typeof setup !== 'function') {
      for (const name of CLAIMS) it.skip(`${name} — skipped: ${setup.skip}`, () => undefined);
      return;
    }
    let h: ContractHarness;
    beforeAll(async () => {
      h = await setup();
    });
    afterAll(async () => {
      await h?.close();
    });
    const settle = <T>(fn: () => Promise<T>) => eventually(h.settleMs ?? 0, fn);
    const needsVectors = (ctx: TestContext) =>
      ctx.skip(
        !h.vectorSearch,
        `${title} has no vector search here (pgvector is not installed): keyword claims only`,
      );
    const everything = (userId: string, extra: { documentIds?: string[]; model?: string } = {}) =>
      h.store.search({ userId, embedding: near(0), text: 'common', model: MODEL, limit: 100, ...extra });

    it(CLAIMS[0], async () => {
      const userId = uid('u');
      const chunks = [
        chunk(0, 'common alpha'),
        chunk(1, 'common beta', near(1), 2),
        chunk(2, 'common gamma'),
      ];
      const doc = { userId, documentId: 'd1', model: MODEL, dimensions: CONTRACT_DIMENSIONS, chunks };
      await h.store.replaceDocumentChunks(doc);
      await h.store.replaceDocumentChunks(doc);
      const hits = await settle(async () => {
        const hits = await everything(userId);
        expect(keys(hits)).toEqual(['d1#0', 'd1#1', 'd1#2']);
        return hits;
      });
      expect(hits.find((x) => x.index === 1)).toMatchObject({ page: 2, text: 'common beta' });
    });

    it(CLAIMS[1], async () => {
      const userId = uid('u');
      const put = (label: string, count: number) =>
        h.store.replaceDocumentChunks({
          userId,
          documentId: 'd1',
          model: MODEL,
          dimensions: CONTRACT_DIMENSIONS,
          chunks: Array.from({ length: count }, (_, i) => chunk(i, `common ${label}${i} ${label}`)),
        });
      await put('old', 5);
      await put('new', 2);
      await settle(async () => {
        const hits = await everything(userId);
        expect(keys(hits)).toEqual(['d1#0', 'd1#1']);
        expect(hits.every((x) => x.text.endsWith(' new'))).toBe(true);
      });
      // Replaces racing each other end with one whole set, never a mixture or a sum.
      await Promise.all([put('alpha', 4), put('beta', 3), put('alpha', 4), put('beta', 3)]);
      await settle(async () => {
        const hits = await everything(userId);
        const labels = new Set(hits.map((x) => x.text.split(' ').pop()));
        expect(labels.size).toBe(1);
        expect(hits).toHaveLength(labels.has('alpha') ? 4 : 3);
      });
    });

    it(CLAIMS[2], async () => {
      const alice = uid('alice');
      const bob = uid('bob');
      const same = [chunk(0, 'common shared secret words'), chunk(1, 'common more shared words')];
      for (const [userId, documentId] of [
        [alice, 'doc-a'],
        [bob, 'doc-b'],
      ] as const) {
        await h.store.replaceDocumentChunks({
          userId,
          documentId,
          model: MODEL,
          dimensions: CONTRACT_DIMENSIONS,
          chunks: same,
        });
      }
      await settle(async () => {
        expect(new Set((await everything(alice)).map((x) => x.documentId))).toEqual(new Set(['doc-a']));
        expect(new Set((await everything(bob)).map((x) => x.documentId))).toEqual(new Set(['doc-b']));
      });
      // Naming another user's document does not reach it.
      expect(await everything(alice, { documentIds: ['doc-b'] })).toEqual([]);
    });

    it(CLAIMS[3], async () => {
      const userId = uid('u');
      for (const documentId of ['d1', 'd2', 'd3']) {
        await h.store.replaceDocumentChunks({
          userId,
          documentId,
          model: MODEL,
          dimensions: CONTRACT_DIMENSIONS,
          chunks: [chunk(0, `common text of ${documentId}`), chunk(1, `common more of ${documentId}`)],
        });
      }
      await settle(async () => {
        expect(keys(await everything(userId, { documentIds: ['d2'] }))).toEqual(['d2#0', 'd2#1']);
        expect(keys(await everything(userId, { documentIds: ['d1', 'd3'] }))).toEqual([
          'd1#0',
          'd1#1',
          'd3#0',
          'd3#1',
        ]);
        expect(await everything(userId, { documentIds: [] })).toEqual([]);
      });
    });

    it(CLAIMS[4], async () => {
      const userId = uid('u');
      // The rare word's chunk points away from the question; the others point near it.
      const chunks = [
        chunk(0, 'the harbour at dawn with boats', near(0, 0.1)),
        chunk(1, 'the harbour at noon with gulls', near(0, 0.2)),
        chunk(2, 'the harbour at dusk with lamps', near(0, 0.3)),
        chunk(3, 'a xylophonist played by the harbour', near(5)),
        chunk(4, 'the harbour at night with stars', near(0, 0.4)),
      ];
      await h.store.replaceDocumentChunks({
        userId,
        documentId: 'd1',
        model: MODEL,
        dimensions: CONTRACT_DIMENSIONS,
        chunks,
      });
      await settle(async () => {
        const hits = await h.store.search({
          userId,
          embedding: near(0),
          text: 'xylophonist',
          model: MODEL,
          limit: 3,
        });
        expect(hits[0]).toMatchObject({ documentId: 'd1', index: 3, keywordRank: 1 });
        expect(hits.length).toBeLessThanOrEqual(3);
      });
    });

    it(CLAIMS[5], async (ctx) => {
      needsVectors(ctx);
      const userId = uid('u');
      await h.store.replaceDocumentChunks({
        userId,
        documentId: 'd1',
        model: MODEL,
        dimensions: CONTRACT_DIMENSIONS,
        chunks: [0, 1, 2, 3].map((i) => chunk(i, `passage number ${i}`, near(i))),
      });
      await settle(async () => {
        const hits = await h.store.search({
          userId,
          embedding: near(2, 0.05),
          text: 'unmatched',
          model: MODEL,
          limit: 2,
        });
        expect(hits).toHaveLength(2);
        expect(hits[0]).toMatchObject({ index: 2, vectorRank: 1, keywordRank: null });
        expect(hits[0]!.similarity).toBeGreaterThan(0.99);
        expect(hits[1]!.vectorRank).toBe(2);
      });
    });

    it(CLAIMS[6], async (ctx) => {
      needsVectors(ctx);
      const userId = uid('u');
      await h.store.replaceDocumentChunks({
        userId,
        documentId: 'old-model-doc',
        model: 'another-model',
        dimensions: CONTRACT_DIMENSIONS,
        chunks: [chunk(0, 'written by another embedder', near(0))],
      });
      await h.store.replaceDocumentChunks({
        userId,
        documentId: 'd1',
        model: MODEL,
        dimensions: CONTRACT_DIMENSIONS,
        chunks: [chunk(0, 'this model', near(1))],
      });
      await settle(async () => {
        const hits = await h.store.search({
          userId,
          embedding: near(0),
          text: 'nothing',
          model: MODEL,
          limit: 5,
        });
        expect(hits.map((x) => x.documentId)).toEqual(['d1']);
        // Its words are still found.
        const byWord = await h.store.search({
          userId,
          embedding: near(0),
          text: 'embedder',
          model: MODEL,
          limit: 5,
        });
        expect(byWord.find((x) => x.documentId === 'old-model-doc')).toMatchObject({
          vectorRank: null,
          keywordRank: 1,
        });
      });
    });

    it(CLAIMS[7], async () => {
      const userId = uid('u');
      const other = uid('other');
      expect(await h.store.hasChunks(userId)).toBe(false);
      for (const [u, d] of [
        [userId, 'd1'],
        [userId, 'd2'],
        [other, 'd1'],
      ] as const) {
        await h.store.replaceDocumentChunks({
          userId: u,
          documentId: d,
          model: MODEL,
          dimensions: CONTRACT_DIMENSIONS,
          chunks: [chunk(0, `common ${d}`), chunk(1, `common again ${d}`)],
        });
      }
      expect(await h.store.hasChunks(userId)).toBe(true);
      await h.store.deleteDocument(userId, 'd1');
      await settle(async () => expect(keys(await everything(userId))).toEqual(['d2#0', 'd2#1']));
      await h.store.deleteDocument(userId, 'd2');
      expect(await h.store.hasChunks(userId)).toBe(false);
      await settle(async () => expect(await everything(userId)).toEqual([]));
      // Another user's document of the same id is untouched.
      await settle(async () => expect(keys(await everything(other))).toEqual(['d1#0', 'd1#1']));
      await h.store.deleteDocument(userId, 'never-existed');
    });

    it(CLAIMS[8], async () => {
      const userId = uid('u');
      await expect(
        h.store.replaceDocumentChunks({
          userId,
          documentId: 'd1',
          model: MODEL,
          dimensions: CONTRACT_DIMENSIONS,
          chunks: [chunk(0, 'ok'), { ...chunk(1, 'short'), embedding: [1, 0] }],
        }),
      ).rejects.toThrow(/dimensional/);
      expect(await h.store.hasChunks(userId)).toBe(false);
    });

    it(CLAIMS[9], async () => {
      const userId = uid('u');
      const other = uid('other');
      const put = (u: string, memoryId: string, embedding: number[], model = MODEL) =>
        h.store.memories.put({ userId: u, memoryId, model, embedding });
      await put(userId, 'close', near(0, 0.1));
      await put(userId, 'closer', near(0, 0.05));
      await put(userId, 'unrelated', near(4));
      await put(userId, 'old-model', near(0), 'another-model');
      await put(other, 'theirs', near(0));
      await settle(async () => {
        const hits = await h.store.memories.nearest({
          userId,
          embedding: near(0),
          model: MODEL,
          limit: 5,
          minSimilarity: 0.5,
        });
        expect(hits.map((x) => x.memoryId)).toEqual(['closer', 'close']);
        expect(hits[0]!.similarity).toBeGreaterThan(hits[1]!.similarity);
        expect(hits[1]!.similarity).toBeGreaterThan(0.99);
        const one = await h.store.memories.nearest({
          userId,
          embedding: near(0),
          model: MODEL,
          limit: 1,
          minSimilarity: 0,
        });
        expect(one.map((x) => x.memoryId)).toEqual(['closer']);
      });
    });

    it(CLAIMS[10], async () => {
      const userId = uid('u');
      const other = uid('other');
      const ask = (u: string, axis: number) =>
        h.store.memories.nearest({
          userId: u,
          embedding: near(axis),
          model: MODEL,
          limit: 5,
          minSimilarity: 0.9,
        });
      await h.store.memories.put({ userId, memoryId: 'm1', model: MODEL, embedding: near(1) });
      await h.store.memories.put({ userId, memoryId: 'm1', model: MODEL, embedding: near(2) });
      await h.store.memories.put({ userId, memoryId: 'm2', model: MODEL, embedding: near(3) });
      await h.store.memories.put({ userId: other, memoryId: 'm1', model: MODEL, embedding: near(2) });
      await settle(async () => {
        expect(await ask(userId, 1)).toEqual([]);
        expect((await ask(userId, 2)).map((x) => x.memoryId)).toEqual(['m1']);
      });
      await h.store.memories.delete(userId, 'm1');
      await settle(async () => {
        expect(await ask(userId, 2)).toEqual([]);
        expect((await ask(other, 2)).map((x) => x.memoryId)).toEqual(['m1']);
      });
      await h.store.memories.deleteAll(userId);
      await settle(async () => {
        expect(await ask(userId, 3)).toEqual([]);
        expect((await ask(other, 2)).map((x) => x.memoryId)).toEqual(['m1']);
      });
      await expect(
        h.store.memories.put({ userId, memoryId: 'bad', model: MODEL, embedding: [1, Number.NaN] }),
      ).rejects.toThrow(/finite/);
    });
  });
}

const CLAIMS = [
  'replacing a document twice leaves one copy of each chunk (re-ingest never duplicates)',
  'replace swaps the whole set: the old chunks go, and racing replaces end with one whole set',
  'search never crosses users, even when a document id of another user is named',
  'documentIds restricts the search to those documents',
  'a rare keyword ranks its chunk first, even when its vector is far from the question',
  'the nearest vector ranks first when no keyword matches',
  'vectors of another model are not compared, but their words are still found',
  'delete removes every chunk of the document and only that; hasChunks follows',
  'a chunk list with a vector of the wrong size is refused before anything is written',
  'memory recall finds the user’s own memories of the model, most similar first, none below the floor',
  'a memory’s vector is replaced in place; delete and deleteAll remove only what they name',
] as const;
