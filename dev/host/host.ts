/**
 * The local Functions host: load the app's entry file, discover its `@azure/functions`
 * registrations through the core shim, run appStart hooks, start the trigger adapters, listen.
 */
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { installCoreShim, type Registration, type Registry } from './core-shim';
import { loadHostSettings, type HostSettings, type QueueSettings } from './host-config';
import { createHttpServer, HttpTriggerAdapter } from './http-server';
import { createInvoker, describeError, type LogFn } from './invoke';
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
  /** Default 127.0.0.1. */
  host?: string;
  /** Default `<cwd>/host.json`. */
  hostJsonPath?: string;
  /** Built SPA to serve outside the route prefix; skipped when undefined. */
  webDist?: string;
  queueOverrides?: Partial<QueueSettings>;
  httpOverrides?: Partial<HostSettings['http']>;
  /** Default console.log. */
  log?: LogFn;
  /** Disable built-in trigger kinds (all on by default). */
  triggers?: { http?: boolean; queues?: boolean; timers?: boolean };
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
  registry: Registry;
  settings: HostSettings;
  functions: HostedFunction[];
  queues: QueueMonitor;
  close(): Promise<void>;
}

async function runHooks(registry: Registry, name: 'appStart' | 'appTerminate', log: LogFn): Promise<void> {
  for (const hook of [...registry.hooks[name]]) {
    const context = { hookData: registry.appHookData, appHookData: registry.appHookData };
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

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`Port ${port} on ${host} is already in use (set PORT to use another)`)
          : err,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
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

  await opts.loadEntry();
  if (registry.registrations.length === 0) {
    log('[host] warning: the entry file registered no functions');
  }
  // Snapshot: registrations after startup are not picked up, as in Azure.
  const registrations: Registration[] = [...registry.registrations];

  const invoker = createInvoker(registry, settings, log);
  const context: HostContext = { settings, registry, log, invoker };

  const enabled = { http: true, queues: true, timers: true, ...opts.triggers };
  const httpAdapter = new HttpTriggerAdapter();
  const queueAdapter = new QueueTriggerAdapter();
  const adapters: TriggerAdapters = {};
  if (enabled.http) adapters.httptrigger = httpAdapter;
  if (enabled.queues) adapters.queuetrigger = queueAdapter;
  if (enabled.timers) adapters.timertrigger = new TimerTriggerAdapter();
  for (const [type, adapter] of Object.entries(opts.adapters ?? {})) adapters[type.toLowerCase()] = adapter;

  await runHooks(registry, 'appStart', log);

  const started = await startTriggers(registrations, adapters, context);
  const runningAdapters = started.flatMap((s) => (s.adapter ? [s.adapter] : []));
  for (const registration of registrations) {
    const ignored = unsupportedBindings(registration);
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
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const bindHost = opts.host ?? '127.0.0.1';
  let port: number;
  try {
    port = await listen(server, opts.port ?? 7071, bindHost);
  } catch (err) {
    await stopAdapters(runningAdapters, log);
    await runHooks(registry, 'appTerminate', log);
    throw err;
  }
  const urlHost =
    bindHost === '0.0.0.0' || bindHost === '::'
      ? 'localhost'
      : bindHost.includes(':')
        ? `[${bindHost}]`
        : bindHost;

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing ??= (async () => {
      await stopAdapters(runningAdapters, log);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Open SSE streams would keep close() waiting forever; give them a moment, then cut them.
      const force = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, 2000);
      await closed;
      clearTimeout(force);
      await runHooks(registry, 'appTerminate', log);
    })();
    return closing;
  }

  return {
    url: `http://${urlHost}:${port}`,
    port,
    registry,
    settings,
    functions: started.map((s) => ({
      name: s.registration.name,
      triggerType: s.registration.trigger.type,
      description: s.adapter ? s.adapter.describe(s.registration) : s.registration.trigger.type,
      problem: s.problem,
    })),
    queues: queueAdapter.monitor,
    close,
  };
}
