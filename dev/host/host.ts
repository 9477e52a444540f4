/**
 * The local Functions host: load the app's entry file, discover its `@azure/functions`
 * registrations through the core shim, run appStart hooks, start the trigger adapters, listen.
 */
import type { Server } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import {
  getWorkerCapabilities,
  httpStreamEnabled,
  installCoreShim,
  type Registration,
  type Registry,
} from './core-shim';
import { BlobTriggerAdapter, type BlobMonitor } from './blob-triggers';
import { DurableExtension } from './durable/extension';
import {
  loadHostSettings,
  type BlobSettings,
  type DurableSettings,
  type HostSettings,
  type QueueSettings,
} from './host-config';
import { createHttpServer, HttpTriggerAdapter } from './http-server';
import { createInvoker, describeError, type InputProviders, type LogFn } from './invoke';
import { unsupportedBindings } from './outputs';
import { QueueTriggerAdapter, type QueueMonitor } from './queue-triggers';
import { TimerTriggerAdapter } from './timer-triggers';
import {
  startTriggers,
  stopAdapters,
  type HostContext,
  type TriggerAdapter,
  type TriggerAdapters,
} from './triggers';

export interface StartHostOptions {
  /** Loads the app entry file, e.g. `() => require(path.resolve('dist/functions/index.js'))`. */
  loadEntry: () => unknown;
  /** 0 picks a free port. Default 7071. */
  port?: number;
  /**
   * Address to listen on. Default 127.0.0.1. `localhost` listens on 127.0.0.1 and ::1 (the
   * latter when the machine has IPv6), so `http://localhost:{port}` works whichever way
   * localhost resolves, without listening on every interface.
   */
  host?: string;
  /**
   * Seed of this host's appHookData, the object its appStart/appTerminate hooks get (as
   * `hookData` and `appHookData`) and its pre/postInvocation hooks get as `appHookData`. The host
   * works on a shallow copy, so two hosts in one process (even from one cached entry) keep theirs
   * apart: e.g. `{ services }` for an app whose preInvocation hook looks its services up there.
   */
  appHookData?: Record<string, unknown>;
  /** Default `<cwd>/host.json`. */
  hostJsonPath?: string;
  /** Built SPA to serve outside the route prefix; skipped when undefined. */
  webDist?: string;
  queueOverrides?: Partial<QueueSettings>;
  httpOverrides?: Partial<HostSettings['http']>;
  /** Default console.log. */
  log?: LogFn;
  /**
   * Disable built-in trigger kinds (all on by default). `durable` covers orchestrationTrigger,
   * activityTrigger and durableClient inputs (and the `/runtime/webhooks/durabletask` API).
   */
  triggers?: { http?: boolean; queues?: boolean; timers?: boolean; blobs?: boolean; durable?: boolean };
  /** Blob trigger tuning over host.json: `pollIntervalMs` (1000), `maxDegreeOfParallelism` (8), `hostId`. */
  blobs?: Partial<BlobSettings>;
  /**
   * Durable tuning over host.json `extensions.durableTask`: `hubName`, `maxConcurrentActivityFunctions`
   * (10), `maxConcurrentOrchestratorFunctions` (10), `pollIntervalMs` (250), `leaseMs` (30000: how
   * long work claimed by a host that died stays claimed).
   */
  durable?: Partial<DurableSettings>;
  /** Extra/replacement adapters keyed by trigger type (case-insensitive), e.g. `{ blobTrigger: … }`. */
  adapters?: Record<string, TriggerAdapter>;
}

export interface HostedFunction {
  name: string;
  triggerType: string;
  /** e.g. `GET,POST /api/conversations/{id}`, `queue: jobs`, `timer: 0 0 * * * *`. */
  description: string;
  /** Set when the function is not running locally, with the reason. */
  problem?: string;
}

