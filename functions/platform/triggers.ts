import type { InvocationContext, StorageQueueHandler, TimerHandler } from '@azure/functions';
import type { JobDefinition, JobPayload } from '../../shared/contracts/jobs';
import type { Services } from '../../shared/services';
import { coreFor } from './core';

/**
 * The wrapper of a queue function: parses the job with its declared schema and hands the
 * handler the core. A throw makes the queue retry (5 tries, then `<queue>-poison`); a job that
 * does not parse is dropped with a warning, since retrying cannot make it valid.
 */
export function queueJob<J extends JobDefinition>(
  job: J,
  handler: (payload: JobPayload<J>, input: { core: Services; ctx: InvocationContext }) => Promise<void>,
): StorageQueueHandler {
  return async (message, ctx) => {
    const parsed = job.schema.safeParse(message);
    if (!parsed.success) {
      ctx.warn(`ignoring malformed ${job.name} job: ${parsed.error.message}`);
      return;
    }
    await handler(parsed.data as JobPayload<J>, { core: await coreFor(ctx), ctx });
  };
}

/** The wrapper of a timer function: hands the handler the core. */
export function timer(
  handler: (input: { core: Services; ctx: InvocationContext }) => Promise<void>,
): TimerHandler {
  return async (_timer, ctx) => handler({ core: await coreFor(ctx), ctx });
}
