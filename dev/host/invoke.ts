/**
 * One invocation, the way the Node worker runs it: preInvocation hooks → handler(...inputs, context)
 * → postInvocation hooks → output bindings. Every trigger adapter goes through here.
 */
import { InvocationContext } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import type { BindingInfo, CoreLogLevel, Registration, Registry } from './core-shim';
import type { HostSettings } from './host-config';
import { writeOutputBindings } from './outputs';

export type LogFn = (line: string) => void;

export interface InvokeOptions {
  triggerMetadata?: Record<string, unknown>;
  invocationId?: string;
}

/**
 * Supplies an input binding's value for one invocation (what the host's extension would bind),
 * e.g. the durable client's JSON for `durableClient` inputs. Keyed by lower-cased binding type.
 */
export type InputProvider = (binding: BindingInfo, registration: Registration) => unknown;
export type InputProviders = Record<string, InputProvider>;

export interface InvocationResult {
  invocationId: string;
  result: unknown;
  context: InvocationContext;
}

/** Carries the invocation id so callers can report it (the HTTP 500 body, queue logs). */
export class InvocationError extends Error {
  constructor(
    readonly functionName: string,
    readonly invocationId: string,
    override readonly cause: unknown,
  ) {
    super(`Function "${functionName}" (invocation ${invocationId}) failed: ${describeError(cause)}`);
    this.name = 'InvocationError';
  }
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : format(err);
}

export function errorDetail(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : format(err);
}

function effectiveOptions(registration: Registration): Record<string, unknown> {
  const { trigger } = registration;
  const others = Object.entries(registration.bindings).filter(([key]) => key !== registration.triggerName);
  const ret = others.find(([key]) => key === '$return')?.[1];
  return {
    trigger,
    return: ret,
    extraInputs: others.filter(([key, b]) => key !== '$return' && b.direction === 'in').map(([, b]) => b),
    extraOutputs: others.filter(([key, b]) => key !== '$return' && b.direction === 'out').map(([, b]) => b),
  };
}

export interface Invoker {
  invoke(
    registration: Registration,
    triggerInput: unknown,
    options?: InvokeOptions,
  ): Promise<InvocationResult>;
}

/**
 * @param appHookData this host's appHookData: every pre/postInvocation hook gets this object as
 *   `appHookData` (as from the worker; the one the host's appStart hooks saw as `hookData`), so two
 *   hosts in one process keep theirs apart. `@azure/functions` 4 shows invocation hooks only
 *   `hookData`, so each invocation's hookData also starts as a shallow copy of it: what the host
 *   was handed is visible to `app.hook.preInvocation`. In Azure both start empty.
 */
export function createInvoker(
  registry: Registry,
  settings: HostSettings,
  log: LogFn,
  appHookData: Record<string, unknown>,
  /** Looked up at each invocation, so extensions may add theirs after the invoker exists. */
  inputProviders: InputProviders = {},
): Invoker {
  function userLog(context: InvocationContext, level: CoreLogLevel, args: unknown[]): void {
    const logCtx: Record<string, unknown> = {
      level,
      category: 'user',
      message: format(...args),
      invocationContext: context,
      hookData: {},
    };
    for (const hook of registry.hooks.log) {
      try {
        hook(logCtx);
      } catch (err) {
        log(`log hook failed: ${describeError(err)}`);
      }
    }
    const shortId = context.invocationId.slice(0, 8);
    log(`[${context.functionName} ${shortId}] ${String(logCtx.level)}: ${String(logCtx.message)}`);
  }

  async function invoke(
    registration: Registration,
    triggerInput: unknown,
    options: InvokeOptions = {},
  ): Promise<InvocationResult> {
    const invocationId = options.invocationId ?? randomUUID();
    const context: InvocationContext = new InvocationContext({
      invocationId,
      functionName: registration.name,
      triggerMetadata: options.triggerMetadata,
      logHandler: (level, ...args) => userLog(context, level, args),
      options: effectiveOptions(registration),
    });
    try {
      for (const [key, binding] of Object.entries(registration.bindings)) {
        if (key === registration.triggerName || binding.direction !== 'in') continue;
        const provide = inputProviders[binding.type.toLowerCase()];
        if (provide) context.extraInputs.set(binding.name ?? key, await provide(binding, registration));
      }
      const hookData: Record<string, unknown> = { ...appHookData };
      const pre: Record<string, unknown> = {
        hookData,
        appHookData,
        invocationContext: context,
        inputs: [triggerInput],
        functionCallback: registration.handler,
      };
      for (const hook of registry.hooks.preInvocation) await hook(pre);

      const post: Record<string, unknown> = {
        hookData,
        appHookData,
        invocationContext: context,
        inputs: pre.inputs,
      };
      try {
        const callback = pre.functionCallback as (...args: unknown[]) => unknown;
        post.result = await callback(...(pre.inputs as unknown[]), context);
      } catch (err) {
        post.error = err;
      }
      for (const hook of registry.hooks.postInvocation) await hook(post);
      // Like the worker: a postInvocation hook may clear or replace the error.
      if (post.error !== undefined && post.error !== null)
        throw new InvocationError(registration.name, invocationId, post.error);

      await writeOutputBindings(registration, context, post.result, settings);
      return { invocationId, result: post.result, context };
    } catch (err) {
      throw err instanceof InvocationError ? err : new InvocationError(registration.name, invocationId, err);
    }
  }

  return { invoke };
}
