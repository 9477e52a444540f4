import { z } from 'zod';

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});
export type ErrorBody = z.infer<typeof errorBody>;

/** Ids are opaque strings; this bound only keeps garbage out of queries and logs. */
export const id = z.string().min(1).max(64);
