/**
 * `npm start`: the app on plain Node, the way `func start` would run it, with a local stand-in
 * for each service that is not configured: Azurite for storage, the offline demo model
 * (dev/fake-upstream) for the LLM, the offline test checkout (dev/fake-stripe) for Stripe, the
 * offline Google and Microsoft sign-in (dev/fake-identity) for providers without a client id.
 * `startLocal` is the reusable part; `npm run start:offline` (dev/offline.ts) forces the fakes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startFakeIdentity, type FakeIdentity } from '../fake-identity/server';
import { createLocalCertificates } from '../fake-identity/tls';
import { startFakeStripe, type FakeStripe } from '../fake-stripe/server';
import { startFakeUpstream, type FakeUpstream } from '../fake-upstream/server';
import { freePorts, startAzurite, type AzuriteHandle } from './azurite';
import { startHost, type LocalHost, type StartHostOptions } from './host';
import type { LogFn } from './invoke';

/**
 * When startLocal runs the offline demo model, the offline test checkout and the offline sign-in:
 * - `auto` (default): the demo model when neither OPENROUTER_API_KEY nor OPENROUTER_BASE_URL is
 *   set, the test checkout when STRIPE_SECRET_KEY is not, the offline Google / Microsoft sign-in
 *   when GOOGLE_CLIENT_ID / MICROSOFT_CLIENT_ID is not (env or local.settings.json; '' = unset);
 * - `force`: all of them, whatever is configured (OPENROUTER_API_KEY is dropped), as start:offline does;
 * - `off`: neither, e.g. for tests that bring their own.
 */
export type OfflineMode = 'auto' | 'force' | 'off';

/** What `UPSTREAM_NAME` is set to (and /api/health reports) when the demo model answers. */
export const OFFLINE_UPSTREAM_NAME = 'offline-demo';
/** Play credit for new accounts with the demo model, unless SIGNUP_BONUS_CREDITS is set: US$1. */
export const OFFLINE_SIGNUP_BONUS_CREDITS = 100_000;
const OFFLINE_STRIPE_SECRET_KEY = 'sk_test_offline';
const OFFLINE_WEBHOOK_SECRET = 'whsec_offline';
/** The client the offline sign-in providers know the app as (not a secret: nothing real is behind it). */
export const OFFLINE_IDENTITY_CLIENT = {
  google: { id: 'offline-google-client', secret: 'offline-google-secret' },
  microsoft: { id: 'offline-microsoft-client', secret: 'offline-microsoft-secret' },
} as const;

