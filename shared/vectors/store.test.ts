import { describe, expect, it } from 'vitest';
import { candidatesFor, checkChunks, reciprocalRankFusion, RRF_K } from './store';

const c = (documentId: string, index: number, similarity?: number) => ({
  documentId,
  index,
  page: null,
  text: `${documentId}#${index}`,
  similarity,
});

describe('reciprocalRankFusion', () => {
  it('adds 1/(60 + rank) from each list, so agreement beats one first place', () => {
    const hits = reciprocalRankFusion([c('a', 0, 0.9), c('b', 0, 0.8)], [c('b', 0), c('c', 0)], 10);
    expect(hits.map((h) => h.text)).toEqual(['b#0', 'a#0', 'c#0']);
    expect(hits[0]).toMatchObject({ vectorRank: 2, keywordRank: 1, similarity: 0.8 });
    expect(hits[0]!.score).toBeCloseTo(1 / (RRF_K + 2) + 1 / (RRF_K + 1), 12);
    expect(hits[2]).toMatchObject({ vectorRank: null, keywordRank: 2, similarity: null });
  });

  it('breaks ties by the better single rank, then by id, and keeps the limit', () => {
    const hits = reciprocalRankFusion([c('z', 1)], [c('a', 1)], 1);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.documentId).toBe('a');
    expect(reciprocalRankFusion([], [], 5)).toEqual([]);
  });

  it('counts a chunk listed twice in one list once', () => {
    const hits = reciprocalRankFusion([c('a', 0), c('a', 0)], [], 5);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.vectorRank).toBe(1);
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
