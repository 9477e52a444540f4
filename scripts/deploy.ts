/**
 * Deploys the code to what infra/ provisioned (azd runs it after `azd provision`, with the
 * Bicep outputs in its environment):
 *
 *   build     npm run build (the app to dist/, the SPA to web/dist)
 *   package   dist/deploy/package: the compiled app, host.json for DURABLE_BACKEND, production
 *             dependencies for Linux x64; zipped to dist/deploy/function-package.zip
 *   publish   OneDeploy of the zip to the app's deployment site (what `func azure functionapp
 *             publish` does on Flex Consumption); waits until the deployment succeeds
 *   web       static website on, web/dist uploaded to $web with its content types and cache headers
 *   triggers  one Event Grid subscription per blob trigger of the entry file, with the host's key
 *
 * `--dry-run` touches no Azure: `web` uploads to the storage of AZURE_STORAGE_CONNECTION_STRING
 * (Azurite, say), `publish` and `triggers` print what they would send.
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import {
  armClient,
  AzureError,
  blobsExtensionKey,
  publishPackage,
  putEventSubscription,
  siteHosts,
  type Fetch,
} from './azure';
import { blobTriggerSubscriptions, describeSubscription, type EventSubscription } from './event-grid';
import { parseDurableBackend, stagePackage, zipDirectory } from './function-package';
import { blobTriggers, loadRegistrations } from './registrations';
import { enableStaticWebsite, uploadWebApp, WEB_CONTAINER, type UploadResult } from './web-upload';

export const STEPS = ['build', 'package', 'publish', 'web', 'triggers'] as const;
export type Step = (typeof STEPS)[number];

export interface DeployOptions {
  root: string;
  steps: readonly Step[];
  dryRun: boolean;
  env: Record<string, string | undefined>;
  log: (line: string) => void;
  /** Default: DefaultAzureCredential (azd's, az's, a pipeline's or a managed identity's login). */
  credential?: TokenCredential;
  /** Loads the app's entry file; default: `require` of package.json `main` under root. */
  loadEntry?: () => unknown;
  /** `npm ci --omit=dev` in the package stage (default true). */
  install?: boolean;
  fetchImpl?: Fetch;
  /** How long the web step waits for the deployer's storage role to apply (default: 20 × 30 s). */
  roleWait?: { attempts: number; delayMs: number };
}

export interface DeployReport {
  package?: { zipPath: string; files: number; bytes: number };
  web?: UploadResult;
  subscriptions?: EventSubscription[];
}

const ZIP_PATH = ['dist', 'deploy', 'function-package.zip'];
const STAGE_DIR = ['dist', 'deploy', 'package'];

export function parseArgs(argv: string[]): { steps: Step[]; dryRun: boolean; install: boolean } {
  let steps: Step[] = [...STEPS];
  let dryRun = false;
  let install = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--dry-run') dryRun = true;
    else if (arg === '--no-install') install = false;
    else if (arg === '--skip-build') steps = steps.filter((s) => s !== 'build');
    else if (arg === '--steps' || arg.startsWith('--steps=')) {
      const list = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (argv[++i] ?? '');
      const wanted = list
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = wanted.filter((s) => !(STEPS as readonly string[]).includes(s));
      if (unknown.length || wanted.length === 0) {
        throw new Error(`--steps takes a comma-separated list of ${STEPS.join(', ')}; got "${list}"`);
      }
      // Always in deploy order, whatever order they were named in.
      steps = STEPS.filter((s) => wanted.includes(s));
    } else {
      throw new Error(
        `Unknown argument "${arg}". Usage: deploy [--dry-run] [--skip-build] [--no-install] [--steps ${STEPS.join(',')}]`,
      );
    }
  }
  return { steps, dryRun, install };
}

/** The azd outputs a step needs; the error names every one that is missing. */
function required(env: DeployOptions['env'], names: string[]): Record<string, string> {
  const missing = names.filter((n) => !env[n]);
  if (missing.length) {
    throw new Error(
      `Missing ${missing.join(', ')}: run this through azd (azd up, or azd hooks run postprovision), or set them from \`azd env get-values\``,
    );
  }
  return Object.fromEntries(names.map((n) => [n, env[n]!]));
}