export interface StartLocalOptions {
  /** Repo root (holds package.json, host.json, local.settings.json). Default: nearest package.json above this file. */
  root?: string;
  /** Default: env PORT, then local.settings.json Host.LocalHttpPort, then 7071. 0 = any free port. */
  port?: number;
  /**
   * Default `localhost` (env HOST overrides): 127.0.0.1 and ::1, so http://localhost:{port} works
   * however localhost resolves, without listening on every interface.
   */
  host?: string;
  /** Default: package.json `main`, resolved against root. */
  entry?: string;
  /** Loads the app instead of `require(entry)` (tests). */
  loadEntry?: () => unknown;
  /** The offline demo model and test checkout; see OfflineMode. Default `auto`. */
  offline?: OfflineMode;
  /**
   * Ports of the fakes. Default env FAKE_UPSTREAM_PORT || 7081, FAKE_STRIPE_PORT || 12111,
   * FAKE_GOOGLE_PORT || 7091, FAKE_MICROSOFT_PORT || 7092; 0 = any free.
   */
  offlinePorts?: { upstream?: number; stripe?: number; google?: number; microsoft?: number };
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
  /** The URL people should open: PUBLIC_BASE_URL, which defaults to http://localhost:{port}. */
  publicUrl: string;
  /** Set when this process started Azurite. */
  azurite?: AzuriteHandle;
  /** Set when the offline demo model answers chat (OPENROUTER_BASE_URL points at it). */
  upstream?: FakeUpstream;
  /** Set when the offline test checkout stands in for Stripe. */
  stripe?: FakeStripe;
  /** Set when the offline Google / Microsoft sign-in stands in for the real one. */
  google?: FakeIdentity;
  microsoft?: FakeIdentity;
  /** Human descriptions of what is in use, as the banner prints them. */
  storage: string;
  llm: string;
  checkout: string;
  signIn: string;
  /** Closes the host (appTerminate hooks included), then the fakes and Azurite. Idempotent. */
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

const isSet = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

function printBanner(log: LogFn, handles: Omit<LocalHandles, 'close'>, webDist: string): void {
  const { host, publicUrl } = handles;
  const width = Math.max(0, ...host.functions.map((f) => f.name.length));
  const bonus = process.env.SIGNUP_BONUS_CREDITS;
  const lines = [
    '',
    'GloriaMundo local host',
    `  Open:      ${publicUrl}`,
    `  Web app:   ${fs.existsSync(path.join(webDist, 'index.html')) ? webDist : `not built (${webDist} missing)`}`,
    `  Storage:   ${handles.storage}`,
    `  LLM:       ${handles.llm}`,
    `  Checkout:  ${handles.checkout}`,
    `  Sign-in:   ${handles.signIn}`,
    ...(handles.upstream && isSet(bonus) && Number(bonus) > 0
      ? [
          `  Credits:   new accounts start with ${bonus} credits (US$${(Number(bonus) / 100_000).toFixed(2)} of play money, SIGNUP_BONUS_CREDITS), so a paid model answers the first message`,
        ]
      : []),
    ...(host.durableHub &&
    host.functions.some((f) => /^(orchestration|activity)trigger$/i.test(f.triggerType))
      ? [
          `  Durable:   task hub ${host.durableHub}, state in the storage account (tables ${host.durableHub}Local*), API at ${publicUrl.replace(/\/+$/, '')}/runtime/webhooks/durabletask`,
        ]
      : []),
    `  Functions (${host.functions.length}):`,
    ...host.functions.map((f) => {
      const detail = f.problem
        ? `NOT RUNNING: ${f.problem}`
        : f.description.replace(/ \//, ` ${publicUrl.replace(/\/+$/, '')}/`);
      return `    ${f.name.padEnd(width)}  ${detail}`;
    }),
    '',
  ];
  log(lines.join('\n'));
}

interface Fakes {
  upstream?: FakeUpstream;
  stripe?: FakeStripe;
  google?: FakeIdentity;
  microsoft?: FakeIdentity;
  /** The throwaway CA and certificate of the Microsoft one, removed on close. */
  certDir?: string;
  llm: string;
  checkout: string;
  signIn: string;
}

async function listenOr<T>(start: () => Promise<T>, what: string, port: number, envName: string): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new Error(`Port ${port} for the ${what} is already in use (set ${envName} to use another)`);
    throw err;
  }
}

/** Starts the fakes the configuration calls for and points the app at them (process.env). */
async function startFakes(mode: OfflineMode, opts: StartLocalOptions, webhookUrl: string): Promise<Fakes> {
  const env = process.env;
  const fakes: Fakes = {
    llm: isSet(env.OPENROUTER_BASE_URL)
      ? `${env.OPENROUTER_BASE_URL} (OPENROUTER_BASE_URL)`
      : 'OpenRouter (https://openrouter.ai/api/v1)',
    checkout: isSet(env.STRIPE_SECRET_KEY)
      ? `Stripe${isSet(env.STRIPE_API_BASE_URL) ? ` at ${env.STRIPE_API_BASE_URL}` : ''} (STRIPE_SECRET_KEY)`
      : 'off (no STRIPE_SECRET_KEY)',
    signIn: 'email and password',
  };
  const wantUpstream =
    mode === 'force' ||
    (mode === 'auto' && !isSet(env.OPENROUTER_API_KEY) && !isSet(env.OPENROUTER_BASE_URL));
  const wantStripe = mode === 'force' || (mode === 'auto' && !isSet(env.STRIPE_SECRET_KEY));
  try {
    if (wantUpstream) {
      const port = opts.offlinePorts?.upstream ?? Number(env.FAKE_UPSTREAM_PORT || 7081);
      const upstream = await listenOr(
        () =>
          startFakeUpstream({
            port,
            // Slow enough that a person sees the reply stream in.
            chunkDelayMs: Number(env.CHUNK_DELAY_MS || 40),
          }),
        'offline demo model',
        port,
        'FAKE_UPSTREAM_PORT',
      );
      fakes.upstream = upstream;
      env.OPENROUTER_BASE_URL = upstream.url;
      env.UPSTREAM_NAME = OFFLINE_UPSTREAM_NAME;
      delete env.OPENROUTER_API_KEY;
      if (!isSet(env.SIGNUP_BONUS_CREDITS)) env.SIGNUP_BONUS_CREDITS = String(OFFLINE_SIGNUP_BONUS_CREDITS);
      fakes.llm = `offline demo model at ${upstream.url} (dev/fake-upstream; set OPENROUTER_API_KEY for real models)`;
    }
    if (wantStripe) {
      const port = opts.offlinePorts?.stripe ?? Number(env.FAKE_STRIPE_PORT || 12111);
      const stripe = await listenOr(
        () => startFakeStripe({ port, webhookUrl, webhookSecret: OFFLINE_WEBHOOK_SECRET }),
        'offline test checkout',
        port,
        'FAKE_STRIPE_PORT',
      );
      fakes.stripe = stripe;
      Object.assign(env, {
        STRIPE_SECRET_KEY: OFFLINE_STRIPE_SECRET_KEY,
        STRIPE_WEBHOOK_SECRET: OFFLINE_WEBHOOK_SECRET,
        STRIPE_API_BASE_URL: stripe.url,
      });
      fakes.checkout = `offline test checkout at ${stripe.url} (dev/fake-stripe; no real payments), webhooks to ${webhookUrl}`;
    }
    await startFakeSignIn(mode, opts, fakes);
  } catch (err) {
    await closeFakes(fakes);
    throw err;
  }
  return fakes;
}

