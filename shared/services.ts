import { MongoClient } from 'mongodb';
import path from 'node:path';
import { apiKeyService } from './api-keys/service';
import { oauthService } from './auth/oauth';
import { authService } from './auth/service';
import { creditMetering } from './billing/metering';
import { billingService, stripeClient } from './billing/service';
import { afterReply, chatService, defaultTimings, type ChatTimings } from './chat/service';
import { systemClock, type Clock } from './clock';
import type { Config } from './config';
import { memoryExtractJob, titleJob } from './contracts/jobs';
import { conversationService } from './conversations/service';
import type { Db } from './db/db';
import { openDb } from './db/open';
import { healthCheck } from './health';
import { openAiUpstream, type ChatUpstream } from './llm/upstream';
import { modelService } from './models/service';
import { documentRetrieval } from './documents/retrieval';
import { documentService } from './documents/service';
import type { Embedder } from './embeddings/embedder';
import { localLexicalEmbedder } from './embeddings/lexical';
import { azureOpenAiEmbedder, openAiCompatibleEmbedder } from './embeddings/openai';
import { storageBlobStore, type BlobStore } from './storage/blobs';
import { describeConnection, storageConnection } from './storage/connection';
import { appCredential } from './storage/credential';
import { entraPassword } from './db/entra';
import { jobQueue } from './storage/jobs';
import { mongoVectorStore } from './vectors/mongodb';
import { pgvectorStore } from './vectors/pgvector';
import type { VectorStore } from './vectors/store';
import { storageQueueSender, type QueueSender } from './storage/queues';
import { titleService } from './titles/service';
import { memoryService } from './memory/service';
import { imageService } from './images/service';

export interface ServiceDeps {
  config: Config;
  db: Db;
  queues: QueueSender;
  blobs: BlobStore;
  storage: { name: string; ping(): Promise<void> };
  upstream: ChatUpstream;
  clock?: Clock;
  timings?: Partial<ChatTimings>;
  fetchCatalogue?: () => Promise<unknown>;
  log?: (msg: string, err?: unknown) => void;
}

export type Services = ReturnType<typeof createServices>;

