import type { TokenCredential } from '@azure/identity';
import { DEV_ACCOUNT_NAME, resolveConnectionString } from './queues';

/** How the app reaches its storage account: a connection string with the key, or an identity. */
export type StorageConnection =
  | { kind: 'connection-string'; connectionString: string }
  | { kind: 'identity'; blobServiceUri: string; queueServiceUri: string; credential: TokenCredential };

export interface StorageSettings {
  AzureWebJobsStorage?: string;
  AzureWebJobsStorage__accountName?: string;
  AzureWebJobsStorage__blobServiceUri?: string;
  AzureWebJobsStorage__queueServiceUri?: string;
}

/**
 * The connection the settings describe, read as the Functions host reads them (a service URI
 * wins over the account name, which means the public cloud's endpoints); undefined when neither
 * shape is there. loadConfig has already refused the mixed and half-set shapes.
 */
export function storageConnection(
  settings: StorageSettings,
  credential: () => TokenCredential,
): StorageConnection | undefined {
  if (settings.AzureWebJobsStorage) {
    return {
      kind: 'connection-string',
      connectionString: resolveConnectionString(settings.AzureWebJobsStorage),
    };
  }
  const account = settings.AzureWebJobsStorage__accountName;
  const blob =
    settings.AzureWebJobsStorage__blobServiceUri ?? (account && `https://${account}.blob.core.windows.net`);
  const queue =
    settings.AzureWebJobsStorage__queueServiceUri ?? (account && `https://${account}.queue.core.windows.net`);
  if (!blob || !queue) return undefined;
  return { kind: 'identity', blobServiceUri: blob, queueServiceUri: queue, credential: credential() };
}

/** What /api/health calls the storage: Azurite's development account, or Azure Storage. */
export function describeConnection(connection: StorageConnection | string): 'azurite' | 'azure-storage' {
  const text =
    typeof connection === 'string'
      ? connection
      : connection.kind === 'connection-string'
        ? connection.connectionString
        : connection.blobServiceUri;
  return resolveConnectionString(text).includes(DEV_ACCOUNT_NAME) ? 'azurite' : 'azure-storage';
}
