import { z } from 'zod';

/** An empty value (as local.settings.json lists them) means unset. */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));
const optionalUrl = optionalString.pipe(z.string().url().optional());

/**
 * Every configuration key the app reads. `local.settings.example.json` and the README list the
 * same keys (a test keeps them in step).
 */
export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(7071),
  /** The origin people use; unset → `http://localhost:{PORT}` (filled in by loadConfig). */
  PUBLIC_BASE_URL: optionalUrl,
  DATABASE_URL: optionalUrl,
  /**
   * `entra`: DATABASE_URL has no password and names the app's identity as its user; each new
   * connection signs in with a Microsoft Entra token (Azure Database for PostgreSQL).
   */
  DATABASE_AUTH: optionalString
    .pipe(z.enum(['password', 'entra']).optional())
    .transform((v) => v ?? 'password'),
  /**
   * Most PostgreSQL connections one instance holds. Every instance may hold this many, so
   * instances × DB_POOL_MAX should stay within the server's connections (Azure B1ms: 35).
   */
  DB_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(20),
  DATA_DIR: z.string().default('.data'),
  /** A storage connection string (Azurite, `func start`); in Azure the identity settings below instead. */
  AzureWebJobsStorage: optionalString,
  /**
   * Identity-based storage, the settings the Functions host itself reads for the same connection:
   * the account (public cloud), or its blob and queue service URIs (both: the app uses both).
   */
  AzureWebJobsStorage__accountName: optionalString.pipe(
    z
      .string()
      .regex(/^[a-z0-9]{3,24}$/, 'a storage account name: 3 to 24 lower-case letters and digits')
      .optional(),
  ),
  AzureWebJobsStorage__blobServiceUri: optionalUrl,
  AzureWebJobsStorage__queueServiceUri: optionalUrl,
  /** `managedidentity`: the app's managed identity only; unset: DefaultAzureCredential's chain (az login locally). */
  AzureWebJobsStorage__credential: optionalString
    .transform((v) => v?.toLowerCase())
    .pipe(z.enum(['managedidentity']).optional()),
  /** A user-assigned identity's client id (with `__credential` managedidentity); unset: the system-assigned one. */
  AzureWebJobsStorage__clientId: optionalString.pipe(z.guid('a client id (a GUID)').optional()),
  OPENROUTER_API_KEY: optionalString,
  OPENROUTER_BASE_URL: optionalUrl.transform((v) => v ?? 'https://openrouter.ai/api/v1'),
  /** What /api/health and the web app call the chat upstream; the local host sets `offline-demo`. */
  UPSTREAM_NAME: optionalString,
  UPSTREAM_IDLE_SECONDS: z.coerce.number().int().min(5).max(220).default(60),
  TITLE_MODEL: z.string().default('meta-llama/llama-3.2-3b-instruct:free'),
  SYSTEM_PROMPT: z
    .string()
    .default('You are GloriaMundo, a helpful assistant. Answer clearly; use Markdown where it helps.'),
  DEFAULT_MAX_TOKENS: z.coerce.number().int().min(16).max(200_000).default(4096),
  MIN_REPLY_TOKENS: z.coerce.number().int().min(1).max(100_000).default(256),
  STREAM_DEADLINE_SECONDS: z.coerce.number().int().min(5).max(229).default(220),
  CLIENT_IP_HEADER: optionalString,
  /** Sign-ups one client address may attempt per hour (a taken email counts too). */
  REGISTRATIONS_PER_CLIENT_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(10),
  /** The largest document accepted, by upload or upload link. */
  DOCUMENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(25 * 1024 * 1024),
  /** The largest image accepted (413 beyond). */
  IMAGE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(256 * 1024 * 1024)
    .default(20 * 1024 * 1024),
  /** The most pixels an image may declare; larger ones are refused from their header, never decoded. */
  IMAGE_MAX_PIXELS: z.coerce.number().int().min(10_000).max(500_000_000).default(50_000_000),
  /** Unset: the first configured of azure-openai, openai-compatible, else the local lexical embedder. */
  EMBEDDINGS_PROVIDER: optionalString.pipe(z.enum(['azure-openai', 'openai-compatible', 'local']).optional()),
  AZURE_OPENAI_ENDPOINT: optionalUrl,
  /** Unset with an endpoint: the app's managed identity. */
  AZURE_OPENAI_API_KEY: optionalString,
  AZURE_OPENAI_EMBEDDING_DEPLOYMENT: z.string().default('text-embedding-3-small'),
  AZURE_OPENAI_API_VERSION: z.string().default('2024-10-21'),
  EMBEDDINGS_BASE_URL: optionalUrl,
  EMBEDDINGS_API_KEY: optionalString,
  EMBEDDINGS_MODEL: z.string().default('text-embedding-3-small'),
  VECTOR_STORE: z.enum(['pgvector', 'mongodb']).default('pgvector'),
  MONGODB_URI: optionalString,
  MONGODB_DATABASE: z.string().default('gloriamundo'),
  /** The operator's switch for long-term memory (users have their own, memoryEnabled). */
  MEMORY_ENABLED: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  /** The small model that extracts memories from a finished reply (structured output). */
  MEMORY_MODEL: z.string().default('openai/gpt-4o-mini'),
  /** Google sign-in is offered when the client id is set. */
  GOOGLE_CLIENT_ID: optionalString,
  GOOGLE_CLIENT_SECRET: optionalString,
  GOOGLE_ISSUER: optionalUrl.transform((v) => v ?? 'https://accounts.google.com'),
  /** Microsoft sign-in is offered when the client id is set. */
  MICROSOFT_CLIENT_ID: optionalString,
  MICROSOFT_CLIENT_SECRET: optionalString,
  MICROSOFT_AUTHORITY: optionalUrl.transform((v) => v ?? 'https://login.microsoftonline.com/common'),
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_WEBHOOK_SECRET: optionalString,
  STRIPE_API_BASE_URL: optionalUrl,
  PRICE_MARKUP: z.coerce.number().min(1).max(100).default(2),
  SIGNUP_BONUS_CREDITS: z.coerce.number().int().min(0).default(0),
  MAX_CONCURRENT_STREAMS: z.coerce.number().int().min(1).max(10_000).default(3),
  /** Per API key, apart from the web chat's streams: a script must not lock its owner out of the chat. */
  API_KEY_MAX_CONCURRENT_STREAMS: z.coerce.number().int().min(1).max(10_000).default(5),
  API_KEY_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
  FREE_MODEL_PER_MINUTE: z.coerce.number().int().min(0).default(10),
  FREE_MODEL_PER_DAY: z.coerce.number().int().min(0).default(200),
  HOLD_TTL_SECONDS: z.coerce.number().int().min(240).default(600),
  /** Set by Azure on every instance: there, embedded state on the instance disk is refused. */
  WEBSITE_INSTANCE_ID: optionalString,
});

