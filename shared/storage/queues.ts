import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import type { StorageConnection } from './connection';

export interface QueueSender {
  send<T extends object>(queue: string, message: T): Promise<void>;
}

export const DEV_ACCOUNT_NAME = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Azurite's well-known development account on the given ports. */
export function devConnectionString(
  ports: { blob: number; queue: number; table: number } = { blob: 10000, queue: 10001, table: 10002 },
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

/** `UseDevelopmentStorage=true` means Azurite on its default ports, as everywhere in Azure tooling. */
export const resolveConnectionString = (value: string) =>
  value.trim().toLowerCase() === 'usedevelopmentstorage=true' ? devConnectionString() : value;

const serviceClients = new Map<string, QueueServiceClient>();
const ensuredQueues = new Map<string, Promise<QueueClient>>();

export function queueServiceClient(connectionString: string): QueueServiceClient {
  const resolved = resolveConnectionString(connectionString);
  let client = serviceClients.get(resolved);
  if (!client) {
    client = QueueServiceClient.fromConnectionString(resolved);
    serviceClients.set(resolved, client);
  }
  return client;
}

/**
 * A client for a queue that exists: created on first use, as the Functions host does. The client
 * is kept: building one builds its HTTP pipeline, a fifth of what a reply's job send cost.
 */
export function ensureQueue(connectionString: string, queueName: string): Promise<QueueClient> {
  const key = `${connectionString}\n${queueName}`;
  let ensured = ensuredQueues.get(key);
  if (!ensured) {
    const client = queueServiceClient(connectionString).getQueueClient(queueName);
    ensured = client.createIfNotExists().then(() => client);
    ensuredQueues.set(key, ensured);
    // A failed create (storage not up yet) is retried next time, not remembered.
    ensured.catch(() => ensuredQueues.delete(key));
  }
  return ensured;
}

export function encodeQueueMessage(text: string, encoding: 'base64' | 'none'): string {
  return encoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Undefined when the text is not valid base64, which the Functions host treats as a failure. */
export function decodeQueueMessage(text: string, encoding: 'base64' | 'none'): string | undefined {
  if (encoding === 'none') return text;
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

/**
 * Sends JSON messages in the encoding the Functions host expects by default (host.json
 * `messageEncoding`: base64), over a connection string or as the app's identity.
 */
export function storageQueueSender(
  connection: string | StorageConnection,
): QueueSender & { ping(): Promise<void> } {
  if (typeof connection === 'string' || connection.kind === 'connection-string') {
    const connectionString = typeof connection === 'string' ? connection : connection.connectionString;
    return {
      async send(queue, message) {
        const client = await ensureQueue(connectionString, queue);
        await client.sendMessage(encodeQueueMessage(JSON.stringify(message), 'base64'));
      },
      async ping() {
        await queueServiceClient(connectionString).getProperties();
      },
    };
  }
  const service = new QueueServiceClient(connection.queueServiceUri, connection.credential);
  const ensured = new Map<string, Promise<QueueClient>>();
  return {
    async send(queue, message) {
      let ready = ensured.get(queue);
      if (!ready) {
        const queueClient = service.getQueueClient(queue);
        ready = queueClient.createIfNotExists().then(() => queueClient);
        ensured.set(queue, ready);
        ready.catch(() => ensured.delete(queue));
      }
      const client = await ready;
      await client.sendMessage(encodeQueueMessage(JSON.stringify(message), 'base64'));
    },
    // Listing queues is within Storage Queue Data Contributor (queues/read); Get Queue Service
    // Properties is an account-level action that the app's data role may not include.
    async ping() {
      await service.listQueues({ prefix: '$' }).byPage({ maxPageSize: 1 }).next();
    },
  };
}
