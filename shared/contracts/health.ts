import { z } from 'zod';

export const healthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({
    database: z.string(),
    storage: z.string(),
    /** `openrouter`, `offline-demo` (the local host's demo model) or `openai-compatible (host)`. */
    llm: z.string(),
    /** `local-lexical` (offline, words and n-grams), `azure-openai` or `openai-compatible`. */
    embeddings: z.string(),
    /** `pgvector` or `mongodb`. */
    vectorStore: z.string(),
  }),
  problems: z.array(z.string()).optional(),
});
export type HealthResponse = z.infer<typeof healthResponse>;