/** Wires the core from its parts; production and tests both come through here. */
export function createServices(deps: ServiceDeps) {
  const { config, db } = deps;
  const clock = deps.clock ?? systemClock;
  const timings: ChatTimings = {
    ...defaultTimings({
      deadlineSeconds: config.STREAM_DEADLINE_SECONDS,
      idleSeconds: config.UPSTREAM_IDLE_SECONDS,
    }),
    ...deps.timings,
  };
  const metering = creditMetering({
    markup: config.PRICE_MARKUP,
    clock,
    limits: {
      maxConcurrentStreams: config.MAX_CONCURRENT_STREAMS,
      freePerMinute: config.FREE_MODEL_PER_MINUTE,
      freePerDay: config.FREE_MODEL_PER_DAY,
      holdTtlMs: config.HOLD_TTL_SECONDS * 1000,
      abandonedAfterMs: timings.abandonedAfterMs,
      minReplyTokens: config.MIN_REPLY_TOKENS,
      apiKeyPerMinute: config.API_KEY_REQUESTS_PER_MINUTE,
      apiKeyMaxConcurrentStreams: config.API_KEY_MAX_CONCURRENT_STREAMS,
    },
  });
  const billing = billingService({
    db,
    clock,
    stripe: stripeClient({ secretKey: config.STRIPE_SECRET_KEY, apiBaseUrl: config.STRIPE_API_BASE_URL }),
    webhookSecret: config.STRIPE_WEBHOOK_SECRET,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    signupBonus: config.SIGNUP_BONUS_CREDITS,
  });
  const models = modelService({
    db,
    clock,
    markup: config.PRICE_MARKUP,
    fetchCatalogue: deps.fetchCatalogue ?? (() => fetchOpenRouterCatalogue(config)),
  });
  const jobs = jobQueue(deps.queues);
  const embedder = embedderFor(config);
  const vectors = vectorStoreFor(config, db);
  const retrieve = documentRetrieval({ db, embedder, vectors });
  const documents = documentService({
    db,
    clock,
    blobs: deps.blobs,
    embedder,
    vectors,
    maxBytes: config.DOCUMENT_MAX_BYTES,
    log: deps.log,
  });
  const images = imageService({
    db,
    clock,
    blobs: deps.blobs,
    maxBytes: config.IMAGE_MAX_BYTES,
    maxPixels: config.IMAGE_MAX_PIXELS,
    log: deps.log,
  });
  const memories = memoryService({
    db,
    clock,
    embedder,
    upstream: deps.upstream,
    models,
    metering,
    vectors: vectors.memories,
    model: config.MEMORY_MODEL,
  });
  return {
    config,
    db,
    clock,
    jobs,
    auth: authService({
      db,
      clock,
      onRegistered: (tx, userId) => billing.grantSignupBonus(tx, userId),
      purgeBeforeAccountDeleted: async (userId) => {
        await documents.deleteAll(userId);
        await memories.deleteAll(userId);
        await images.deleteAll(userId);
      },
      policy: {
        register: { perClient: { limit: config.REGISTRATIONS_PER_CLIENT_PER_HOUR, windowMs: 3600_000 } },
      },
    }),
    /** Sign-in with Google and Microsoft (shared/auth/oauth.ts). */
    oauth: oauthService({
      config,
      db,
      clock,
      onRegistered: (tx, userId) => billing.grantSignupBonus(tx, userId),
    }),
    billing,
    /** Releases holds of replies that never settled and are not streaming. */
    sweepHolds: () => metering.sweepExpired(db),
    models,
    conversations: conversationService({
      db,
      clock,
      releaseImages: (tx, userId, conversationId) => images.releaseConversation(tx, userId, conversationId),
    }),
    /** Images for messages: upload (re-encoded, metadata removed) and their owner's GET. */
    images,
    documents,
    /** Long-term memory: extraction after replies, recall before them, the user's own list. */
    memories,
    chat: chatService({
      db,
      clock,
      upstream: deps.upstream,
      models,
      metering,
      jobs,
      images,
      // The work that follows a finished reply, each beside its job.
      afterReply: [
        afterReply(titleJob, (r) =>
          r.untitled && r.content ? { userId: r.userId, conversationId: r.conversationId } : null,
        ),
        // The user's own switch is read by the job; incognito conversations are never read.
        afterReply(memoryExtractJob, (r) =>
          config.MEMORY_ENABLED && !r.incognito && r.status === 'complete' && r.content
            ? { userId: r.userId, conversationId: r.conversationId, messageId: r.replyId }
            : null,
        ),
      ],
      systemPrompt: config.SYSTEM_PROMPT,
      defaultMaxTokens: config.DEFAULT_MAX_TOKENS,
      timings,
      retrieve,
      recall: config.MEMORY_ENABLED ? (userId, question) => memories.recall(userId, question) : undefined,
      log: deps.log,
    }),
    titles: titleService({ db, upstream: deps.upstream, models, metering, model: config.TITLE_MODEL }),
    apiKeys: apiKeyService({ db, clock }),
    health: healthCheck({
      config,
      db,
      storage: deps.storage,
      embeddings: embedder.name,
      vectorStore: vectors.name,
      pingUpstream: () => pingUpstream(config),
    }),
    /** Runs once per instance before serving (the schema was migrated when the database opened). */
    async ready() {
      await models.seedIfEmpty();
      // Azurite is the local stand-in: the browser's upload-link PUTs come from the app's origin.
      // In Azure the infrastructure sets the account's CORS rules.
      if (deps.storage.name === 'azurite') await deps.blobs.allowUploadsFrom(config.PUBLIC_BASE_URL);
    },
    close: () => db.close(),
  };
}

