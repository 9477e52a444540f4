/**
 * Output bindings the local host can honour. Only storage queue outputs are implemented; other
 * non-HTTP bindings are reported once at startup (see unsupportedBindings) and ignored.
 */
import type { InvocationContext } from '@azure/functions';
import type { BindingInfo, Registration } from './core-shim';
import { resolveAppSettings, type HostSettings } from './host-config';
import { encodeQueueMessage, ensureQueue, resolveConnectionString } from './storage';

const RETURN_KEY = '$return';

function isQueueOutput(b: BindingInfo): boolean {
  return b.direction === 'out' && b.type.toLowerCase() === 'queue';
}

/**
 * Bindings of a registration that the local host will not populate/honour.
 * @param providedInputs lower-cased input binding types an extension supplies (e.g. `durableclient`).
 */
export function unsupportedBindings(
  registration: Registration,
  providedInputs: ReadonlySet<string> = new Set(),
): BindingInfo[] {
  const isHttp = registration.trigger.type.toLowerCase() === 'httptrigger';
  return Object.entries(registration.bindings)
    .filter(([key]) => key !== registration.triggerName)
    .filter(
      ([key, b]) =>
        !(isHttp && key === RETURN_KEY && b.type.toLowerCase() === 'http') &&
        !isQueueOutput(b) &&
        !(b.direction === 'in' && providedInputs.has(b.type.toLowerCase())),
    )
    .map(([, b]) => b);
}

function toMessageText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return JSON.stringify(value);
}

export async function writeOutputBindings(
  registration: Registration,
  context: InvocationContext,
  result: unknown,
  settings: HostSettings,
): Promise<void> {
  for (const [key, binding] of Object.entries(registration.bindings)) {
    if (!isQueueOutput(binding)) continue;
    const value = key === RETURN_KEY ? result : context.extraOutputs.get(key);
    if (value === undefined || value === null) continue;
    const queueName = resolveAppSettings(String(binding.queueName)).toLowerCase();
    const client = await ensureQueue(resolveConnectionString(binding.connection), queueName);
    // An array output means one message per element, as in the Functions host.
    for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
      await client.sendMessage(encodeQueueMessage(toMessageText(item), settings.queues.messageEncoding));
    }
  }
}
