/**
 * `npm start`: the app on plain Node, with Azurite for storage, the way `func start` would run it.
 * `startLocal` is the reusable part (dev/offline.ts starts its fakes first, then calls it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { startAzurite, type AzuriteHandle } from './azurite';
import { startHost, type LocalHost, type StartHostOptions } from './host';
import type { LogFn } from './invoke';

export interface StartLocalOptions {
  /** Repo root (holds package.json, host.json, local.settings.json). Default: nearest package.json above this file. */
  root?: string;
  /** Default: env PORT, then local.settings.json Host.LocalHttpPort, then 7071. 0 = any free port. */
  port?: number;
  /** Default 127.0.0.1 (env HOST overrides). */
  host?: string;
  /** Default: package.json `main`, resolved against root. */
  entry?: string;
  /** Default `<root>/web/dist`. */
  webDist?: string;
  /** Azurite storage when AzureWebJobsStorage is unset or UseDevelopmentStorage=true. Default: persisted in `<root>/.data/azurite`. */
  azurite?: { inMemory?: boolean; location?: string };
  log?: LogFn;
  /** Print the startup banner (default true). */
  banner?: boolean;
  /** Passed through to startHost (queue timings, extra adapters, ...). */
  hostOptions?: Omit<StartHostOptions, 'loadEntry' | 'port' | 'host' | 'webDist' | 'log' | 'hostJsonPath'>;
}

export interface LocalHandles {
  host: LocalHost;
  /** Set when this process started Azurite. */
  azurite?: AzuriteHandle;
  /** Human description of the storage in use. */
  storage: string;
  /** Closes the host (appTerminate hooks included), then Azurite. Idempotent. */
  close(): Promise<void>;
}

export function findRepoRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`No package.json found above ${from}`);
  }
}

interface LocalSettings {
  Values?: Record<string, unknown>;
  Host?: { LocalHttpPort?: unknown };
}

/** Mirrors Core Tools: local.settings.json `Values` become env vars, but real env vars win. */
export function loadLocalSettings(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
): LocalSettings | undefined {
  const file = path.join(root, 'local.settings.json');
  if (!fs.existsSync(file)) return undefined;
  let parsed: LocalSettings;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as LocalSettings;
  } catch (err) {
    throw new Error(`Cannot parse ${file}: ${(err as Error).message}`);
  }
  for (const [key, value] of Object.entries(parsed.Values ?? {})) {
    if (env[key] === undefined && value !== undefined && value !== null) {
      env[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  return parsed;
}

function needsAzurite(value: string | undefined): boolean {
  return (
    value === undefined || value.trim() === '' || value.trim().toLowerCase() === 'usedevelopmentstorage=true'
  );
}

function printBanner(log: LogFn, handles: Omit<LocalHandles, 'close'>, webDist: string): void {
  const { host } = handles;
  const width = Math.max(0, ...host.functions.map((f) => f.name.length));
  const lines = [
    '',
    'GloriaMundo local host',
    `  URL:       ${host.url}`,
    `  Web app:   ${fs.existsSync(path.join(webDist, 'index.html')) ? webDist : `not built (${webDist} missing)`}`,
    `  Storage:   ${handles.storage}`,
    `  Functions (${host.functions.length}):`,
    ...host.functions.map((f) => {
      const detail = f.problem ? `NOT RUNNING: ${f.problem}` : f.description.replace(/ \//, ` ${host.url}/`);
      return `    ${f.name.padEnd(width)}  ${detail}`;
    }),
    '',
  ];
  log(lines.join('\n'));
}

export async function startLocal(options: StartLocalOptions = {}): Promise<LocalHandles> {
  const log: LogFn = options.log ?? ((line) => console.log(line));
  const root = options.root ?? findRepoRoot();
  const localSettings = loadLocalSettings(root);

  let azurite: AzuriteHandle | undefined;
  let storage: string;
  if (needsAzurite(process.env.AzureWebJobsStorage)) {
    const inMemory = options.azurite?.inMemory === true;
    // DATA_DIR is the app's own setting for where embedded state lives; Azurite's files go beside PGlite's.
    const location =
      options.azurite?.location ?? path.resolve(root, process.env.DATA_DIR || '.data', 'azurite');
    azurite = await startAzurite(inMemory ? { inMemory: true } : { location });
    process.env.AzureWebJobsStorage = azurite.connectionString;
    storage = `Azurite ${inMemory ? '(in memory)' : `(persisted in ${path.relative(root, location) || location})`}, queues on 127.0.0.1:${azurite.queuePort}, blobs on 127.0.0.1:${azurite.blobPort}`;
  } else {
    storage = 'AzureWebJobsStorage from the environment';
  }

  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main?: string };
  const entry = path.resolve(root, options.entry ?? pkg.main ?? 'dist/functions/index.js');
  const webDist = options.webDist ?? path.join(root, 'web', 'dist');
  const envPort = process.env.PORT ? Number(process.env.PORT) : undefined;
  const settingsPort = Number(localSettings?.Host?.LocalHttpPort) || undefined;

  let host: LocalHost;
  try {
    host = await startHost({
      ...options.hostOptions,
      loadEntry: () => {
        if (!fs.existsSync(entry))
          throw new Error(`Entry file ${entry} not found; run \`npm run build\` first`);
        // Plain require on purpose: the entry is CommonJS and must load after startHost installed the shim.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(entry) as unknown;
      },
      port: options.port ?? envPort ?? settingsPort ?? 7071,
      host: options.host ?? process.env.HOST ?? '127.0.0.1',
      hostJsonPath: path.join(root, 'host.json'),
      webDist,
      log,
    });
  } catch (err) {
    await azurite?.stop();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const handles: LocalHandles = {
    host,
    azurite,
    storage,
    close: () =>
      (closing ??= (async () => {
        await host.close();
        await azurite?.stop();
      })()),
  };
  if (options.banner !== false) printBanner(log, handles, webDist);
  return handles;
}

/** Ctrl-C once: graceful shutdown. Twice: exit now. */
export function closeOnSignals(close: () => Promise<void>, log: LogFn = (l) => console.log(l)): void {
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      log(`[host] ${signal} again; exiting immediately`);
      process.exit(1);
    }
    shuttingDown = true;
    log(`[host] ${signal}: shutting down…`);
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('[host] error during shutdown', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

async function main(): Promise<void> {
  const handles = await startLocal();
  closeOnSignals(() => handles.close());
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  });
}
