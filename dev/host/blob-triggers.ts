/**
 * Blob triggers. Azurite has no Event Grid and no change feed, so every `app.storageBlob`
 * registration (`source: 'EventGrid'` or `'LogsAndContainerScan'` alike) is served by listing its
 * container on a short interval. Each blob version (name + ETag) fires once: as the Functions host
 * does, a receipt is kept in the storage account (`azure-webjobs-hosts/blobreceipts/...`), so a
 * restart does not fire it again, and a version that fails maxDequeueCount (host.json queues, 5)
 * times gets a failed receipt and a message in `webjobs-blobtrigger-poison`.
 */
import { BlobServiceClient, RestError, type BlobItem, type ContainerClient } from '@azure/storage-blob';
import { EventEmitter } from 'node:events';
import { parseBlobPath, type BlobPathTemplate } from './blob-path';
import type { Registration } from './core-shim';
import { resolveAppSettings, type BlobSettings } from './host-config';
import { describeError, errorDetail, InvocationError } from './invoke';
import { Limiter, TaskSet } from './limiter';
import { sleepUnlessAborted } from './sleep';
import { encodeQueueMessage, ensureQueue, resolveConnectionString } from './storage';
import type { HostContext, TriggerAdapter } from './triggers';

/** The host's own container, as in Azure. */
export const HOSTS_CONTAINER = 'azure-webjobs-hosts';
export const BLOB_POISON_QUEUE = 'webjobs-blobtrigger-poison';

export interface BlobEvent {
  functionName: string;
  /** `container/blobName`, as `triggerMetadata.blobTrigger`. */
  blobPath: string;
  etag: string;
  attempt: number;
  error?: unknown;
}

/** Events: 'processed' (handler succeeded), 'failed' (will retry), 'poisoned' (gave up). */
export interface BlobMonitor {
  on(event: 'processed' | 'failed' | 'poisoned', listener: (e: BlobEvent) => void): this;
  off(event: 'processed' | 'failed' | 'poisoned', listener: (e: BlobEvent) => void): this;
  once(event: 'processed' | 'failed' | 'poisoned', listener: (e: BlobEvent) => void): this;
}

