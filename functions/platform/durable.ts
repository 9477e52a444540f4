import type { InvocationContext } from '@azure/functions';
import type { Services } from '../../shared/services';
import { coreFor } from './core';

/** The wrapper of an activity: hands the handler the core, and the input it was called with. */
export function activity<I, O>(handler: (input: I, core: Services, ctx: InvocationContext) => Promise<O>) {
  return async (input: unknown, ctx: InvocationContext): Promise<O> =>
    handler(input as I, await coreFor(ctx), ctx);
}

/** What a blob trigger says about the blob: its container and name, and the version (ETag). */
export function blobOf(
  ctx: InvocationContext,
  size: number,
): { container: string; blobName: string; etag: string; size: number } {
  const meta = ctx.triggerMetadata ?? {};
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const path = text(meta.blobTrigger);
  const slash = path.indexOf('/');
  const props = (meta.properties ?? {}) as Record<string, unknown>;
  const etag = text(props.eTag) || text(props.etag) || text(props.ETag);
  return { container: path.slice(0, slash), blobName: path.slice(slash + 1), etag, size };
}
