/**
 * The few Azure calls the deploy script makes, over plain HTTPS with a token from the signed-in
 * identity (`azd auth login`, `az login`, or a pipeline's): Azure Resource Manager for the host's
 * blobs key and Event Grid, and the app's deployment site for OneDeploy, the publish route of
 * Flex Consumption.
 */
import fs from 'node:fs';
import type { TokenCredential } from '@azure/identity';

const ARM = 'https://management.azure.com';
const ARM_SCOPE = 'https://management.azure.com/.default';

export const API_VERSIONS = {
  web: '2024-04-01',
  eventGrid: '2025-02-15',
} as const;

export type Fetch = typeof fetch;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class AzureError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
  }
}

export interface Arm {
  request<T>(method: string, pathAndQuery: string, body?: unknown): Promise<T>;
  token(): Promise<string>;
}

export function armClient(credential: TokenCredential, fetchImpl: Fetch = fetch): Arm {
  async function token(): Promise<string> {
    const t = await credential.getToken(ARM_SCOPE);
    if (!t) throw new Error('No Azure token: sign in with `azd auth login` (or `az login`) first');
    return t.token;
  }
  return {
    token,
    async request<T>(method: string, pathAndQuery: string, body?: unknown): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        const res = await fetchImpl(`${ARM}${pathAndQuery}`, {
          method,
          headers: {
            authorization: `Bearer ${await token()}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        if ((res.status === 429 || res.status >= 500) && attempt < 5) {
          await sleep(Number(res.headers.get('retry-after') ?? 0) * 1000 || 2000 * attempt);
          continue;
        }
        if (!res.ok) {
          throw new AzureError(
            `${method} ${pathAndQuery.split('?')[0]} answered ${res.status}: ${text}`,
            res.status,
            text,
          );
        }
        return (text ? JSON.parse(text) : undefined) as T;
      }
    },
  };
}

export interface AppTarget {
  subscriptionId: string;
  resourceGroup: string;
  appName: string;
}

const siteId = (t: AppTarget) =>
  `/subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroup}/providers/Microsoft.Web/sites/${t.appName}`;

/** The app's host names: where it answers, and its deployment (scm) site. */
export async function siteHosts(
  arm: Arm,
  target: AppTarget,
): Promise<{ defaultHost: string; scmHost: string }> {
  const site = await arm.request<{ properties: { defaultHostName: string; enabledHostNames?: string[] } }>(
    'GET',
    `${siteId(target)}?api-version=${API_VERSIONS.web}`,
  );
  const scmHost = site.properties.enabledHostNames?.find((h) => h.includes('.scm.'));
  if (!scmHost) throw new Error(`${target.appName} lists no deployment (scm) host name`);
  return { defaultHost: site.properties.defaultHostName, scmHost };
}

/**
 * The blobs webhook key. The host creates it when it first loads an Event Grid blob trigger, so
 * right after a publish it may take a minute or two to appear.
 */
export async function blobsExtensionKey(
  arm: Arm,
  target: AppTarget,
  opts: { timeoutMs?: number; pollMs?: number; log?: (line: string) => void } = {},
): Promise<string> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10 * 60_000);
  for (;;) {
    type HostKeys = { systemKeys?: Record<string, string> };
    const keys: HostKeys = await arm
      .request<HostKeys>('POST', `${siteId(target)}/host/default/listkeys?api-version=${API_VERSIONS.web}`)
      .catch((err: unknown): HostKeys => {
        // The host answers 4xx/5xx while it restarts after a publish.
        if (err instanceof AzureError) return {};
        throw err;
      });
    const key = keys.systemKeys?.blobs_extension;
    if (key) return key;
    if (Date.now() > deadline) {
      throw new Error(`${target.appName} has no blobs_extension key yet: is the app running? (see its logs)`);
    }
    opts.log?.('  waiting for the host to create its blobs_extension key…');
    await sleep(opts.pollMs ?? 10_000);
  }
}

export async function putEventSubscription(
  arm: Arm,
  topic: { subscriptionId: string; resourceGroup: string; systemTopic: string },
  name: string,
  body: unknown,
): Promise<void> {
  await arm.request(
    'PUT',
    `/subscriptions/${topic.subscriptionId}/resourceGroups/${topic.resourceGroup}/providers/Microsoft.EventGrid/systemTopics/${topic.systemTopic}/eventSubscriptions/${name}?api-version=${API_VERSIONS.eventGrid}`,
    body,
  );
}

/** Kudu's deployment states (api/deployments). */
const DEPLOY_STATUS: Record<number, string> = {
  [-1]: 'cancelled',
  0: 'pending',
  1: 'building',
  2: 'deploying',
  3: 'failed',
  4: 'succeeded',
  5: 'conflict',
  6: 'partially succeeded',
};

/**
 * OneDeploy, as `func azure functionapp publish` and azd do for Flex Consumption: the zip goes to
 * the deployment site, which writes it to the app's deployment container and restarts the app.
 * The status is read from the body: the site answers 200 while a deployment runs and after it fails.
 */
export async function publishPackage(opts: {
  scmHost: string;
  zipPath: string;
  token: () => Promise<string>;
  fetchImpl?: Fetch;
  log?: (line: string) => void;
  pollMs?: number;
  timeoutMs?: number;
}): Promise<void> {
  const fetchImpl = opts.fetchImpl ?? fetch;
  const base = `https://${opts.scmHost}`;
  const zip = fs.readFileSync(opts.zipPath);
  const deadline = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
  let deploymentId = '';
  for (let attempt = 1; ; attempt++) {
    const res = await fetchImpl(`${base}/api/publish?RemoteBuild=false&Deployer=gloriamundo-deploy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await opts.token()}`, 'content-type': 'application/zip' },
      body: zip,
    });
    const text = await res.text();
    if (res.ok) {
      deploymentId = text.replace(/"/g, '').trim();
      break;
    }
    // A role assignment made by this provision (the app's access to its deployment container, the
    // deployer's to the site) can take minutes to apply: storage answers 403 through a 400 here.
    const propagating = res.status === 403 || (res.status === 400 && /BlobUploadFailed|403/.test(text));
    if (!propagating || Date.now() > deadline) {
      throw new AzureError(`POST ${base}/api/publish answered ${res.status}: ${text}`, res.status, text);
    }
    opts.log?.(`  publish refused (${res.status}), waiting for access to apply (try ${attempt})…`);
    await sleep(opts.pollMs ?? 15_000);
  }
  opts.log?.(`  deployment ${deploymentId || '(no id)'} accepted`);
  for (;;) {
    const res = await fetchImpl(`${base}/api/deployments/latest`, {
      headers: { authorization: `Bearer ${await opts.token()}` },
    });
    if (res.ok) {
      const d = (await res.json()) as { id?: string; status?: number; status_text?: string };
      const status = d.status ?? 0;
      if (!deploymentId || d.id === deploymentId) {
        if (status === 4) return;
        if (status === 6) {
          opts.log?.(
            `  deployment partially succeeded: ${d.status_text ?? ''} (see ${base}/api/deployments/${d.id ?? 'latest'}/log)`,
          );
          return;
        }
        if (status === 3 || status === -1 || status === 5) {
          throw new Error(
            `Deployment ${DEPLOY_STATUS[status]}: ${d.status_text ?? ''} (see ${base}/api/deployments/${d.id ?? 'latest'}/log)`,
          );
        }
        opts.log?.(`  deployment ${DEPLOY_STATUS[status] ?? status}…`);
      }
    } else {
      await res.body?.cancel();
    }
    if (Date.now() > deadline)
      throw new Error(`Deployment did not finish in time (see ${base}/api/deployments)`);
    await sleep(opts.pollMs ?? 5_000);
  }
}