export interface LocalHost {
  /** Base URL, e.g. `http://127.0.0.1:7071` (no trailing slash). */
  url: string;
  port: number;
  /** Every address the server listens on, e.g. `['127.0.0.1', '::1']`. */
  addresses: string[];
  registry: Registry;
  /** This host's appHookData (a copy of the option), shared by all its hooks. */
  appHookData: Record<string, unknown>;
  /**
   * What the app's programming model reported (`app.setup`): `HttpUri` when streaming (a
   * placeholder; no proxy server runs), plus any `app.setup({ capabilities })`.
   */
  capabilities: Record<string, string>;
  /** `app.setup({ enableHttpStream: true })`: bodies stream; otherwise they are buffered whole. */
  httpStream: boolean;
  settings: HostSettings;
  functions: HostedFunction[];
  queues: QueueMonitor;
  blobs: BlobMonitor;
  /** The Durable task hub this host runs (undefined with `triggers.durable: false`). */
  durableHub?: string;
  close(): Promise<void>;
  /**
   * Stops the host as a crash would (for tests of recovery): nothing in flight is awaited, nothing
   * it produces from now on is stored, no appTerminate hooks run. Storage keeps whatever the host
   * had committed; the next host resumes from there. close() and abort() are each other's no-op.
   */
  abort(): Promise<void>;
}

async function runHooks(
  registry: Registry,
  name: 'appStart' | 'appTerminate',
  appHookData: Record<string, unknown>,
  log: LogFn,
): Promise<void> {
  for (const hook of [...registry.hooks[name]]) {
    const context = { hookData: appHookData, appHookData };
    if (name === 'appStart') {
      // A failing appStart (e.g. migrations) means the app is broken: surface it, don't serve.
      await hook(context);
    } else {
      try {
        await hook(context);
      } catch (err) {
        log(`[host] appTerminate hook failed: ${describeError(err)}`);
      }
    }
  }
}

function portInUse(port: number, host: string): Error {
  return new Error(`Port ${port} on ${host} is already in use (set PORT to use another)`);
}

function listen(server: Server | net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'EADDRINUSE' ? Object.assign(portInUse(port, host), { code: err.code }) : err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The machine has no IPv6 loopback: `localhost` can only mean 127.0.0.1 there. */
function noIpv6(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT';
}

/**
 * Listens on `host`, or for `localhost` on 127.0.0.1 and then ::1 on the same port; connections
 * on ::1 go to the same HTTP server (one set of sockets, timeouts and routes).
 */
async function listenAll(
  server: Server,
  port: number,
  host: string,
): Promise<{ port: number; addresses: string[]; extra: net.Server[] }> {
  if (host.toLowerCase() !== 'localhost') {
    return { port: await listen(server, port, host), addresses: [host], extra: [] };
  }
  // With port 0 the kernel picks a port free on 127.0.0.1; ::1 may have it taken, so retry a few.
  for (let attempt = 0; ; attempt++) {
    const bound = await listen(server, port, '127.0.0.1');
    const v6 = net.createServer((socket) => server.emit('connection', socket));
    try {
      await listen(v6, bound, '::1');
      return { port: bound, addresses: ['127.0.0.1', '::1'], extra: [v6] };
    } catch (err) {
      if (noIpv6(err)) return { port: bound, addresses: ['127.0.0.1'], extra: [] };
      await closeServer(server);
      const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!(inUse && port === 0 && attempt < 5)) throw inUse ? portInUse(bound, '::1') : err;
    }
  }
}

