/**
 * What the app registers, read from its one entry file the way the local host reads it (the core
 * shim captures every app.* call with its bindings): the deploy script subscribes the blob
 * triggers it finds, and the infra tests check the Bicep against the queues and paths it names.
 */
import { installCoreShim, type BindingInfo, type Registration } from '../dev/host/core-shim';

/**
 * Loads the entry (e.g. `() => require('dist/functions/index.js')`) and returns every registration
 * in this process: a module loads once, so a second call returns what the first one captured.
 */
export async function loadRegistrations(loadEntry: () => unknown): Promise<Registration[]> {
  const registry = installCoreShim();
  await loadEntry();
  return [...registry.registrations];
}

export interface BlobTrigger {
  functionName: string;
  /** `container/{name}` as registered, e.g. `inbox/{userId}/{name}`. */
  path: string;
  /** `EventGrid` for the Event Grid source; unset for the polling source. */
  source?: string;
}

const isType = (binding: BindingInfo, type: string) => binding.type.toLowerCase() === type.toLowerCase();

export function blobTriggers(registrations: Registration[]): BlobTrigger[] {
  return registrations
    .filter((r) => isType(r.trigger, 'blobTrigger'))
    .map((r) => ({
      functionName: r.name,
      path: String(r.trigger.path),
      source: typeof r.trigger.source === 'string' ? r.trigger.source : undefined,
    }));
}

export function queueTriggerQueues(registrations: Registration[]): string[] {
  return registrations
    .filter((r) => isType(r.trigger, 'queueTrigger'))
    .map((r) => String(r.trigger.queueName));
}

export interface HttpRoute {
  functionName: string;
  route: string;
  methods: string[];
}

export function httpRoutes(registrations: Registration[]): HttpRoute[] {
  return registrations
    .filter((r) => isType(r.trigger, 'httpTrigger'))
    .map((r) => ({
      functionName: r.name,
      route: typeof r.trigger.route === 'string' ? r.trigger.route : r.name,
      methods: Array.isArray(r.trigger.methods) ? r.trigger.methods.map(String) : [],
    }));
}
