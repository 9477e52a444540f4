import { z } from 'zod';
import { maxTokens, modelId, temperature } from './conversations';

export const MAX_API_KEY_NAME_CHARS = 80;
/** Live keys one account may keep; revoked ones do not count. */
export const MAX_API_KEYS = 20;
/** Every secret starts with this, so a leaked one is recognisable (secret scanners, logs). */
export const API_KEY_SECRET_PREFIX = 'gm-';

export const apiKey = z.object({
  id: z.string(),
  name: z.string(),
  /** The first characters of the secret: enough to tell keys apart, useless to an attacker. */
  prefix: z.string(),
  spendLimitCredits: z.number().int().nullable(),
  spentCredits: z.number().int(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
export type ApiKey = z.infer<typeof apiKey>;

export const createApiKeyBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'Give the key a name, such as the app that will use it.')
      .max(MAX_API_KEY_NAME_CHARS, `Keep the key name to ${MAX_API_KEY_NAME_CHARS} characters or fewer.`),
    spendLimitCredits: z
      .number()
      .int('The spend limit is a whole number of credits.')
      .min(0, 'The spend limit cannot be negative.')
      .max(Number.MAX_SAFE_INTEGER)
      .nullable()
      .optional(),
  })
  .strict();
export type CreateApiKeyBody = z.infer<typeof createApiKeyBody>;

export const createdApiKey = z.object({ key: apiKey, secret: z.string() });
export type CreatedApiKey = z.infer<typeof createdApiKey>;

// ---- The OpenAI-compatible request (`POST /api/v1/chat/completions`) ----

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.object({
    url: z
      .string()
      .max(20 * 1024 * 1024, 'An image URL (data URL included) may be at most 20 MB.')
      .refine((u) => /^(data:image\/(png|jpeg|webp|gif);base64,|https:\/\/)/i.test(u), {
        message: 'An image must be a data:image/(png|jpeg|webp|gif);base64 URL or an https:// URL.',
      }),
    detail: z.enum(['auto', 'low', 'high']).optional(),
  }),
});
const userContent = z.union([
  z.string(),
  z.array(z.discriminatedUnion('type', [textPart, imagePart])).min(1, 'A message needs some content.'),
]);
/** System, developer and assistant turns are text (parts of type text are joined). */
const textContent = z.union([z.string(), z.array(textPart)]);

export const completionMessage = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: textContent, name: z.string().optional() }),
  z.object({ role: z.literal('developer'), content: textContent, name: z.string().optional() }),
  z.object({ role: z.literal('user'), content: userContent, name: z.string().optional() }),
  z.object({
    role: z.literal('assistant'),
    content: textContent.nullable().optional(),
    name: z.string().optional(),
  }),
]);
export type CompletionMessage = z.infer<typeof completionMessage>;

/**
 * What we accept of OpenAI's chat completion request. Unknown fields are ignored, as OpenAI's
 * SDKs and tools send many; the ones we cannot honour (tools, n > 1) are refused by name.
 */
export const chatCompletionBody = z
  .object({
    model: modelId,
    messages: z
      .array(completionMessage)
      .min(1, 'Send at least one message.')
      .max(1000, 'Send at most 1000 messages.'),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
    max_tokens: maxTokens.nullable().optional(),
    max_completion_tokens: maxTokens.nullable().optional(),
    temperature: temperature.nullable().optional(),
    top_p: z
      .number()
      .min(0, 'top_p goes from 0 to 1.')
      .max(1, 'top_p goes from 0 to 1.')
      .nullable()
      .optional(),
    stop: z
      .union([z.string().min(1), z.array(z.string().min(1)).max(4, 'Send at most 4 stop sequences.')])
      .nullable()
      .optional(),
    n: z.literal(1, { error: 'Only n = 1 is supported.' }).nullable().optional(),
    tools: z.array(z.unknown()).max(0, 'Tools (function calling) are not supported.').nullable().optional(),
    functions: z.array(z.unknown()).max(0, 'Function calling is not supported.').nullable().optional(),
  })
  .refine((b) => b.messages.some((m) => m.role === 'user'), {
    message: 'Send at least one user message.',
    path: ['messages'],
  });
export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;