export async function startHost(opts: StartHostOptions): Promise<LocalHost> {
  const log: LogFn = opts.log ?? ((line) => console.log(line));
  const registry = installCoreShim();
  registry.systemLog = (level, message) => {
    if (level !== 'debug' && level !== 'trace') log(`[@azure/functions ${level}] ${message}`);
  };

  const { settings, found } = loadHostSettings(opts.hostJsonPath ?? path.resolve('host.json'));
  if (!found) log(`[host] no host.json at ${opts.hostJsonPath ?? path.resolve('host.json')}; using defaults`);
  Object.assign(settings.queues, opts.queueOverrides);
  Object.assign(settings.http, opts.httpOverrides);
  Object.assign(settings.blobs, opts.blobs);
  Object.assign(settings.durable, opts.durable);

  await opts.loadEntry();
  if (registry.registrations.length === 0) {
    log('[host] warning: the entry file registered no functions');
  }
  // Snapshot: registrations after startup are not picked up, as in Azure.
  const registrations: Registration[] = [...registry.registrations];

  const appHookData: Record<string, unknown> = { ...opts.appHookData };
  const inputProviders: InputProviders = {};
  const invoker = createInvoker(registry, settings, log, appHookData, inputProviders);
  const context: HostContext = { settings, registry, log, invoker };

  const enabled = { http: true, queues: true, timers: true, blobs: true, durable: true, ...opts.triggers };
  const httpAdapter = new HttpTriggerAdapter();
  const queueAdapter = new QueueTriggerAdapter();
  const blobAdapter = new BlobTriggerAdapter();
  const durable = enabled.durable ? new DurableExtension() : undefined;
  const adapters: TriggerAdapters = {};
  if (enabled.http) adapters.httptrigger = httpAdapter;
  if (enabled.queues) adapters.queuetrigger = queueAdapter;
  if (enabled.timers) adapters.timertrigger = new TimerTriggerAdapter();
  if (enabled.blobs) adapters.blobtrigger = blobAdapter;
  if (durable) {
    durable.attach(context);
    adapters.orchestrationtrigger = durable.orchestrationAdapter;
    adapters.activitytrigger = durable.activityAdapter;
    // `orchestrationClient` is the durable client's name from Durable Functions 1.x.
    inputProviders.durableclient = durable.clientInput;
    inputProviders.orchestrationclient = durable.clientInput;
  }
  for (const [type, adapter] of Object.entries(opts.adapters ?? {})) adapters[type.toLowerCase()] = adapter;

  await runHooks(registry, 'appStart', appHookData, log);
  // As the worker does after loading the app: this is where `app.setup(...)` takes effect (and locks).
  const capabilities = await getWorkerCapabilities(registry);
  const httpStream = httpStreamEnabled(capabilities);

  const started = await startTriggers(registrations, adapters, context);
  const runningAdapters = started.flatMap((s) => (s.adapter ? [s.adapter] : []));
  const providedInputs = new Set(Object.keys(inputProviders));
  for (const registration of registrations) {
    const ignored = unsupportedBindings(registration, providedInputs);
    if (ignored.length > 0) {
      const list = ignored.map((b) => `${b.type}${b.name ? ` "${b.name}"` : ''}`).join(', ');
      log(`[host] ${registration.name}: bindings not supported locally and ignored: ${list}`);
    }
  }

  const server = createHttpServer({
    router: httpAdapter.router,
    settings,
    invoker,
    log,
    webDist: opts.webDist,
    httpStream,
    webhooks: durable ? (req, res, url) => durable.handleWebhook(req, res, url) : undefined,
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const bindHost = opts.host ?? '127.0.0.1';
  let bound: Awaited<ReturnType<typeof listenAll>>;
  try {
    bound = await listenAll(server, opts.port ?? 7071, bindHost);
  } catch (err) {
    await stopAdapters(runningAdapters, log);
    await durable?.stop();
    await runHooks(registry, 'appTerminate', appHookData, log);
    throw err;
  }
  const { port, addresses } = bound;
  const urlHost =
    bindHost === '0.0.0.0' || bindHost === '::'
      ? 'localhost'
      : bindHost.toLowerCase() === 'localhost'
        ? '127.0.0.1'
        : bindHost.includes(':')
          ? `[${bindHost}]`
          : bindHost;

  const url = `http://${urlHost}:${port}`;
  // Durable clients can be handed out now that the URL is known; orchestrations start running.
  await durable?.listen(url);

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing ??= (async () => {
      await stopAdapters(runningAdapters, log);
      await durable?.stop();
      const closed = Promise.all([server, ...bound.extra].map(closeServer));
      server.closeIdleConnections();
      // Open SSE streams would keep close() waiting forever; give them a moment, then cut them.
      const force = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, 2000);
      await closed;
      clearTimeout(force);
      await runHooks(registry, 'appTerminate', appHookData, log);
    })();
    return closing;
  }

  async function abort(): Promise<void> {
    closing ??= (async () => {
      durable?.abort();
      for (const adapter of new Set(runningAdapters)) {
        if (adapter.abort) adapter.abort();
        else
          adapter
            .stop()
            .catch((err: unknown) =>
              log(`[host] error while stopping a trigger adapter: ${describeError(err)}`),
            );
      }
      for (const s of sockets) s.destroy();
      await Promise.all([server, ...bound.extra].map(closeServer));
    })();
    return closing;
  }

  return {
    url,
    port,
    addresses,
    registry,
    appHookData,
    capabilities,
    httpStream,
    settings,
    functions: started.map((s) => ({
      name: s.registration.name,
      triggerType: s.registration.trigger.type,
      description: s.adapter ? s.adapter.describe(s.registration) : s.registration.trigger.type,
      problem: s.problem,
    })),
    queues: queueAdapter.monitor,
    blobs: blobAdapter.monitor,
    durableHub: durable ? settings.durable.hubName : undefined,
    close,
    abort,
  };
}