const serviceClients = new Map<string, BlobServiceClient>();
function blobService(connectionString: string): BlobServiceClient {
  let client = serviceClients.get(connectionString);
  if (!client) {
    client = BlobServiceClient.fromConnectionString(connectionString);
    serviceClients.set(connectionString, client);
  }
  return client;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const isStatus = (err: unknown, status: number): boolean =>
  err instanceof RestError && err.statusCode === status;
const bareEtag = (etag: string): string => etag.replace(/^W\//, '').replace(/"/g, '');
/** Listings carry bare ETags; headers (and .NET's BlobProperties, which the host hands on) quote them. */
const quotedEtag = (etag: string): string =>
  etag.startsWith('"') || etag.startsWith('W/') ? etag : `"${etag}"`;

/**
 * The blob's system properties as the host hands them to a Node function: the .NET
 * `BlobProperties` with camel-cased keys (`eTag`, `contentLength`, `contentType`, ...).
 */
function blobProperties(item: BlobItem): Record<string, unknown> {
  const p = item.properties;
  const iso = (d: Date | undefined): string | undefined => d?.toISOString();
  return {
    lastModified: iso(p.lastModified),
    createdOn: iso(p.createdOn),
    metadata: item.metadata ?? {},
    blobType: p.blobType,
    contentLength: p.contentLength,
    contentType: p.contentType,
    eTag: p.etag === undefined ? undefined : quotedEtag(p.etag),
    contentHash: p.contentMD5 ? Buffer.from(p.contentMD5).toString('base64') : undefined,
    contentEncoding: p.contentEncoding,
    contentDisposition: p.contentDisposition,
    contentLanguage: p.contentLanguage,
    cacheControl: p.cacheControl,
    accessTier: p.accessTier,
    leaseState: p.leaseState,
    leaseStatus: p.leaseStatus,
    versionId: item.versionId,
  };
}

interface PendingBlob {
  item: BlobItem;
  params: Record<string, string>;
  etag: string;
  attempt: number;
}

class BlobWatcher {
  readonly #stopper = new AbortController();
  readonly #tasks = new TaskSet();
  readonly #limiter: Limiter;
  /** `etag/blobName` of versions with a receipt, or queued/running here. */
  readonly #known = new Set<string>();
  #loop: Promise<void> | undefined;
  #dead = false;
  readonly functionId: string;
  container!: ContainerClient;
  hosts!: ContainerClient;

  constructor(
    readonly registration: Registration,
    readonly template: BlobPathTemplate,
    readonly connectionString: string,
    readonly settings: BlobSettings,
    readonly host: HostContext,
    readonly events: EventEmitter,
  ) {
    this.functionId = `Host.Functions.${registration.name}`;
    this.#limiter = new Limiter(settings.maxDegreeOfParallelism);
  }

  get #receiptPrefix(): string {
    return `blobreceipts/${this.settings.hostId}/${this.functionId}/`;
  }

  #receiptName(etag: string, blobName: string): string {
    return `${this.#receiptPrefix}${bareEtag(etag)}/${this.template.container}/${blobName}`;
  }

  #log(line: string): void {
    this.host.log(`[blob ${this.registration.name}] ${line}`);
  }

  async start(): Promise<void> {
    const service = blobService(this.connectionString);
    this.container = service.getContainerClient(this.template.container);
    this.hosts = service.getContainerClient(HOSTS_CONTAINER);
    await this.hosts.createIfNotExists();
    // Receipts written by earlier runs: those versions have fired already.
    for await (const receipt of this.hosts.listBlobsFlat({ prefix: this.#receiptPrefix })) {
      const rest = receipt.name.slice(this.#receiptPrefix.length);
      const slash = rest.indexOf('/');
      const container = `${this.template.container}/`;
      const path = rest.slice(slash + 1);
      if (slash > 0 && path.startsWith(container)) {
        this.#known.add(`${rest.slice(0, slash)}/${path.slice(container.length)}`);
      }
    }
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopper.abort();
    await this.#loop;
    await this.#tasks.settled();
  }

  /** As a crash: stop listing, write nothing more, wait for nothing. */
  abort(): void {
    this.#dead = true;
    this.#stopper.abort();
  }

  get #stopped(): boolean {
    return this.#stopper.signal.aborted;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#scan();
      } catch (err) {
        if (this.#stopped) break;
        this.#log(`listing ${this.template.container} failed (${describeError(err)}); retrying`);
      }
      await sleepUnlessAborted(this.settings.pollIntervalMs, this.#stopper.signal);
    }
  }

  async #scan(): Promise<void> {
    const listing = this.container.listBlobsFlat({
      prefix: this.template.prefix || undefined,
      includeMetadata: true,
    });
    try {
      for await (const item of listing) {
        if (this.#stopped) return;
        const params = this.template.match(item.name);
        const etag = item.properties.etag === undefined ? undefined : quotedEtag(item.properties.etag);
        if (!params || !etag) continue;
        const key = `${bareEtag(etag)}/${item.name}`;
        if (this.#known.has(key)) continue;
        this.#known.add(key);
        this.#schedule({ item, params, etag, attempt: 1 });
      }
    } catch (err) {
      // No container yet: nothing to trigger on, as in Azure.
      if (!isStatus(err, 404)) throw err;
    }
  }

  #schedule(pending: PendingBlob, delayMs = 0): void {
    this.#tasks.add(
      (async () => {
        if (delayMs > 0) await sleepUnlessAborted(delayMs, this.#stopper.signal);
        if (this.#stopped) return;
        await this.#limiter.run(() => this.#process(pending));
      })(),
    );
  }

  /** Never rejects: every outcome is logged and reported as an event. */
  async #process(pending: PendingBlob): Promise<void> {
    const { item, params, etag, attempt } = pending;
    const blobPath = `${this.template.container}/${item.name}`;
    const event: BlobEvent = { functionName: this.registration.name, blobPath, etag, attempt };
    const receipt = this.hosts.getBlockBlobClient(this.#receiptName(etag, item.name));
    try {
      // Another host (or an earlier run of this one) may have handled it since we started.
      if (attempt === 1 && (await receipt.exists())) return;
    } catch (err) {
      this.#log(`could not read the receipt for ${blobPath}: ${describeError(err)}`);
    }
    const blob = this.container.getBlobClient(item.name);
    let content: Buffer;
    try {
      content = await blob.downloadToBuffer(undefined, undefined, { conditions: { ifMatch: etag } });
    } catch (err) {
      // Rewritten (412) or deleted (404) since the listing: the next listing sees what is there now.
      if (isStatus(err, 412) || isStatus(err, 404)) return;
      this.#log(`could not download ${blobPath}: ${describeError(err)}; retrying`);
      this.#known.delete(`${bareEtag(etag)}/${item.name}`);
      return;
    }
    if (this.#dead) return;
    const dataType = text(this.registration.trigger.dataType).toLowerCase();
    const input = dataType === 'string' ? content.toString('utf8') : content;
    try {
      await this.host.invoker.invoke(this.registration, input, {
        triggerMetadata: {
          blobTrigger: blobPath,
          uri: blob.url,
          properties: blobProperties(item),
          metadata: item.metadata ?? {},
          ...params,
        },
      });
    } catch (err) {
      if (this.#dead) return;
      event.error = err instanceof InvocationError ? err.cause : err;
      await this.#failed(pending, event, receipt);
      return;
    }
    if (this.#dead) return;
    await this.#writeReceipt(receipt, { status: 'completed', attempts: String(attempt) }, blobPath);
    this.#emit('processed', event);
  }

  async #failed(
    pending: PendingBlob,
    event: BlobEvent,
    receipt: ReturnType<ContainerClient['getBlockBlobClient']>,
  ): Promise<void> {
    const { maxDequeueCount, visibilityTimeoutMs } = this.host.settings.queues;
    const label = `${this.registration.name} failed on ${event.blobPath} (attempt ${pending.attempt}/${maxDequeueCount})`;
    if (pending.attempt < maxDequeueCount) {
      this.#log(`${label}; retrying in ${visibilityTimeoutMs} ms: ${describeError(event.error)}`);
      this.#emit('failed', event);
      this.#schedule({ ...pending, attempt: pending.attempt + 1 }, visibilityTimeoutMs);
      return;
    }
    this.#log(`${label}; giving up on this version: ${errorDetail(event.error)}`);
    await this.#writeReceipt(
      receipt,
      {
        status: 'failed',
        attempts: String(pending.attempt),
        error: encodeURIComponent(describeError(event.error).slice(0, 1024)),
      },
      event.blobPath,
    );
    try {
      const poison = await ensureQueue(this.connectionString, BLOB_POISON_QUEUE);
      const message = {
        Type: 'BlobTrigger',
        FunctionId: this.functionId,
        BlobType: 'BlockBlob',
        ContainerName: this.template.container,
        BlobName: pending.item.name,
        ETag: pending.etag,
      };
      await poison.sendMessage(
        encodeQueueMessage(JSON.stringify(message), this.host.settings.queues.messageEncoding),
      );
    } catch (err) {
      this.#log(`could not write to ${BLOB_POISON_QUEUE}: ${describeError(err)}`);
    }
    this.#emit('poisoned', event);
  }

  async #writeReceipt(
    receipt: ReturnType<ContainerClient['getBlockBlobClient']>,
    metadata: Record<string, string>,
    blobPath: string,
  ): Promise<void> {
    try {
      await receipt.upload('', 0, { metadata });
    } catch (err) {
      this.#log(`could not write the receipt for ${blobPath}: ${describeError(err)}`);
    }
  }

  #emit(name: 'processed' | 'failed' | 'poisoned', event: BlobEvent): void {
    try {
      this.events.emit(name, event);
    } catch (err) {
      this.#log(`a '${name}' listener threw: ${describeError(err)}`);
    }
  }
}

export class BlobTriggerAdapter implements TriggerAdapter {
  readonly events = new EventEmitter();
  readonly #watchers: BlobWatcher[] = [];

  constructor(private readonly overrides: Partial<BlobSettings> = {}) {}

  async start(registration: Registration, host: HostContext): Promise<void> {
    const settings: BlobSettings = { ...host.settings.blobs, ...this.overrides };
    const template = parseBlobPath(resolveAppSettings(text(registration.trigger.path)));
    const connectionString = resolveConnectionString(registration.trigger.connection);
    const watcher = new BlobWatcher(registration, template, connectionString, settings, host, this.events);
    await watcher.start();
    this.#watchers.push(watcher);
  }

  async stop(): Promise<void> {
    await Promise.all(this.#watchers.map((w) => w.stop()));
  }

  abort(): void {
    for (const w of this.#watchers) w.abort();
  }

  describe(registration: Registration): string {
    const source = text(registration.trigger.source) || 'LogsAndContainerScan';
    return `blob: ${text(registration.trigger.path)} (${source}; polled locally)`;
  }

  readonly monitor: BlobMonitor = this.#createMonitor();

  #createMonitor(): BlobMonitor {
    const events = this.events;
    const monitor: BlobMonitor = {
      on: (e, l) => (events.on(e, l), monitor),
      off: (e, l) => (events.off(e, l), monitor),
      once: (e, l) => (events.once(e, l), monitor),
    };
    return monitor;
  }
}
