/**
 * Stand-in for `@azure/functions-core`, the module the real Functions Node worker injects.
 *
 * `@azure/functions` never talks to the host directly: `app.http(...)`, `app.storageQueue(...)`,
 * `app.hook.appStart(...)` etc. all end in `require('@azure/functions-core').registerFunction/registerHook`.
 * By answering that require ourselves we capture every registration with its full binding metadata,
 * so the app's single entry file stays the only list of functions.
 */
import { app } from '@azure/functions';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import Module from 'node:module';

/** Binding metadata exactly as `@azure/functions` hands it to the worker (toCoreFunctionMetadata). */
export interface BindingInfo {
  type: string;
  direction: 'in' | 'out' | 'inout';
  name?: string;
  [option: string]: unknown;
}

/** The user's handler: `(triggerInput, context) => result`. */
export type FunctionCallback = (...args: unknown[]) => unknown;

export interface Registration {
  name: string;
  bindings: Record<string, BindingInfo>;
  /** Key of the trigger binding inside `bindings`. */
  triggerName: string;
  trigger: BindingInfo;
  handler: FunctionCallback;
  retryOptions?: unknown;
}

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
/** Hooks receive a plain init object; the library wraps it in its *Context classes. */
export type HookCallback = (context: Record<string, unknown>) => unknown;

export type CoreLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';

export interface Registry {
  readonly registrations: Registration[];
  readonly hooks: Record<HookName, HookCallback[]>;
  /** What `@azure/functions` hands `setProgrammingModel` on its first registration. */
  programmingModel: unknown;
  /** Where `coreApi.log` (library system logs) goes; the host points it at its logger. */
  systemLog: (level: CoreLogLevel, message: string) => void;
}

const HOOK_NAMES: readonly HookName[] = [
  'appStart',
  'appTerminate',
  'preInvocation',
  'postInvocation',
  'log',
];

class Disposable {
  #callOnDispose: (() => void) | undefined;
  constructor(callOnDispose: () => void) {
    this.#callOnDispose = callOnDispose;
  }
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.#callOnDispose?.();
    this.#callOnDispose = undefined;
  }
}

function createRegistry(): Registry {
  return {
    registrations: [],
    hooks: { appStart: [], appTerminate: [], preInvocation: [], postInvocation: [], log: [] },
    programmingModel: undefined,
    systemLog: (level, message) => {
      if (level === 'error' || level === 'critical' || level === 'warning') console.error(message);
    },
  };
}

function createCoreApi(registry: Registry): Record<string, unknown> {
  return {
    version: 'local-host',
    hostVersion: '4.1000.0',
    Disposable,
    registerFunction(
      metadata: { name: string; bindings: Record<string, BindingInfo>; retryOptions?: unknown },
      callback: FunctionCallback,
    ) {
      const { name, bindings } = metadata;
      if (registry.registrations.some((r) => r.name.toLowerCase() === name.toLowerCase())) {
        // The real worker rejects duplicates too; failing here beats silently shadowing a function.
        throw new Error(`A function with the name "${name}" has already been registered.`);
      }
      const triggerEntry = Object.entries(bindings).find(
        ([, b]) => b.direction === 'in' && /trigger$/i.test(b.type),
      );
      if (!triggerEntry) throw new Error(`Function "${name}" has no trigger binding.`);
      const registration: Registration = {
        name,
        bindings,
        triggerName: triggerEntry[0],
        trigger: triggerEntry[1],
        handler: callback,
        retryOptions: metadata.retryOptions,
      };
      registry.registrations.push(registration);
      return new Disposable(() => {
        const i = registry.registrations.indexOf(registration);
        if (i >= 0) registry.registrations.splice(i, 1);
      });
    },
    registerHook(hookName: string, callback: HookCallback) {
      if (!(HOOK_NAMES as readonly string[]).includes(hookName)) {
        throw new RangeError(`Unrecognized hook "${hookName}".`);
      }
      const list = registry.hooks[hookName as HookName];
      list.push(callback);
      return new Disposable(() => {
        const i = list.indexOf(callback);
        if (i >= 0) list.splice(i, 1);
      });
    },
    setProgrammingModel(model: unknown) {
      registry.programmingModel = model;
    },
    getProgrammingModel() {
      return registry.programmingModel;
    },
    // Its presence also tells `app.setup({ enableHttpStream: true })` the host is new enough.
    log(level: CoreLogLevel, _category: string, message: string) {
      registry.systemLog(level, message);
    },
  };
}

