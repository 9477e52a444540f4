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
  /** Reciprocal rank fusion of the two rankings (k = 60): only its order means anything. */
  score: number;
  /** 1-based rank by vector similarity, null when the vector search did not return it. */
  vectorRank: number | null;
  /** 1-based rank by keyword relevance, null when no keyword of the question is in it. */
  keywordRank: number | null;
  /** Cosine similarity to the question, when the vector search returned it. */
  similarity: number | null;
}

/** Where chunks and their vectors live; every call is scoped to one user. */
export interface VectorStore {
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
  /** Hybrid: vector and keyword rankings fused by reciprocal rank fusion, best first. */
  search(q: SearchQuery): Promise<SearchHit[]>;
  hasChunks(userId: string): Promise<boolean>;
}

export const RRF_K = 60;

export interface RankedChunk {
  documentId: string;
  index: number;
  page: number | null;
  text: string;
  similarity?: number | null;
}

/**
 * Reciprocal rank fusion: each list adds 1 / (k + rank) for every chunk it holds. Ranks, not
 * scores, are combined because cosine similarity and keyword relevance have no common scale.
 */
export function reciprocalRankFusion(
  vector: RankedChunk[],
  keyword: RankedChunk[],
  limit: number,
  k = RRF_K,
): SearchHit[] {
  const hits = new Map<string, SearchHit>();
  const hit = (c: RankedChunk) => {
    const key = `${c.documentId}\u0000${c.index}`;
    let h = hits.get(key);
    if (!h) {
      h = { ...c, similarity: null, score: 0, vectorRank: null, keywordRank: null };
      hits.set(key, h);
    }
    return h;
  };
  vector.forEach((c, i) => {
    const h = hit(c);
    if (h.vectorRank !== null) return;
    h.vectorRank = i + 1;
    h.similarity = c.similarity ?? null;
    h.score += 1 / (k + i + 1);
  });
  keyword.forEach((c, i) => {
    const h = hit(c);
    if (h.keywordRank !== null) return;
    h.keywordRank = i + 1;
    h.score += 1 / (k + i + 1);
  });
  const best = (h: SearchHit) => Math.min(h.vectorRank ?? Infinity, h.keywordRank ?? Infinity);
  return [...hits.values()]
    .sort(
      (a, b) =>
        b.score - a.score ||
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
