/**
 * Trigger adapters: the seam between discovered registrations and whatever makes them fire.
 * Blob triggers and Durable Functions plug in here as adapters for their trigger types.
 */
import type { Registration, Registry } from './core-shim';
import type { HostSettings } from './host-config';
import { describeError, type Invoker, type LogFn } from './invoke';

export interface HostContext {
  readonly settings: HostSettings;
  readonly registry: Registry;
  readonly log: LogFn;
  readonly invoker: Invoker;
}

export interface TriggerAdapter {
  /** Called once per registration whose trigger type maps to this adapter, before the server listens. */
  start(registration: Registration, host: HostContext): void | Promise<void>;
  /** Stops everything started; must let in-flight invocations finish. */
  stop(): Promise<void>;
  /**
   * Stops as a crash would (LocalHost.abort): start nothing new, wait for nothing, and store
   * nothing that in-flight invocations produce from now on. Without it, abort calls stop.
   */
  abort?(): void;
  /** One line for the startup banner, e.g. `GET http://…/api/x` or `queue: jobs`. */
  describe(registration: Registration): string;
}

/** Keyed by lower-cased binding type, e.g. `httptrigger`, `queuetrigger`, `timertrigger`. */
export type TriggerAdapters = Record<string, TriggerAdapter>;

export interface StartedFunction {
  registration: Registration;
  /** Undefined when the function was skipped. */
  adapter?: TriggerAdapter;
  /** Why it is not running (unsupported trigger type or failed start). */
  problem?: string;
}

export async function startTriggers(
  registrations: readonly Registration[],
  adapters: TriggerAdapters,
  host: HostContext,
): Promise<StartedFunction[]> {
  const started: StartedFunction[] = [];
  for (const registration of registrations) {
    const type = registration.trigger.type;
    const adapter = adapters[type.toLowerCase()];
    if (!adapter) {
      const problem = `trigger type "${type}" is not supported by the local host (or disabled); skipped`;
      host.log(`[host] ${registration.name}: ${problem}`);
      started.push({ registration, problem });
      continue;
    }
    try {
      await adapter.start(registration, host);
      started.push({ registration, adapter });
    } catch (err) {
      // One misconfigured function (e.g. a missing connection setting) must not take the others down,
      // matching the Functions host which reports the error and keeps the rest running.
      const problem = `failed to start: ${describeError(err)}`;
      host.log(`[host] ${registration.name}: ${problem}`);
      started.push({ registration, problem });
    }
  }
  return started;
}

export async function stopAdapters(adapters: Iterable<TriggerAdapter>, log: LogFn): Promise<void> {
  const results = await Promise.allSettled([...new Set(adapters)].map((a) => a.stop()));
  for (const r of results)
    if (r.status === 'rejected')
      log(`[host] error while stopping a trigger adapter: ${describeError(r.reason)}`);
}