// Process-wide state lives on globalThis: Module._load is process-wide, and this file may be
// evaluated more than once per process (vitest module isolation, src + dist copies).
const STATE_KEY = Symbol.for('gloriamundo.localHost.coreShim');
interface ShimState {
  registry: Registry;
  verificationError?: Error;
}

/**
 * Installs the `@azure/functions-core` shim (once per process) and returns the registry that
 * collects the app's registrations. Call it before the app's entry file runs `app.*(...)`.
 *
 * Throws if `@azure/functions` already concluded there is no runtime: it caches that answer
 * forever (tryGetCoreApiLazy), so registrations would be silently dropped.
 */
export function installCoreShim(): Registry {
  const g = globalThis as { [STATE_KEY]?: ShimState };
  let state = g[STATE_KEY];
  if (!state) {
    const registry = createRegistry();
    const coreApi = createCoreApi(registry);
    const mod = Module as unknown as {
      _load: (request: string, parent: unknown, isMain: boolean) => unknown;
    };
    const originalLoad = mod._load;
    mod._load = function (this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
      if (request === '@azure/functions-core') return coreApi;
      return originalLoad.call(this, request, parent, isMain);
    };
    state = { registry };
    g[STATE_KEY] = state;
    state.verificationError = probeShim(registry);
  }
  if (state.verificationError) throw state.verificationError;
  return state.registry;
}

/**
 * Registers and disposes a throwaway hook through the public API. This also forces
 * `@azure/functions` to resolve (and cache) the core API now, while our shim answers.
 */
function probeShim(registry: Registry): Error | undefined {
  const before = registry.hooks.appStart.length;
  const disposable = app.hook.appStart(() => {});
  const reachedShim = registry.hooks.appStart.length === before + 1;
  disposable.dispose();
  if (reachedShim) return undefined;
  return new Error(
    'Local host: "@azure/functions" looked for "@azure/functions-core" before the local host installed its shim ' +
      'and is now in "test mode" (registrations are dropped). Call installCoreShim()/startHost() before anything ' +
      'calls app.http/app.storageQueue/app.hook..., e.g. load the app entry only through startHost({ loadEntry }).',
  );
}

interface ProgrammingModel {
  getCapabilities?(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

/**
 * A stand-in for the library's HTTP proxy server: with streaming on, `getCapabilities` starts one
 * (listening on every interface) and reports its URL as `HttpUri`. The local host hands the
 * handler its request directly, so it only needs the answer, not the server.
 */
function stubProxyServer(): unknown {
  const server = new EventEmitter() as EventEmitter & Record<string, unknown>;
  server.listen = (...args: unknown[]) => {
    const callback = args.find((a): a is () => void => typeof a === 'function');
    if (callback) queueMicrotask(callback);
    return server;
  };
  server.address = () => ({ address: '127.0.0.1', family: 'IPv4', port: 1 });
  server.close = (callback?: () => void) => {
    if (callback) queueMicrotask(callback);
    return server;
  };
  return server;
}

/**
 * Asks the app's programming model for its worker capabilities, as the worker does once the entry
 * file has loaded: `app.setup({ enableHttpStream: true })` shows up as an `HttpUri` capability,
 * `app.setup({ capabilities })` as the rest. Like the worker's call, it locks `app.setup`.
 * Empty when nothing registered a programming model (the entry never called `app.*`).
 */
export async function getWorkerCapabilities(registry: Registry): Promise<Record<string, string>> {
  const model = registry.programmingModel as ProgrammingModel | undefined;
  if (typeof model?.getCapabilities !== 'function') return {};
  const httpModule = http as unknown as { createServer: unknown };
  const realCreateServer = httpModule.createServer;
  let pending: Promise<Record<string, string>>;
  // getCapabilities creates its proxy server synchronously, so the swap covers exactly that call.
  httpModule.createServer = stubProxyServer;
  try {
    pending = model.getCapabilities({});
  } finally {
    httpModule.createServer = realCreateServer;
  }
  return { ...(await pending) };
}

/** Whether the app turned on HTTP streaming (`app.setup({ enableHttpStream: true })`). */
export function httpStreamEnabled(capabilities: Record<string, string>): boolean {
  return typeof capabilities.HttpUri === 'string' && capabilities.HttpUri !== '';
}
