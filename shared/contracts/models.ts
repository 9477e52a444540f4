import { z } from 'zod';

export const model = z.object({
  id: z.string(),
  name: z.string(),
  contextLength: z.number().int(),
  free: z.boolean(),
  vision: z.boolean(),
  reasoning: z.boolean(),
  /** Credits per million tokens, markup included: what the user pays. */
  pricing: z.object({ promptPerMTok: z.number(), completionPerMTok: z.number() }),
});
export type Model = z.infer<typeof model>;

export const modelsResponse = z.object({ models: z.array(model) });
export type ModelsResponse = z.infer<typeof modelsResponse>;
