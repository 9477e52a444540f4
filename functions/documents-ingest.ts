import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { ingestInput, type IngestInput } from '../shared/contracts/documents';
import { EMBED_BATCH } from '../shared/documents/service';
import { activity } from './platform/durable';

/**
 * ingestDocument: extract → embed (fanned out in batches, a few at a time) → store → ready, or
 * failed with a sentence. Activities pass the document id, never its text; each step is retried
 * with back-off, and a document deleted meanwhile simply ends the run.
 */
const retry = new df.RetryOptions(2000, 4);
retry.backoffCoefficient = 2;
retry.maxRetryIntervalInMilliseconds = 30_000;
/** Embedding batches in flight at once: enough to hide latency, few enough not to trip rate limits. */
const PARALLEL_BATCHES = 4;
const GENERIC_FAILURE =
  'We could not process this document. Upload it again; if it keeps failing, the file may be damaged.';

const ingestDocument: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { documentId } = ingestInput.parse(context.df.getInput());
  context.df.setCustomStatus({ step: 'extract', progress: 0 });
  try {
    const extracted = (yield context.df.callActivityWithRetry('documents-extract', retry, { documentId })) as
      { chunks: number } | { rejected: string } | null;
    if (!extracted) return 'gone';
    if ('rejected' in extracted) {
      yield context.df.callActivity('documents-fail', { documentId, reason: extracted.rejected });
      return 'failed';
    }
    const batches: [number, number][] = [];
    for (let from = 0; from < extracted.chunks; from += EMBED_BATCH) {
      batches.push([from, Math.min(extracted.chunks, from + EMBED_BATCH)]);
    }
    for (let i = 0; i < batches.length; i += PARALLEL_BATCHES) {
      yield context.df.Task.all(
        batches
          .slice(i, i + PARALLEL_BATCHES)
          .map(([from, to]) =>
            context.df.callActivityWithRetry('documents-embed', retry, { documentId, from, to }),
          ),
      );
      const done = Math.min(batches.length, i + PARALLEL_BATCHES) / batches.length;
      context.df.setCustomStatus({ step: 'embed', progress: 0.1 + 0.8 * done });
    }
    const stored = (yield context.df.callActivityWithRetry('documents-store', retry, { documentId })) as {
      chunks: number;
    } | null;
    context.df.setCustomStatus({ step: 'done', progress: 1 });
    return stored ? 'ready' : 'gone';
  } catch {
    yield context.df.callActivity('documents-fail', { documentId, reason: GENERIC_FAILURE });
    return 'failed';
  }
};

df.app.orchestration('ingestDocument', ingestDocument);

df.app.activity('documents-extract', {
  handler: activity(async (input: IngestInput, core) =>
    core.documents.extract(ingestInput.parse(input).documentId),
  ),
});

df.app.activity('documents-embed', {
  handler: activity(async (input: IngestInput & { from: number; to: number }, core) =>
    core.documents.embed(ingestInput.parse(input).documentId, input.from, input.to),
  ),
});

df.app.activity('documents-store', {
  handler: activity(async (input: IngestInput, core) =>
    core.documents.store(ingestInput.parse(input).documentId),
  ),
});

df.app.activity('documents-fail', {
  handler: activity(async (input: IngestInput & { reason: string }, core) => {
    await core.documents.fail(ingestInput.parse(input).documentId, input.reason);
    return null;
  }),
});
