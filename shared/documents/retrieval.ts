import type { Citation } from '../contracts/conversations';
import type { Db } from '../db/db';
import type { Embedder } from '../embeddings/embedder';
import { countTokens } from '../chat/tokens';
import type { VectorStore } from '../vectors/store';
import { relevantPart } from './passage';

export interface Passage extends Citation {
  /** The chunk, or its part about the question, for the prompt; `snippet` is the short quote the UI shows. */
  text: string;
}

export interface RetrievalOptions {
  /** Candidates asked of the store. */
  limit: number;
  /** Tokens of passages one prompt may carry. */
  budgetTokens: number;
  /** The least cosine similarity a passage found only by meaning must have to be used. */
  minSimilarity: number;
  /** A longer chunk is cut to its part about the question (relevantPart), so more of them fit. */
  passageTokens: number;
}

export const defaultRetrieval: RetrievalOptions = {
  limit: 8,
  budgetTokens: 2500,
  minSimilarity: 0.2,
  passageTokens: 300,
};

const snippetOf = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 280 ? `${flat.slice(0, 279).trimEnd()}…` : flat;
};

/**
 * The passages of the user's ready documents that are relevant enough to answer `query`:
 * hybrid search in the user's chunks only, a floor on relevance, and a token budget.
 */
export function documentRetrieval(deps: {
  db: Db;
  embedder: Embedder;
  vectors: VectorStore;
  options?: Partial<RetrievalOptions>;
}) {
  const opts = { ...defaultRetrieval, ...deps.options };
  return async (userId: string, q: { text: string; documentIds?: string[] }): Promise<Passage[]> => {
    const [embedding] = await deps.embedder.embed([q.text]);
    const hits = await deps.vectors.search({
      userId,
      embedding: embedding!,
      text: q.text,
      model: deps.embedder.model,
      documentIds: q.documentIds,
      limit: opts.limit,
    });
    const relevant = hits.filter((h) => h.keywordRank !== null || (h.similarity ?? 0) >= opts.minSimilarity);
    if (relevant.length === 0) return [];
    const names = new Map(
      (
        await deps.db.many<{ id: string; name: string }>(
          `SELECT id, name FROM documents WHERE user_id = $1 AND status = 'ready' AND id = ANY($2::text[])`,
          [userId, [...new Set(relevant.map((h) => h.documentId))]],
        )
      ).map((d) => [d.id, d.name]),
    );
    const out: Passage[] = [];
    let budget = opts.budgetTokens;
    for (const h of relevant) {
      const name = names.get(h.documentId);
      // A chunk of a document deleted or re-ingested since is not a source any more.
      if (!name) continue;
      const text = relevantPart(h.text, q.text, opts.passageTokens);
      const cost = countTokens(text);
      if (cost > budget) continue;
      budget -= cost;
      out.push({
        n: out.length + 1,
        documentId: h.documentId,
        documentName: name,
        page: h.page,
        snippet: snippetOf(text),
        text,
      });
    }
    return out;
  };
}

export type Retrieve = ReturnType<typeof documentRetrieval>;

/** The sources block of the system prompt: numbered, with the instruction to cite them. */
export function withSources(system: string, passages: Passage[]): string {
  if (passages.length === 0) return system;
  const sources = passages
    .map((p) => `[${p.n}] ${p.documentName}${p.page !== null ? `, page ${p.page}` : ''}:\n${p.text}`)
    .join('\n\n');
  return (
    `${system}\n\nPassages from the user's own documents follow. Use them where they answer the question, ` +
    `cite each one you use as [n] right after the sentence it supports, and say so when they do not ` +
    `contain the answer instead of guessing.\n\n${sources}`
  );
}