function run(cmd: string, args: string[], cwd: string): void {
  const exe = process.platform === 'win32' && cmd === 'npm' ? 'npm.cmd' : cmd;
  const result = spawnSync(exe, args, { cwd, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${result.status})`);
}

export async function deploy(opts: DeployOptions): Promise<DeployReport> {
  const { root, env, log, dryRun } = opts;
  const report: DeployReport = {};
  let credential = opts.credential;
  const getCredential = () => (credential ??= new DefaultAzureCredential());
  const arm = () => armClient(getCredential(), opts.fetchImpl);
  const app = () => {
    const v = required(env, ['AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME']);
    return {
      subscriptionId: v.AZURE_SUBSCRIPTION_ID!,
      resourceGroup: v.AZURE_RESOURCE_GROUP!,
      appName: v.AZURE_FUNCTION_APP_NAME!,
    };
  };
  const zipPath = path.join(root, ...ZIP_PATH);

  for (const step of opts.steps) {
    log(`[deploy] ${step}${dryRun ? ' (dry run)' : ''}`);
    if (step === 'build') {
      run('npm', ['run', 'build'], root);
    } else if (step === 'package') {
      const backend = parseDurableBackend(env.DURABLE_BACKEND);
      const stage = path.join(root, ...STAGE_DIR);
      stagePackage(root, stage, { backend, install: opts.install ?? true, log });
      const zipped = await zipDirectory(stage, zipPath);
      report.package = { zipPath, ...zipped };
      log(
        `  ${path.relative(root, zipPath)}: ${zipped.files} files, ${(zipped.bytes / 1e6).toFixed(1)} MB (Durable backend: ${backend})`,
      );
    } else if (step === 'publish') {
      if (!fs.existsSync(zipPath)) throw new Error(`${zipPath} is missing: run the package step first`);
      const bytes = fs.statSync(zipPath).size;
      if (dryRun) {
        log(
          `  would POST ${path.relative(root, zipPath)} (${(bytes / 1e6).toFixed(1)} MB) to https://<scm host of ${env.AZURE_FUNCTION_APP_NAME ?? 'the app'}>/api/publish?RemoteBuild=false`,
        );
        continue;
      }
      const target = app();
      const client = arm();
      const { scmHost } = await siteHosts(client, target);
      log(`  OneDeploy to ${scmHost} (${(bytes / 1e6).toFixed(1)} MB)`);
      await publishPackage({ scmHost, zipPath, token: () => client.token(), fetchImpl: opts.fetchImpl, log });
      log('  published');
    } else if (step === 'web') {
      const dist = path.join(root, 'web', 'dist');
      let service: BlobServiceClient;
      if (dryRun) {
        const conn = required(env, ['AZURE_STORAGE_CONNECTION_STRING']).AZURE_STORAGE_CONNECTION_STRING!;
        service = BlobServiceClient.fromConnectionString(conn);
        log(
          `  static website: not enabled in a dry run (Azurite has none); uploading to ${WEB_CONTAINER} at ${service.url}`,
        );
      } else {
        const v = required(env, ['AZURE_STORAGE_BLOB_ENDPOINT']);
        const signedIn = new BlobServiceClient(v.AZURE_STORAGE_BLOB_ENDPOINT!, getCredential());
        report.web = await whenStorageLetsIn(
          async () => {
            await enableStaticWebsite(signedIn);
            return uploadWebApp(signedIn.getContainerClient(WEB_CONTAINER), dist, log);
          },
          { log, ...(opts.roleWait ?? { attempts: 20, delayMs: 30_000 }) },
        );
        log(`  ${report.web.uploaded.length} files`);
        continue;
      }
      report.web = await uploadWebApp(service.getContainerClient(WEB_CONTAINER), dist, log);
      log(`  ${report.web.uploaded.length} files`);
    } else if (step === 'triggers') {
      const loadEntry =
        opts.loadEntry ??
        (() => {
          const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
            main: string;
          };
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          return require(path.join(root, pkg.main)) as unknown;
        });
      const triggers = blobTriggers(await loadRegistrations(loadEntry));
      if (dryRun) {
        report.subscriptions = blobTriggerSubscriptions(triggers, {
          functionAppHost:
            env.AZURE_FUNCTION_APP_HOSTNAME ?? `${env.AZURE_FUNCTION_APP_NAME ?? 'app'}.azurewebsites.net`,
          blobsExtensionKey: '<blobs_extension key>',
        });
        for (const s of report.subscriptions) log(`  would subscribe ${describeSubscription(s)}`);
        continue;
      }
      const target = app();
      const topic = required(env, ['AZURE_EVENT_GRID_SYSTEM_TOPIC']).AZURE_EVENT_GRID_SYSTEM_TOPIC!;
      const client = arm();
      const { defaultHost } = await siteHosts(client, target);
      const key = await blobsExtensionKey(client, target, { log });
      report.subscriptions = blobTriggerSubscriptions(triggers, {
        functionAppHost: defaultHost,
        blobsExtensionKey: key,
      });
      for (const s of report.subscriptions) {
        await putEventSubscription(
          client,
          { subscriptionId: target.subscriptionId, resourceGroup: target.resourceGroup, systemTopic: topic },
          s.name,
          s.body,
        );
        log(`  ${describeSubscription(s)}`);
      }
    }
  }
  return report;
}

/**
 * Runs `fn` until storage stops refusing this identity. The account takes no keys, so the
 * deployer's Storage Blob Data Contributor (access.bicep) is the only way in, and a new role
 * assignment can take minutes to apply.
 */
export async function whenStorageLetsIn<T>(
  fn: () => Promise<T>,
  opts: { attempts: number; delayMs: number; log: (line: string) => void },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 403) throw err;
      if (attempt >= opts.attempts) {
        throw new Error(
          'Storage still refuses this identity: it needs Storage Blob Data Contributor on the account, which ' +
            'access.bicep grants to AZURE_PRINCIPAL_ID (azd sets it; run azd provision again if it was empty). ' +
            'The account takes no keys.',
          { cause: err },
        );
      }
      opts.log(
        `  storage refused this identity (its role may still be applying): retry ${attempt}/${opts.attempts - 1}`,
      );
      await new Promise((r) => setTimeout(r, opts.delayMs));
    }
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = path.resolve(__dirname, '..', '..', '..');
  await deploy({ root, ...args, env: process.env, log: (line) => console.log(line) });
}

// Run as a program (node dist/deploy-tools/scripts/deploy.js), not when a test imports it.
if (typeof module !== 'undefined' && require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof AzureError ? err.message : err);
    process.exit(1);
  });
}
