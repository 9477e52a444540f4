import { freePorts, startAzurite, type AzuriteHandle } from '../../dev/host/azurite';
import { startFakeStripe, type FakeStripe } from '../../dev/fake-stripe/server';
import { startHost, type LocalHost } from '../../dev/host/host';
import type { QueueSettings } from '../../dev/host/host-config';
import { startFakeUpstream, type FakeUpstream } from '../../dev/fake-upstream/server';
import { CORE_KEY } from '../../functions/platform/core';
import type { ChatTimings } from '../../shared/chat/service';
import type { Clock } from '../../shared/clock';
import { loadConfig } from '../../shared/config';
import type { Db } from '../../shared/db/db';
import { openAiUpstream } from '../../shared/llm/upstream';
import { createServices, type Services } from '../../shared/services';
import { storageBlobStore } from '../../shared/storage/blobs';
import { storageQueueSender } from '../../shared/storage/queues';
import { testDb } from './db';

export interface Stack {
  url: string;
  db: Db;
  upstream: FakeUpstream;
  azurite: AzuriteHandle;
  host: LocalHost;
  services: Services;
  /** Present when started with `stripe: true`: Checkout and its webhooks, offline. */
  stripe?: FakeStripe;
  close(): Promise<void>;
}

/**
 * The whole product in-process, as `npm start` runs it: the real entry file served by the local
 * host over HTTP, a fresh database, a real Azurite, and the scripted fake upstream.
 */
export async function startStack(
  opts: {
    env?: Record<string, string>;
    timings?: Partial<ChatTimings>;
    /** The core's clock (a test moves it to make time pass). */
    clock?: Clock;
    queues?: Partial<QueueSettings>;
    stripe?: boolean;
    /** A built web app to serve at `/` (the end-to-end tests); none by default. */
    webDist?: string;
  } = {},
): Promise<Stack> {
  // The webhook URL must be known before the app starts, so the port is chosen up front.
  const [port = 0] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const webhookSecret = 'whsec_stack_test';
  const stripe = opts.stripe
    ? await startFakeStripe({ webhookUrl: `${url}/api/billing/webhook`, webhookSecret, port: 0 })
    : undefined;
  const [db, upstream, azurite] = await Promise.all([
    testDb(),
    startFakeUpstream({ port: 0 }),
    startAzurite({ inMemory: true }),
  ]);
  // What the host runs on; a stack that fails to start stops it too (a left Azurite holds its ports).
  const stopStarted = async () => {
    await Promise.all([upstream.close(), azurite.stop(), stripe?.close()]);
    await db.close();
  };
  let host: Awaited<ReturnType<typeof startHost>>;
  let services: ReturnType<typeof createServices>;
  try {
    const config = loadConfig({
      AzureWebJobsStorage: azurite.connectionString,
      OPENROUTER_BASE_URL: upstream.url,
      PUBLIC_BASE_URL: url,
      ...(stripe
        ? {
            STRIPE_SECRET_KEY: 'sk_test_stack',
            STRIPE_WEBHOOK_SECRET: webhookSecret,
            STRIPE_API_BASE_URL: stripe.url,
          }
        : {}),
      ...opts.env,
    });
    const queues = storageQueueSender(azurite.connectionString);
    const blobs = storageBlobStore(azurite.connectionString);
    services = createServices({
      config,
      db,
      queues,
      blobs,
      storage: { name: 'azurite', ping: () => queues.ping() },
      upstream: openAiUpstream({
        baseURL: upstream.url,
        appUrl: config.PUBLIC_BASE_URL,
        timeoutMs: config.UPSTREAM_IDLE_SECONDS * 1000,
      }),
      timings: opts.timings,
      clock: opts.clock,
      log: () => undefined,
    });
    await services.ready();
    // The queue trigger adapter reads the connection the registrations name from the environment.
    process.env.AzureWebJobsStorage = azurite.connectionString;
    host = await startHost({
      loadEntry: () => import('../../functions/index.js'),
      // The same entry, handed this core: the functions never build their own here.
      appHookData: { [CORE_KEY]: services },
      port,
      webDist: opts.webDist,
      log: () => undefined,
      triggers: { timers: false },
      queueOverrides: { visibilityTimeoutMs: 200, maxPollingIntervalMs: 200, ...opts.queues },
    });
  } catch (err) {
    await stopStarted().catch(() => undefined);
    throw err;
  }
  return {
    url: host.url,
    db,
    upstream,
    azurite,
    host,
    services,
    stripe,
    async close() {
      await host.close();
      await stopStarted();
    },
  };
}
