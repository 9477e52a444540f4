import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import { DOCUMENTS_CONTAINER, INBOX_CONTAINER } from '../shared/documents/service';
import { coreFor } from './platform/core';
import { blobOf } from './platform/durable';

/**
 * A blob arrived in documents/ (an upload, an upload link) or inbox/ (blob-drop): the core says
 * which document it is, and its ingestion starts under an id made from the blob's name and
 * version, so a redelivered event cannot ingest twice.
 */
async function arrived(blob: unknown, client: DurableClient, ctx: InvocationContext): Promise<void> {
  const core = await coreFor(ctx);
  const size = Buffer.isBuffer(blob) ? blob.byteLength : 0;
  const ingest = await core.documents.blobArrived(blobOf(ctx, size));
  if (!ingest) return;
  try {
    await client.startNew('ingestDocument', {
      instanceId: ingest.instanceId,
      input: { documentId: ingest.documentId },
    });
    ctx.log(`ingesting document ${ingest.documentId} as ${ingest.instanceId}`);
  } catch (err) {
    // Starting an id that exists is refused: this version is being (or was) ingested already.
    ctx.warn(`ingestion of ${ingest.documentId} not started again: ${String(err)}`);
  }
}

df.app.client.storageBlob('documents-arrive', {
  path: `${DOCUMENTS_CONTAINER}/{userId}/{documentId}/{name}`,
  connection: 'AzureWebJobsStorage',
  source: 'EventGrid',
  handler: arrived,
});

df.app.client.storageBlob('inbox-arrive', {
  path: `${INBOX_CONTAINER}/{userId}/{name}`,
  connection: 'AzureWebJobsStorage',
  source: 'EventGrid',
  handler: arrived,
});
