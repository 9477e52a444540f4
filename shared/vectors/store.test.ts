import { describe, expect, it } from 'vitest';
import { candidatesFor, checkChunks, fuseRankings } from './store';

const c = (documentId: string, index: number, score?: { similarity?: number; keywordScore?: number }) => ({
  documentId,
  index,
  page: null,
  text: `${documentId}#${index}`,
  ...score,
});
const v = (id: string, similarity: number) => c(id, 0, { similarity });
const k = (id: string, keywordScore: number) => c(id, 0, { keywordScore });

describe('fuseRankings', () => {
  it('averages each ranking scaled to 0–1: a clear first place beats agreement in the weak tails', () => {
    // "rare" is the keyword ranking's clear best and absent from the vectors; "tail" is near
    // the bottom of both.
    const hits = fuseRankings(
      [v('near', 0.9), v('tail', 0.31), v('far', 0.3)],
      [k('rare', 12), k('tail', 1.2), k('weak', 1)],
      10,
    );
    // Each ranking's best scores 0.5 from it alone (an equal tie, broken by id); both lead "tail".
    expect(hits.map((h) => h.documentId)).toEqual(['near', 'rare', 'tail', 'far', 'weak']);
    expect(hits[1]).toMatchObject({
      score: 0.5,
      keywordRank: 1,
      keywordScore: 12,
      vectorRank: null,
      similarity: null,
    });
    // 0.5 × (0.31 − 0.3) / 0.6 + 0.5 × 0.2 / 11.
    expect(hits[2]!.score).toBeCloseTo(0.5 * (0.01 / 0.6) + 0.5 * (0.2 / 11), 12);
    expect(hits[2]).toMatchObject({ vectorRank: 2, keywordRank: 2, similarity: 0.31, keywordScore: 1.2 });
  });

  it('on equal scores prefers the chunk both rankings found, then the better rank, then the id; keeps the limit', () => {
    // "both" is first by keyword and last by vector (0.5); "top" is first by vector alone (0.5).
    const hits = fuseRankings([v('top', 0.9), v('both', 0.1)], [k('both', 3)], 5);
    expect(hits.map((h) => h.documentId)).toEqual(['both', 'top']);
    expect(fuseRankings([v('z', 0.5)], [k('a', 2)], 1).map((h) => h.documentId)).toEqual(['a']);
    expect(fuseRankings([], [], 5)).toEqual([]);
  });

  it('scales a ranking without scores by rank, and counts a chunk listed twice once', () => {
    const hits = fuseRankings([c('a', 0), c('b', 0), c('a', 0)], [], 5);
    expect(hits.map((h) => [h.documentId, h.vectorRank])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    // Ranks 1 and 2 score 1 and 1/2; scaled, 1 and 0.
    expect(hits.map((h) => h.score)).toEqual([0.5, 0]);
  });
});

describe('store helpers', () => {
  it('asks each ranking for more candidates than the limit, within bounds', () => {
    expect(candidatesFor(1)).toBe(20);
    expect(candidatesFor(8)).toBe(32);
    expect(candidatesFor(1000)).toBe(200);
  });

  it('refuses repeated indexes and vectors of the wrong size or with NaN', () => {
    const ok = { index: 0, page: null, text: 't', tokens: 1, embedding: [1, 0] };
    expect(() => checkChunks({ dimensions: 2, chunks: [ok] })).not.toThrow();
    expect(() => checkChunks({ dimensions: 2, chunks: [ok, ok] })).toThrow(/index 0/);
    expect(() => checkChunks({ dimensions: 3, chunks: [ok] })).toThrow(/3-dimensional/);
    expect(() => checkChunks({ dimensions: 2, chunks: [{ ...ok, embedding: [NaN, 1] }] })).toThrow(/finite/);
  });
});