/**
 * The offline Google and Microsoft sign-in (dev/fake-identity, with a consent page where a person
 * types who they are), each when its client id is not configured, so "Continue with Google" and
 * "Continue with Microsoft" can be tried with no account and no network. msal-node refuses an
 * `http:` authority, so the Microsoft one is HTTPS under a throwaway CA that the app is told to
 * trust (NODE_EXTRA_CA_CERTS, read when its client is built); without openssl it stays off.
 */
async function startFakeSignIn(mode: OfflineMode, opts: StartLocalOptions, fakes: Fakes): Promise<void> {
  const env = process.env;
  const want = (id: string | undefined) => mode === 'force' || (mode === 'auto' && !isSet(id));
  const names: string[] = [];
  if (want(env.GOOGLE_CLIENT_ID)) {
    const port = opts.offlinePorts?.google ?? Number(env.FAKE_GOOGLE_PORT || 7091);
    const google = await listenOr(
      () =>
        startFakeIdentity({
          kind: 'google',
          clientId: OFFLINE_IDENTITY_CLIENT.google.id,
          clientSecret: OFFLINE_IDENTITY_CLIENT.google.secret,
          port,
        }),
      'offline Google sign-in',
      port,
      'FAKE_GOOGLE_PORT',
    );
    fakes.google = google;
    Object.assign(env, {
      GOOGLE_CLIENT_ID: OFFLINE_IDENTITY_CLIENT.google.id,
      GOOGLE_CLIENT_SECRET: OFFLINE_IDENTITY_CLIENT.google.secret,
      GOOGLE_ISSUER: google.issuer,
    });
    names.push(`offline Google at ${google.url}`);
  } else if (isSet(env.GOOGLE_CLIENT_ID)) names.push('Google (GOOGLE_CLIENT_ID)');
  let microsoftNote = '';
  if (want(env.MICROSOFT_CLIENT_ID)) {
    let certs: ReturnType<typeof createLocalCertificates> | undefined;
    try {
      certs = createLocalCertificates();
    } catch {
      microsoftNote = ' (the offline Microsoft one needs openssl, which is not installed)';
    }
    if (certs) {
      fakes.certDir = path.dirname(certs.caFile);
      const port = opts.offlinePorts?.microsoft ?? Number(env.FAKE_MICROSOFT_PORT || 7092);
      const tls = certs;
      const microsoft = await listenOr(
        () =>
          startFakeIdentity({
            kind: 'microsoft',
            clientId: OFFLINE_IDENTITY_CLIENT.microsoft.id,
            clientSecret: OFFLINE_IDENTITY_CLIENT.microsoft.secret,
            port,
            tls,
          }),
        'offline Microsoft sign-in',
        port,
        'FAKE_MICROSOFT_PORT',
      );
      fakes.microsoft = microsoft;
      Object.assign(env, {
        MICROSOFT_CLIENT_ID: OFFLINE_IDENTITY_CLIENT.microsoft.id,
        MICROSOFT_CLIENT_SECRET: OFFLINE_IDENTITY_CLIENT.microsoft.secret,
        MICROSOFT_AUTHORITY: microsoft.issuer,
        NODE_EXTRA_CA_CERTS: withExtraCa(env.NODE_EXTRA_CA_CERTS, certs),
      });
      names.push(`offline Microsoft at ${microsoft.url}`);
    }
  } else if (isSet(env.MICROSOFT_CLIENT_ID)) names.push('Microsoft (MICROSOFT_CLIENT_ID)');
  const offline = fakes.google !== undefined || fakes.microsoft !== undefined;
  fakes.signIn =
    `email and password${names.length ? `; ${names.join(', ')}` : ''}${microsoftNote}` +
    (offline
      ? `\n             (dev/fake-identity: a consent page asks who signs in${fakes.microsoft ? '; the browser asks you to accept the Microsoft one’s certificate' : ''}; set GOOGLE_CLIENT_ID / MICROSOFT_CLIENT_ID for the real ones)`
      : '');
}