export type Config = Omit<z.infer<typeof configSchema>, 'PUBLIC_BASE_URL'> & { PUBLIC_BASE_URL: string };

/** Parses configuration once; the error names every missing or bad key. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Bad configuration:\n${lines.join('\n')}`);
  }
  const c = result.data;
  const problems = combinationProblems(c);
  if (problems.length) throw new Error(`Bad configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return { ...c, PUBLIC_BASE_URL: (c.PUBLIC_BASE_URL ?? `http://localhost:${c.PORT}`).replace(/\/+$/, '') };
}

const IDENTITY_KEYS = [
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__blobServiceUri',
  'AzureWebJobsStorage__queueServiceUri',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
] as const;

/** Settings that parse one by one but not together; each line names the keys to change. */
function combinationProblems(c: z.infer<typeof configSchema>): string[] {
  const problems: string[] = [];
  const identity = IDENTITY_KEYS.filter((k) => c[k] !== undefined);
  if (c.AzureWebJobsStorage && identity.length) {
    problems.push(
      `AzureWebJobsStorage: a connection string and identity settings (${identity.join(', ')}) are both set; keep one`,
    );
  } else if (identity.length && !c.AzureWebJobsStorage__accountName) {
    for (const k of [
      'AzureWebJobsStorage__blobServiceUri',
      'AzureWebJobsStorage__queueServiceUri',
    ] as const) {
      if (!c[k])
        problems.push(
          `${k}: required without AzureWebJobsStorage__accountName (the app uses blobs and queues)`,
        );
    }
  }
  if (c.AzureWebJobsStorage__clientId && c.AzureWebJobsStorage__credential !== 'managedidentity') {
    problems.push('AzureWebJobsStorage__clientId: needs AzureWebJobsStorage__credential=managedidentity');
  }
  if (c.DATABASE_AUTH === 'entra') {
    const url = c.DATABASE_URL ? new URL(c.DATABASE_URL) : undefined;
    if (!url) problems.push('DATABASE_URL: required with DATABASE_AUTH=entra');
    else if (url.password)
      problems.push('DATABASE_URL: no password with DATABASE_AUTH=entra (the token is the password)');
    else if (!url.username)
      problems.push("DATABASE_URL: with DATABASE_AUTH=entra, the user is the app identity's name");
  }
  return problems;
}
