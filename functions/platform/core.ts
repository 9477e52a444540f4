import { app, type InvocationContext } from '@azure/functions';
import { loadConfig } from '../../shared/config';
import { openServices, type Services } from '../../shared/services';

/**
 * Where a host that built the core itself (the tests, the benchmark) hands it in: the hook data
 * of the local host (`startHost({ appHookData: { [CORE_KEY]: core } })`), which it also seeds into
 * each invocation's hook data. The real Functions host knows nothing of it, so in Azure every
 * instance builds its core from configuration, once.
 */
export const CORE_KEY = 'gloriamundo.core';

let instanceCore: Promise<Services> | undefined;

/** The core built from this instance's configuration; a failed start is retried next time. */
function fromConfiguration(): Promise<Services> {
  instanceCore ??= openServices(loadConfig(), (msg, err) => console.error(msg, err)).catch((err: unknown) => {
    instanceCore = undefined;
    throw err;
  });
  return instanceCore;
}

const handedIn = new WeakMap<InvocationContext, Services>();

const isCore = (v: unknown): v is Services =>
  typeof v === 'object' && v !== null && 'chat' in v && 'conversations' in v;

/** Migrations and the catalogue seed run before the first request, not inside it. */
export function registerCoreHooks(): void {
  app.hook.appStart(async (c) => {
    if (!isCore(c.hookData[CORE_KEY])) await fromConfiguration();
  });
  app.hook.preInvocation((c) => {
    const core = c.hookData[CORE_KEY];
    if (isCore(core)) handedIn.set(c.invocationContext, core);
  });
}

/** The core for one invocation: the one its host handed in, else this instance's own. */
export function coreFor(ctx: InvocationContext): Promise<Services> {
  const core = handedIn.get(ctx);
  return core ? Promise.resolve(core) : fromConfiguration();
}
