/**
 * One Event Grid subscription per blob trigger. Flex Consumption runs blob triggers only from
 * Event Grid (`source: 'EventGrid'`): the storage account's system topic posts BlobCreated events
 * for the trigger's container (and literal prefix) to the host's blobs webhook, which needs the
 * `blobs_extension` system key. That key exists only once the code runs, so this happens after
 * the code is published, not in Bicep.
 */
import { parseBlobPath } from '../dev/host/blob-path';
import type { BlobTrigger } from './registrations';

export interface EventSubscription {
  /** The subscription's name under the system topic. */
  name: string;
  functionName: string;
  container: string;
  body: {
    properties: {
      destination: {
        endpointType: 'WebHook';
        properties: { endpointUrl: string; maxEventsPerBatch: number; preferredBatchSizeInKilobytes: number };
      };
      filter: { includedEventTypes: string[]; subjectBeginsWith: string; subjectEndsWith?: string };
      eventDeliverySchema: 'EventGridSchema';
      retryPolicy: { maxDeliveryAttempts: number; eventTimeToLiveInMinutes: number };
    };
  };
}

/** Subscription names: 3-64 letters, digits and hyphens. */
const subscriptionName = (functionName: string) =>
  `blob-${functionName}`
    .replace(/[^A-Za-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 64);

/** The literal text after the last parameter (`{name}.pdf` → `.pdf`), a suffix every blob has. */
function literalSuffix(blobTemplate: string): string {
  const close = blobTemplate.lastIndexOf('}');
  return close < 0 ? '' : blobTemplate.slice(close + 1).replace(/\{\{|\}\}/g, (b) => b[0]!);
}

/**
 * The subscriptions for these triggers, posting to the app at `functionAppHost`. Fails for a
 * trigger without the Event Grid source: Flex Consumption would never run it.
 */
export function blobTriggerSubscriptions(
  triggers: BlobTrigger[],
  target: { functionAppHost: string; blobsExtensionKey: string },
): EventSubscription[] {
  const polling = triggers.filter((t) => t.source?.toLowerCase() !== 'eventgrid');
  if (polling.length) {
    throw new Error(
      `Blob triggers without source: 'EventGrid' never run on Flex Consumption: ${polling
        .map((t) => t.functionName)
        .join(', ')}`,
    );
  }
  return triggers.map((trigger) => {
    const template = parseBlobPath(trigger.path);
    const blobTemplate = trigger.path.replace(/^\/+/, '').slice(template.container.length + 1);
    const suffix = literalSuffix(blobTemplate);
    const endpoint = new URL(`https://${target.functionAppHost}/runtime/webhooks/blobs`);
    endpoint.searchParams.set('functionName', `Host.Functions.${trigger.functionName}`);
    endpoint.searchParams.set('code', target.blobsExtensionKey);
    return {
      name: subscriptionName(trigger.functionName),
      functionName: trigger.functionName,
      container: template.container,
      body: {
        properties: {
          destination: {
            endpointType: 'WebHook',
            properties: {
              endpointUrl: endpoint.toString(),
              maxEventsPerBatch: 1,
              preferredBatchSizeInKilobytes: 64,
            },
          },
          filter: {
            includedEventTypes: ['Microsoft.Storage.BlobCreated'],
            subjectBeginsWith: `/blobServices/default/containers/${template.container}/blobs/${template.prefix}`,
            ...(suffix ? { subjectEndsWith: suffix } : {}),
          },
          eventDeliverySchema: 'EventGridSchema',
          // A day of retries: an app that is down for a deploy or an outage still gets its blobs.
          retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
        },
      },
    };
  });
}

/** The subscription with its webhook key masked, for logs and dry runs. */
export function describeSubscription(subscription: EventSubscription): string {
  const url = new URL(subscription.body.properties.destination.properties.endpointUrl);
  url.searchParams.set('code', '***');
  const filter = subscription.body.properties.filter;
  return `${subscription.name}: ${filter.includedEventTypes.join(',')} under ${filter.subjectBeginsWith}${
    filter.subjectEndsWith ? ` ending ${filter.subjectEndsWith}` : ''
  } → ${url.toString()}`;
}