/** The CA file the app should trust: ours, plus any the environment named already. */
function withExtraCa(existing: string | undefined, certs: { caFile: string; caPem: string }): string {
  if (!isSet(existing) || !fs.existsSync(existing)) return certs.caFile;
  const both = path.join(path.dirname(certs.caFile), 'extra-ca.pem');
  fs.writeFileSync(both, `${fs.readFileSync(existing, 'utf8').trimEnd()}\n${certs.caPem}`);
  return both;
}

async function closeFakes(fakes: Partial<Fakes> | undefined): Promise<void> {
  await Promise.all([
    fakes?.upstream?.close(),
    fakes?.stripe?.close(),
    fakes?.google?.close(),
    fakes?.microsoft?.close(),
  ]);
  if (fakes?.certDir) fs.rmSync(fakes.certDir, { recursive: true, force: true });
}

export async function startLocal(options: StartLocalOptions = {}): Promise<LocalHandles> {
  const log: LogFn = options.log ?? ((line) => console.log(line));
  const root = options.root ?? findRepoRoot();
  const localSettings = loadLocalSettings(root);

  const envPort = isSet(process.env.PORT) ? Number(process.env.PORT) : undefined;
  const settingsPort = Number(localSettings?.Host?.LocalHttpPort) || undefined;
  let port = options.port ?? envPort ?? settingsPort ?? 7071;
  // The app and the fakes need the URL before the host listens, so "any free port" is chosen now.
  if (port === 0) [port = 0] = await freePorts(1);
  const bindHost = options.host ?? (isSet(process.env.HOST) ? process.env.HOST : 'localhost');
  // One origin: the app's redirects, the Stripe fake's return URLs and the banner all use it.
  if (!isSet(process.env.PUBLIC_BASE_URL)) process.env.PUBLIC_BASE_URL = `http://localhost:${port}`;
  const publicUrl = process.env.PUBLIC_BASE_URL;
  // Server to server, the webhook goes straight to the host, whatever the public URL is.
  const directHost = ['localhost', '0.0.0.0', '::'].includes(bindHost.toLowerCase())
    ? '127.0.0.1'
    : bindHost.includes(':')
      ? `[${bindHost}]`
      : bindHost;
  const webhookUrl = `http://${directHost}:${port}/api/billing/webhook`;

  let azurite: AzuriteHandle | undefined;
  let fakes: Fakes | undefined;
  let host: LocalHost;
  let storage: string;
  const entry = options.loadEntry ? undefined : resolveEntry(root, options.entry);
  const webDist = options.webDist ?? path.join(root, 'web', 'dist');
  try {
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
    fakes = await startFakes(options.offline ?? 'auto', options, webhookUrl);

    host = await startHost({
      ...options.hostOptions,
      loadEntry:
        options.loadEntry ??
        (() => {
          if (!entry || !fs.existsSync(entry))
            throw new Error(`Entry file ${entry} not found; run \`npm run build\` first`);
          // Plain require on purpose: the entry is CommonJS and must load after startHost installed the shim.
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          return require(entry) as unknown;
        }),
      port,
      host: bindHost,
      hostJsonPath: path.join(root, 'host.json'),
      webDist,
      log,
    });
  } catch (err) {
    await closeFakes(fakes);
    await azurite?.stop();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const handles: LocalHandles = {
    host,
    publicUrl,
    azurite,
    upstream: fakes.upstream,
    stripe: fakes.stripe,
    google: fakes.google,
    microsoft: fakes.microsoft,
    storage,
    llm: fakes.llm,
    checkout: fakes.checkout,
    signIn: fakes.signIn,
    close: () =>
      (closing ??= (async () => {
        await host.close();
        await closeFakes(fakes);
        await azurite?.stop();
      })()),
  };
  if (options.banner !== false) printBanner(log, handles, webDist);
  return handles;
}

function resolveEntry(root: string, entry: string | undefined): string {
  if (entry) return path.resolve(root, entry);
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main?: string };
  return path.resolve(root, pkg.main ?? 'dist/functions/index.js');
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
