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

export interface HostSettings {
  http: HttpSettings;
  queues: QueueSettings;
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
  functionTimeoutMs: undefined,
};

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
      return { settings: structuredClone(DEFAULT_HOST_SETTINGS), found: false };
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
