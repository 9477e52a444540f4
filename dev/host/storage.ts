/** Storage connection resolution shared by queue triggers and queue output bindings. */
import { QueueClient, QueueServiceClient } from '@azure/storage-queue';

export const DEV_ACCOUNT_NAME = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function devConnectionString(
  ports: { blob: number; queue: number; table: number },
  host = '127.0.0.1',
): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT_NAME}`,
    `AccountKey=${DEV_ACCOUNT_KEY}`,
    `BlobEndpoint=http://${host}:${ports.blob}/${DEV_ACCOUNT_NAME}`,
    `QueueEndpoint=http://${host}:${ports.queue}/${DEV_ACCOUNT_NAME}`,
    `TableEndpoint=http://${host}:${ports.table}/${DEV_ACCOUNT_NAME}`,
  ].join(';');
}

/**
 * Looks a binding's `connection` up the way the Functions host does: the setting itself, then the
 * `AzureWebJobs`-prefixed name. `UseDevelopmentStorage=true` means Azurite on its default ports.
 */
export function resolveConnectionString(connection: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const name = typeof connection === 'string' && connection !== '' ? connection : 'AzureWebJobsStorage';
  const value = env[name] ?? env[`AzureWebJobs${name}`];
  if (!value) {
    throw new Error(
      `Storage connection setting "${name}" is not set (looked in process.env / local.settings.json Values). ` +
        `Identity-based connections are not supported by the local host.`,
    );
  }
  if (value.trim().toLowerCase() === 'usedevelopmentstorage=true') {
    return devConnectionString({ blob: 10000, queue: 10001, table: 10002 });
  }
  return value;
}

const serviceClients = new Map<string, QueueServiceClient>();
const ensuredQueues = new Map<string, Promise<unknown>>();

export function queueServiceClient(connectionString: string): QueueServiceClient {
  let client = serviceClients.get(connectionString);
  if (!client) {
    client = QueueServiceClient.fromConnectionString(connectionString);
    serviceClients.set(connectionString, client);
  }
  return client;
}

/** Returns a client for a queue that exists (created on first use, like the Functions host does). */
export async function ensureQueue(connectionString: string, queueName: string): Promise<QueueClient> {
  const client = queueServiceClient(connectionString).getQueueClient(queueName);
  const key = `${connectionString}\n${queueName}`;
  let ensured = ensuredQueues.get(key);
  if (!ensured) {
    ensured = client.createIfNotExists();
    ensuredQueues.set(key, ensured);
    // A failed create (e.g. storage not up yet) must be retried next time, not cached.
    ensured.catch(() => ensuredQueues.delete(key));
  }
  await ensured;
  return client;
}

export function encodeQueueMessage(text: string, encoding: 'base64' | 'none'): string {
  return encoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Returns undefined when the text is not valid base64, which the Functions host treats as a failure. */
export function decodeQueueMessage(text: string, encoding: 'base64' | 'none'): string | undefined {
  if (encoding === 'none') return text;
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}
