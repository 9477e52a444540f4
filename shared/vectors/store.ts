/** One chunk as stored: its text, where it came from, and its vector. */
export interface StoredChunk {
  index: number;
  page: number | null;
  text: string;
  tokens: number;
  embedding: number[];
}

export interface SearchQuery {
  userId: string;
  /** The question's vector, from the same embedder (`model`) as the chunks it is compared with. */
  embedding: number[];
  /** The question's words, for keyword search. */
  text: string;
  model: string;
  /** Only these documents; unset: all of the user's. */
  documentIds?: string[];
  limit: number;
}

export interface SearchHit {
  documentId: string;
  index: number;
  page: number | null;
  text: string;
  /** The two rankings fused (fuseRankings), 0–1: only its order means anything. */
  score: number;
  /** 1-based rank by vector similarity, null when the vector search did not return it. */
  vectorRank: number | null;
  /** 1-based rank by keyword relevance, null when no keyword of the question is in it. */
  keywordRank: number | null;
  /** Cosine similarity to the question, when the vector search returned it. */
  similarity: number | null;
  /** How well its words match (BM25-like, higher is better), comparable only within one search. */
  keywordScore: number | null;
}

export interface MemoryHit {
  memoryId: string;
  /** Cosine similarity to the question. */
  similarity: number;
}

/**
 * One vector per memory, beside the memory rows (which stay the truth: a vector whose row is
 * gone is never shown). Every call is scoped to one user.
 */
export interface MemoryVectors {
  /** Adds or replaces the memory's vector. */
  put(r: { userId: string; memoryId: string; model: string; embedding: number[] }): Promise<void>;
  delete(userId: string, memoryId: string): Promise<void>;
  deleteAll(userId: string): Promise<void>;
  /** The user's memories of this model nearest `embedding`, most similar first, none below `minSimilarity`. */
  nearest(q: {
    userId: string;
    embedding: number[];
    model: string;
    limit: number;
    minSimilarity: number;
  }): Promise<MemoryHit[]>;
}

/** Where chunks and their vectors live; every call is scoped to one user. */
export interface VectorStore {
  /** Memories' vectors, in the same store as the documents'. */
  readonly memories: MemoryVectors;
  readonly name: 'pgvector' | 'mongodb';
  /** Replaces all chunks of the document at once: readers see the old set or the new one, never both. */
  replaceDocumentChunks(r: {
    userId: string;
    documentId: string;
    model: string;
    dimensions: number;
    chunks: StoredChunk[];
  }): Promise<void>;
  deleteDocument(userId: string, documentId: string): Promise<void>;
  /** Hybrid: vector and keyword rankings fused by fuseRankings, best first. */
  search(q: SearchQuery): Promise<SearchHit[]>;
  hasChunks(userId: string): Promise<boolean>;
}

/** The vector ranking's share of the fused score; the keyword ranking has the rest. */
export const FUSION_WEIGHT = 0.5;

export interface RankedChunk {
  documentId: string;
  index: number;
  page: number | null;
  text: string;
  similarity?: number | null;
  keywordScore?: number | null;
}

/**
 * Relative score fusion: each ranking's scores are scaled to 0–1 over the candidates it
 * returned (best 1, worst 0; one candidate alone, or all equal, is 1) and the two are averaged
 * with equal weight, a chunk missing from a ranking getting 0 from it. Unlike reciprocal rank
 * fusion, a strong first place keeps its lead over chunks both rankings list in their weak
 * tails: on the labelled set (bench/quality.ts) RRF ranked below keyword search alone, this
 * ties it; equal weights are not fitted to that set. Ties go to the chunk both rankings found,
 * then to the better single rank.
 */
export function fuseRankings(vector: RankedChunk[], keyword: RankedChunk[], limit: number): SearchHit[] {
  const hits = new Map<string, SearchHit>();
  const hit = (c: RankedChunk) => {
    const key = `${c.documentId}\u0000${c.index}`;
    let h = hits.get(key);
    if (!h) {
      h = {
        documentId: c.documentId,
        index: c.index,
        page: c.page,
        text: c.text,
        similarity: null,
        keywordScore: null,
        score: 0,
        vectorRank: null,
        keywordRank: null,
      };
      hits.set(key, h);
    }
    return h;
  };
  const once = (list: RankedChunk[]) => {
    const seen = new Set<string>();
    return list.filter((c) => {
      const key = `${c.documentId}\u0000${c.index}`;
      return !seen.has(key) && seen.add(key);
    });
  };
  vector = once(vector);
  keyword = once(keyword);
  /** Scores scaled to 0–1; a ranking without scores is scaled by rank. */
  const scaled = (list: RankedChunk[], value: (c: RankedChunk) => number | null | undefined) => {
    const raw = list.map((c, i) => value(c) ?? 1 / (i + 1));
    const max = Math.max(...raw);
    const min = Math.min(...raw);
    return raw.map((x) => (max > min ? (x - min) / (max - min) : 1));
  };
  const vs = scaled(vector, (c) => c.similarity);
  vector.forEach((c, i) => {
    const h = hit(c);
    h.vectorRank = i + 1;
    h.similarity = c.similarity ?? null;
    h.score += FUSION_WEIGHT * vs[i]!;
  });
  const ks = scaled(keyword, (c) => c.keywordScore);
  keyword.forEach((c, i) => {
    const h = hit(c);
    h.keywordRank = i + 1;
    h.keywordScore = c.keywordScore ?? null;
    h.score += (1 - FUSION_WEIGHT) * ks[i]!;
  });
  const found = (h: SearchHit) => Number(h.vectorRank !== null) + Number(h.keywordRank !== null);
  const best = (h: SearchHit) => Math.min(h.vectorRank ?? Infinity, h.keywordRank ?? Infinity);
  return [...hits.values()]
    .sort(
      (a, b) =>
        b.score - a.score ||
        found(b) - found(a) ||
        best(a) - best(b) ||
        a.documentId.localeCompare(b.documentId) ||
        a.index - b.index,
    )
    .slice(0, limit);
}

/** Candidates asked of each ranking: more than the limit, so that fusion has something to fuse. */
export const candidatesFor = (limit: number) => Math.min(200, Math.max(20, limit * 4));

/** A chunk list a store can take: one vector of the stated size per chunk, indexes unique. */
export function checkChunks(r: { dimensions: number; chunks: StoredChunk[] }): void {
  const seen = new Set<number>();
  for (const c of r.chunks) {
    if (!Number.isInteger(c.index) || c.index < 0 || seen.has(c.index)) {
      throw new Error(`chunk index ${c.index} is not a new non-negative integer`);
    }
    seen.add(c.index);
    if (c.embedding.length !== r.dimensions || !c.embedding.every(Number.isFinite)) {
      throw new Error(`chunk ${c.index} has no ${r.dimensions}-dimensional vector of finite numbers`);
    }
  }
}

export const isZero = (v: number[]) => v.every((x) => x === 0);

/** A memory vector a store can take: some finite numbers. */
export function checkVector(embedding: number[]): void {
  if (embedding.length === 0 || !embedding.every(Number.isFinite)) {
    throw new Error('a memory vector must be a non-empty list of finite numbers');
  }
}
