import { QueueServiceClient } from '@azure/storage-queue';

export interface QueueSender {
  send<T extends object>(queue: string, message: T): Promise<void>;
}

/** Azurite's well-known development account, what `UseDevelopmentStorage=true` means. */
export const DEVELOPMENT_STORAGE =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  'BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;' +
  'TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;';

export const resolveConnectionString = (value: string) =>
  value.trim() === 'UseDevelopmentStorage=true' ? DEVELOPMENT_STORAGE : value;

export const describeStorage = (connectionString: string) =>
  /devstoreaccount1/.test(connectionString) ? 'azurite' : 'azure-storage';

/**
 * Sends JSON messages base64-encoded, the encoding the Functions host expects by default
 * (host.json `messageEncoding`).
 */
export function storageQueueSender(connectionString: string): QueueSender & { ping(): Promise<void> } {
  const service = QueueServiceClient.fromConnectionString(resolveConnectionString(connectionString));
  const ready = new Map<string, Promise<unknown>>();
  return {
    async send(queue, message) {
      const client = service.getQueueClient(queue);
      let created = ready.get(queue);
      if (!created) {
        created = client.createIfNotExists();
        ready.set(queue, created);
        created.catch(() => ready.delete(queue));
      }
      await created;
      await client.sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));
    },
    async ping() {
      await service.getProperties();
    },
  };
}