/** The embeddings provider: the one named, else the first configured, else the offline lexical one. */
export function embedderFor(config: Config): Embedder {
  const provider =
    config.EMBEDDINGS_PROVIDER ??
    (config.AZURE_OPENAI_ENDPOINT
      ? 'azure-openai'
      : config.EMBEDDINGS_BASE_URL
        ? 'openai-compatible'
        : 'local');
  if (provider === 'azure-openai') {
    if (!config.AZURE_OPENAI_ENDPOINT) {
      throw new Error(
        'Bad configuration:\n  AZURE_OPENAI_ENDPOINT: required with EMBEDDINGS_PROVIDER=azure-openai',
      );
    }
    return azureOpenAiEmbedder({
      endpoint: config.AZURE_OPENAI_ENDPOINT,
      apiKey: config.AZURE_OPENAI_API_KEY,
      deployment: config.AZURE_OPENAI_EMBEDDING_DEPLOYMENT,
      apiVersion: config.AZURE_OPENAI_API_VERSION,
    });
  }
  if (provider === 'openai-compatible') {
    if (!config.EMBEDDINGS_BASE_URL) {
      throw new Error(
        'Bad configuration:\n  EMBEDDINGS_BASE_URL: required with EMBEDDINGS_PROVIDER=openai-compatible',
      );
    }
    return openAiCompatibleEmbedder({
      baseURL: config.EMBEDDINGS_BASE_URL,
      apiKey: config.EMBEDDINGS_API_KEY,
      model: config.EMBEDDINGS_MODEL,
    });
  }
  return localLexicalEmbedder();
}

/** pgvector in the app's own PostgreSQL, or MongoDB Atlas (the driver connects on first use). */
function vectorStoreFor(config: Config, db: Db): VectorStore {
  if (config.VECTOR_STORE === 'mongodb') {
    if (!config.MONGODB_URI) {
      throw new Error('Bad configuration:\n  MONGODB_URI: required with VECTOR_STORE=mongodb');
    }
    return mongoVectorStore({
      client: new MongoClient(config.MONGODB_URI),
      database: config.MONGODB_DATABASE,
    });
  }
  return pgvectorStore(db);
}

const upstreamUrl = (config: Config, p: string) => `${config.OPENROUTER_BASE_URL.replace(/\/$/, '')}${p}`;
const upstreamHeaders = (config: Config): Record<string, string> =>
  config.OPENROUTER_API_KEY ? { Authorization: `Bearer ${config.OPENROUTER_API_KEY}` } : {};

async function fetchOpenRouterCatalogue(config: Config): Promise<unknown> {
  const res = await fetch(upstreamUrl(config, '/models'), {
    headers: upstreamHeaders(config),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`GET /models answered ${res.status}`);
  return res.json();
}

/** Any answer below 500 means the upstream is there (a wrong key is a different problem). */
async function pingUpstream(config: Config): Promise<void> {
  const res = await fetch(upstreamUrl(config, '/models'), {
    headers: upstreamHeaders(config),
    signal: AbortSignal.timeout(3000),
  });
  await res.body?.cancel();
  if (res.status >= 500) throw new Error(`it answered ${res.status}`);
}

/** Production wiring from configuration alone. */
export async function openServices(config: Config, log?: ServiceDeps['log']): Promise<Services> {
  const problems: string[] = [];
  // One credential for storage and the database: the app has one identity.
  let credential: ReturnType<typeof appCredential> | undefined;
  const identity = () => (credential ??= appCredential(config));
  const storage = storageConnection(config, identity);
  if (!storage) {
    problems.push(
      '  AzureWebJobsStorage: required, a connection string (the local host sets it to Azurite), or AzureWebJobsStorage__accountName for the app identity',
    );
  }
  // On an Azure instance the disk is neither shared nor kept: an embedded database there loses data.
  if (config.WEBSITE_INSTANCE_ID && !config.DATABASE_URL) {
    problems.push('  DATABASE_URL: required in Azure (the embedded database is for the local host only)');
  }
  if (problems.length) throw new Error(`Bad configuration:\n${problems.join('\n')}`);
  const db = await openDb({
    databaseUrl: config.DATABASE_URL,
    pgliteDir: path.resolve(config.DATA_DIR, 'pglite'),
    password: config.DATABASE_AUTH === 'entra' ? entraPassword(identity()) : undefined,
    poolMax: config.DB_POOL_MAX,
  });
  const queues = storageQueueSender(storage!);
  const blobs = storageBlobStore(storage!);
  const services = createServices({
    config,
    db,
    queues,
    blobs,
    storage: { name: describeConnection(storage!), ping: () => queues.ping() },
    upstream: openAiUpstream({
      baseURL: config.OPENROUTER_BASE_URL,
      apiKey: config.OPENROUTER_API_KEY,
      appUrl: config.PUBLIC_BASE_URL,
      timeoutMs: config.UPSTREAM_IDLE_SECONDS * 1000,
    }),
    log,
  });
  await services.ready();
  return services;
}
