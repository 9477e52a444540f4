/** host.json settings the local host honours, with the Functions runtime's defaults. */
import fs from 'node:fs';

export interface QueueSettings {
  /** Upper bound of the empty-queue polling back-off. */
  maxPollingIntervalMs: number;
  /** Delay before a failed message becomes visible again (host.json `visibilityTimeout`). */
  visibilityTimeoutMs: number;
  /** Max messages fetched and processed concurrently per queue function. */
  batchSize: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
}

export interface HttpSettings {
  routePrefix: string;
  /** Azure front ends reject bigger bodies; mirror it so oversize uploads fail locally too. */
  maxRequestBodyBytes: number;
  /** A client must send its request headers within this (else 408 and the connection closes). */
  headersTimeoutMs: number;
  /**
   * …and the whole request, body included, within this. It does not cover the response: a
   * streamed reply may run for Azure's 230 s once the request has arrived.
   */
  requestTimeoutMs: number;
}

export interface BlobSettings {
  /** How often each watched container is listed (local host only). */
  pollIntervalMs: number;
  /** Blobs handled at once per function (host.json `extensions.blobs.maxDegreeOfParallelism`). */
  maxDegreeOfParallelism: number;
  /** Names this host's receipts (`azure-webjobs-hosts/blobreceipts/<hostId>/...`). */
  hostId: string;
}

export interface DurableSettings {
  /** host.json `extensions.durableTask.hubName`; else WEBSITE_SITE_NAME; else `TestHubName`. */
  hubName: string;
  /** Activities run at once by this host (`maxConcurrentActivityFunctions`). */
  maxConcurrentActivityFunctions: number;
  /** Orchestrator episodes run at once by this host (`maxConcurrentOrchestratorFunctions`). */
  maxConcurrentOrchestratorFunctions: number;
  /** How often storage is polled for due messages, timers and activities (local host only). */
  pollIntervalMs: number;
  /**
   * How long an activity or an orchestration episode stays claimed by a host that stops renewing
   * it (local host only): after a crash, the next host takes the work over after this long.
   */
  leaseMs: number;
}

export interface HostSettings {
  http: HttpSettings;
  queues: QueueSettings;
  blobs: BlobSettings;
  durable: DurableSettings;
  functionTimeoutMs: number | undefined;
}

export const DEFAULT_HOST_SETTINGS: HostSettings = {
  http: {
    routePrefix: 'api',
    maxRequestBodyBytes: 100 * 1024 * 1024,
    headersTimeoutMs: 20_000,
    requestTimeoutMs: 60_000,
  },
  queues: {
    maxPollingIntervalMs: 60_000,
    visibilityTimeoutMs: 0,
    batchSize: 16,
    maxDequeueCount: 5,
    messageEncoding: 'base64',
  },
  blobs: { pollIntervalMs: 1000, maxDegreeOfParallelism: 8, hostId: 'local-host' },
  durable: {
    hubName: 'TestHubName',
    maxConcurrentActivityFunctions: 10,
    maxConcurrentOrchestratorFunctions: 10,
    pollIntervalMs: 250,
    leaseMs: 30_000,
  },
  functionTimeoutMs: undefined,
};

/** Task hub names are 3-45 letters and digits, starting with a letter. */
export function sanitizeHubName(name: string): string {
  let clean = name.replace(/[^A-Za-z0-9]/g, '');
  if (!/^[A-Za-z]/.test(clean)) clean = `Hub${clean}`;
  return clean.length < 3 ? 'TestHubName' : clean.slice(0, 45);
}

function defaultHubName(): string {
  const site = process.env.WEBSITE_SITE_NAME;
  return site ? sanitizeHubName(site) : DEFAULT_HOST_SETTINGS.durable.hubName;
}

/** Parses a .NET TimeSpan string: `hh:mm:ss`, `d.hh:mm:ss`, optional `.fffffff` fraction. */
export function parseTimeSpan(value: string): number {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(value.trim());
  if (!m) throw new Error(`Invalid TimeSpan "${value}" (expected hh:mm:ss)`);
  const [, d = '0', h = '0', min = '0', s = '0', frac = ''] = m;
  const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  return ((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Number(s) * 1000 + ms;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

export function parseHostJson(json: unknown): HostSettings {
  const root = asRecord(json);
  const extensions = asRecord(root.extensions);
  const http = asRecord(extensions.http);
  const queues = asRecord(extensions.queues);
  const blobs = asRecord(extensions.blobs);
  const durableTask = asRecord(extensions.durableTask);
  const d = DEFAULT_HOST_SETTINGS;
  const timeSpan = (v: unknown, fallback: number): number =>
    typeof v === 'string' ? parseTimeSpan(v) : fallback;
  const num = (v: unknown, fallback: number): number =>
    typeof v === 'number' && Number.isFinite(v) ? v : fallback;
  return {
    http: {
      routePrefix:
        typeof http.routePrefix === 'string'
          ? http.routePrefix.replace(/^\/+|\/+$/g, '')
          : d.http.routePrefix,
      maxRequestBodyBytes: d.http.maxRequestBodyBytes,
      headersTimeoutMs: d.http.headersTimeoutMs,
      requestTimeoutMs: d.http.requestTimeoutMs,
    },
    queues: {
      maxPollingIntervalMs: timeSpan(queues.maxPollingInterval, d.queues.maxPollingIntervalMs),
      visibilityTimeoutMs: timeSpan(queues.visibilityTimeout, d.queues.visibilityTimeoutMs),
      batchSize: Math.max(1, num(queues.batchSize, d.queues.batchSize)),
      maxDequeueCount: Math.max(1, num(queues.maxDequeueCount, d.queues.maxDequeueCount)),
      messageEncoding: queues.messageEncoding === 'none' ? 'none' : 'base64',
    },
    blobs: {
      ...d.blobs,
      maxDegreeOfParallelism: Math.max(1, num(blobs.maxDegreeOfParallelism, d.blobs.maxDegreeOfParallelism)),
    },
    durable: {
      ...d.durable,
      hubName:
        typeof durableTask.hubName === 'string' && durableTask.hubName.trim() !== ''
          ? sanitizeHubName(resolveAppSettings(durableTask.hubName))
          : defaultHubName(),
      maxConcurrentActivityFunctions: Math.max(
        1,
        num(durableTask.maxConcurrentActivityFunctions, d.durable.maxConcurrentActivityFunctions),
      ),
      maxConcurrentOrchestratorFunctions: Math.max(
        1,
        num(durableTask.maxConcurrentOrchestratorFunctions, d.durable.maxConcurrentOrchestratorFunctions),
      ),
    },
    functionTimeoutMs:
      typeof root.functionTimeout === 'string' ? parseTimeSpan(root.functionTimeout) : undefined,
  };
}

/** Missing file → defaults (like a bare Functions app); a malformed one is an error worth stopping for. */
export function loadHostSettings(hostJsonPath: string): { settings: HostSettings; found: boolean } {
  let text: string;
  try {
    text = fs.readFileSync(hostJsonPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { settings: parseHostJson({}), found: false };
    throw err;
  }
  try {
    return { settings: parseHostJson(JSON.parse(text)), found: true };
  } catch (err) {
    throw new Error(`Cannot read ${hostJsonPath}: ${(err as Error).message}`);
  }
}

/** Resolves `%SettingName%` binding expressions from app settings (process.env), as the host does. */
export function resolveAppSettings(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) throw new Error(`App setting "${name}" referenced as %${name}% is not set`);
    return v;
  });
}
