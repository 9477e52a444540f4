import { z } from 'zod';

/** Ids are opaque strings; this bound only keeps garbage out of queries and logs. */
export const id = z.string().min(1).max(64);
