import { z } from 'zod';

export const healthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({
    database: z.string(),
    storage: z.string(),
    llm: z.string(),
    embeddings: z.string(),
  }),
  problems: z.array(z.string()).optional(),
});
export type HealthResponse = z.infer<typeof healthResponse>;
