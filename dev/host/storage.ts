/** Storage connection resolution shared by queue triggers and queue output bindings. */
import { resolveConnectionString as resolveValue } from '../../shared/storage/queues';

export {
  decodeQueueMessage,
  devConnectionString,
  encodeQueueMessage,
  ensureQueue,
  queueServiceClient,
} from '../../shared/storage/queues';

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
  return resolveValue(value);
}
