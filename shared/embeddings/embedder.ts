/** Turns texts into vectors; documents and questions must go through the same one to be compared. */
export interface Embedder {
  /** What /api/health calls it. */
  readonly name: 'azure-openai' | 'openai-compatible' | 'local-lexical';
  /** Stored with every chunk: vectors of different models are never compared. */
  readonly model: string;
  readonly dimensions: number;
  /** The most texts one call of the provider takes; `embed` splits larger lists itself. */
  readonly maxBatch: number;
  /** One vector per text, in order. */
  embed(texts: string[]): Promise<number[][]>;
}

/** Cosine similarity; 0 when either vector is all zeros. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`vectors of ${a.length} and ${b.length} dimensions`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
