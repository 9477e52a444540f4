import path from 'node:path';
import { authService } from './auth/service';
import { creditMetering } from './billing/metering';
import { billingService, stripeClient } from './billing/service';
import { chatService, defaultTimings, type ChatTimings } from './chat/service';
import { systemClock, type Clock } from './clock';
import type { Config } from './config';
import { conversationService } from './conversations/service';
import type { Db } from './db/db';
import { openDb } from './db/open';
import { checkHealth } from './health';
import { openAiUpstream, type ChatUpstream } from './llm/upstream';
import { modelService } from './models/service';
import { describeStorage, storageQueueSender, type QueueSender } from './storage/queues';
import { titleService } from './titles/service';

export interface ServiceDeps {
  config: Config;
  db: Db;
  queues: QueueSender;
  storage: { name: string; ping(): Promise<void> };
  upstream: ChatUpstream;
  clock?: Clock;
  timings?: Partial<ChatTimings>;
  fetchCatalogue?: () => Promise<unknown>;
  log?: (msg: string, err?: unknown) => void;
}

export type Services = ReturnType<typeof createServices>;

/** Wires the core from its parts; tests hand in PGlite, Azurite and a fake upstream. */
export function createServices(deps: ServiceDeps) {
  const { config, db } = deps;
  const clock = deps.clock ?? systemClock;
  const metering = creditMetering({
    markup: config.PRICE_MARKUP,
    clock,
    limits: {
      maxConcurrentStreams: config.MAX_CONCURRENT_STREAMS,
      freePerMinute: config.FREE_MODEL_PER_MINUTE,
      freePerDay: config.FREE_MODEL_PER_DAY,
      holdTtlMs: config.HOLD_TTL_SECONDS * 1000,
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
  return {
    config,
    db,
    auth: authService({ db, clock, onRegistered: (tx, userId) => billing.grantSignupBonus(tx, userId) }),
    billing,
    /** Releases holds of replies whose instance died before settling them. */
    sweepHolds: () => metering.sweepExpired(db),
    models,
    conversations: conversationService({ db, clock }),
    chat: chatService({
      db,
      clock,
      upstream: deps.upstream,
      models,
      metering,
      queues: deps.queues,
      systemPrompt: config.SYSTEM_PROMPT,
      defaultMaxTokens: config.DEFAULT_MAX_TOKENS,
      timings: { ...defaultTimings(config.STREAM_DEADLINE_SECONDS), ...deps.timings },
      log: deps.log,
    }),
    titles: titleService({ db, upstream: deps.upstream, models, metering, model: config.TITLE_MODEL }),
    health: () => checkHealth({ config, db, storage: deps.storage }),
    /** Runs once per instance before serving (the schema was migrated when the database opened). */
    async ready() {
      await models.seedIfEmpty();
    },
    close: () => db.close(),
  };
}

async function fetchOpenRouterCatalogue(config: Config): Promise<unknown> {
  const res = await fetch(`${config.OPENROUTER_BASE_URL.replace(/\/$/, '')}/models`, {
    headers: config.OPENROUTER_API_KEY ? { Authorization: `Bearer ${config.OPENROUTER_API_KEY}` } : {},
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`GET /models answered ${res.status}`);
  return res.json();
}

/** Production wiring from configuration alone. */
export async function openServices(config: Config, log?: ServiceDeps['log']): Promise<Services> {
  if (!config.AzureWebJobsStorage) {
    throw new Error(
      'Bad configuration:\n  AzureWebJobsStorage: required (the local host sets it to Azurite)',
    );
  }
  const db = await openDb({
    databaseUrl: config.DATABASE_URL,
    pgliteDir: path.resolve(config.DATA_DIR, 'pglite'),
  });
  const queues = storageQueueSender(config.AzureWebJobsStorage);
  const services = createServices({
    config,
    db,
    queues,
    storage: { name: describeStorage(config.AzureWebJobsStorage), ping: () => queues.ping() },
    upstream: openAiUpstream({
      baseURL: config.OPENROUTER_BASE_URL,
      apiKey: config.OPENROUTER_API_KEY,
      appUrl: config.PUBLIC_BASE_URL,
    }),
    log,
  });
  await services.ready();
  return services;
}
