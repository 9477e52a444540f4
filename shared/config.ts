import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/**
 * Every configuration key the app reads. `local.settings.example.json` lists the same keys
 * (a test keeps the two in step).
 */
export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(7071),
  DATABASE_URL: optionalString.pipe(z.string().url().optional()),
  DATA_DIR: z.string().default('.data'),
  AzureWebJobsStorage: optionalString,
  OPENROUTER_API_KEY: optionalString,
  OPENROUTER_BASE_URL: z.string().url().default('https://openrouter.ai/api/v1'),
  TITLE_MODEL: z.string().default('meta-llama/llama-3.2-3b-instruct:free'),
  SYSTEM_PROMPT: z
    .string()
    .default('You are GloriaMundo, a helpful assistant. Answer clearly; use Markdown where it helps.'),
  DEFAULT_MAX_TOKENS: z.coerce.number().int().min(16).max(200_000).default(4096),
  STREAM_DEADLINE_SECONDS: z.coerce.number().int().min(5).max(229).default(220),
  EMBEDDINGS_PROVIDER: z.enum(['azure-openai', 'openai-compatible', 'local']).optional(),
  AZURE_OPENAI_ENDPOINT: optionalString,
  AZURE_OPENAI_API_KEY: optionalString,
  AZURE_OPENAI_EMBEDDING_DEPLOYMENT: optionalString,
  VECTOR_STORE: z.enum(['pgvector', 'mongodb']).default('pgvector'),
  MONGODB_URI: optionalString,
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_WEBHOOK_SECRET: optionalString,
  STRIPE_API_BASE_URL: optionalString.pipe(z.string().url().optional()),
  GOOGLE_CLIENT_ID: optionalString,
  GOOGLE_CLIENT_SECRET: optionalString,
  MICROSOFT_CLIENT_ID: optionalString,
  MICROSOFT_CLIENT_SECRET: optionalString,
  MICROSOFT_TENANT: optionalString,
  PRICE_MARKUP: z.coerce.number().min(1).max(100).default(2),
  SIGNUP_BONUS_CREDITS: z.coerce.number().int().min(0).default(0),
  MAX_CONCURRENT_STREAMS: z.coerce.number().int().min(1).max(10_000).default(3),
  FREE_MODEL_PER_MINUTE: z.coerce.number().int().min(0).default(10),
  FREE_MODEL_PER_DAY: z.coerce.number().int().min(0).default(200),
  HOLD_TTL_SECONDS: z.coerce.number().int().min(240).default(600),
  MEMORY_ENABLED: bool.default(true),
  PUBLIC_BASE_URL: z.string().url().default('http://localhost:7071'),
});

export type Config = z.infer<typeof configSchema>;

/** Parses configuration once; the error names every missing or bad key. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Bad configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
