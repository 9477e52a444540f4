import { z } from 'zod';

export const MAX_MEMORY_CHARS = 500;

export const memoryKind = z.enum(['fact', 'preference']);
export type MemoryKind = z.infer<typeof memoryKind>;

/** One thing the assistant remembers about the user (API.md Memories). */
export const memory = z.object({
  id: z.string(),
  text: z.string(),
  kind: memoryKind,
  source: z.enum(['extracted', 'user']),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Memory = z.infer<typeof memory>;

const text = z
  .string()
  .trim()
  .min(1, 'Write what should be remembered.')
  .max(MAX_MEMORY_CHARS, `Keep a memory to ${MAX_MEMORY_CHARS} characters or fewer.`);

export const createMemoryBody = z.object({ text, kind: memoryKind.optional() });
export type CreateMemoryBody = z.infer<typeof createMemoryBody>;

export const updateMemoryBody = z.object({ text });
export type UpdateMemoryBody = z.infer<typeof updateMemoryBody>;
