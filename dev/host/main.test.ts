/**
 * startLocal, as `npm start` runs it: with nothing configured it starts the offline demo model
 * and the offline test checkout, points the app at them and prints the one URL to open.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  OFFLINE_IDENTITY_CLIENT,
  OFFLINE_SIGNUP_BONUS_CREDITS,
  OFFLINE_UPSTREAM_NAME,
  startLocal,
  type LocalHandles,
  type StartLocalOptions,
} from './main';

const KEYS = [
  'OPENROUTER_API_KEY',
  'OPENROUTER_BASE_URL',
  'UPSTREAM_NAME',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_API_BASE_URL',
  'SIGNUP_BONUS_CREDITS',
  'PUBLIC_BASE_URL',
  'PORT',
  'HOST',
  'AzureWebJobsStorage',
  'GOOGLE_CLIENT_ID',
  'GOOGLE_CLIENT_SECRET',
  'GOOGLE_ISSUER',
  'MICROSOFT_CLIENT_ID',
  'MICROSOFT_CLIENT_SECRET',
  'MICROSOFT_AUTHORITY',
  'NODE_EXTRA_CA_CERTS',
];
let saved: Record<string, string | undefined>;
let root: string;
let local: LocalHandles | undefined;
let lines: string[];

beforeEach(() => {
  saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
  for (const k of KEYS) delete process.env[k];
  // Storage is not what these tests are about: a configured account means no Azurite.
  process.env.AzureWebJobsStorage = 'DefaultEndpointsProtocol=http;AccountName=unused;AccountKey=dW51c2Vk';
  // A root without local.settings.json, so a developer's own settings cannot leak in.
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-local-'));
  fs.copyFileSync(path.resolve(__dirname, '../../host.json'), path.join(root, 'host.json'));
  lines = [];
});

afterEach(async () => {
  await local?.close();
  local = undefined;
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

function start(extra: Partial<StartLocalOptions> = {}): Promise<LocalHandles> {
  return startLocal({
    root,
    port: 0,
    webDist: path.join(root, 'no-web'),
    loadEntry: () => import('./fixtures/plain-app.js'),
    offlinePorts: { upstream: 0, stripe: 0, google: 0, microsoft: 0 },
    log: (line) => lines.push(line),
    ...extra,
  });
}

const banner = (): string => lines.join('\n');

describe('npm start with nothing configured', () => {
  it('runs the offline demo model and test checkout and points the app at them', async () => {
    local = await start();
    const { upstream, stripe, host } = local;
    expect(upstream).toBeDefined();
    expect(stripe).toBeDefined();
    expect(process.env.OPENROUTER_BASE_URL).toBe(upstream!.url);
    expect(process.env.UPSTREAM_NAME).toBe(OFFLINE_UPSTREAM_NAME);
    expect(process.env.OPENROUTER_API_KEY).toBeUndefined();
    expect(process.env.SIGNUP_BONUS_CREDITS).toBe(String(OFFLINE_SIGNUP_BONUS_CREDITS));
    expect(process.env.STRIPE_SECRET_KEY).toMatch(/^sk_test_/);
    expect(process.env.STRIPE_WEBHOOK_SECRET).toMatch(/^whsec_/);
    expect(process.env.STRIPE_API_BASE_URL).toBe(stripe!.url);

    // One origin, set before the app loaded, and it works through `localhost`.
    expect(process.env.PUBLIC_BASE_URL).toBe(`http://localhost:${host.port}`);
    expect(local.publicUrl).toBe(process.env.PUBLIC_BASE_URL);
    expect((await fetch(`${local.publicUrl}/api/tag`)).status).toBe(200);

    // The fake Stripe's webhooks reach this host (the fixture has no webhook function: a JSON 404).
    const delivery = await stripe!.send({ id: 'evt_test', object: 'event', type: 'ping' });
    expect(delivery.status).toBe(404);
    expect(delivery.responseBody).toContain('/api/billing/webhook');

    const models = await fetch(`${upstream!.url}/models`);
    expect(models.status).toBe(200);

    expect(banner()).toContain(`Open:      http://localhost:${host.port}\n`);
    expect(banner()).toContain(`offline demo model at ${upstream!.url}`);
    expect(banner()).toContain(`offline test checkout at ${stripe!.url}`);
    expect(banner()).toContain('US$1.00 of play money');
  });

  it('runs the offline Google and Microsoft sign-in with a consent page, and points the app at them', async () => {
    local = await start();
    const { google, microsoft } = local;
    expect(process.env.GOOGLE_CLIENT_ID).toBe(OFFLINE_IDENTITY_CLIENT.google.id);
    expect(process.env.GOOGLE_CLIENT_SECRET).toBe(OFFLINE_IDENTITY_CLIENT.google.secret);
    expect(process.env.GOOGLE_ISSUER).toBe(google!.issuer);
    expect(process.env.MICROSOFT_CLIENT_ID).toBe(OFFLINE_IDENTITY_CLIENT.microsoft.id);
    expect(process.env.MICROSOFT_AUTHORITY).toBe(microsoft!.issuer);

    // What the app's Google client discovers, and the page a person lands on to say who they are.
    const discovery = (await (
      await fetch(`${process.env.GOOGLE_ISSUER}/.well-known/openid-configuration`)
    ).json()) as { issuer: string; authorization_endpoint: string };
    expect(discovery.issuer).toBe(google!.issuer);
    const authorize = new URL(discovery.authorization_endpoint);
    authorize.search = new URLSearchParams({
      client_id: OFFLINE_IDENTITY_CLIENT.google.id,
      redirect_uri: `${local.publicUrl}/api/auth/google/callback`,
      response_type: 'code',
      scope: 'openid email profile',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    }).toString();
    const consent = await fetch(authorize);
    expect(consent.status).toBe(200);
    expect(await consent.text()).toContain('Sign in with the offline Google provider');

    // The Microsoft one is HTTPS under a CA made at start, which the app is told to trust.
    const ca = fs.readFileSync(process.env.NODE_EXTRA_CA_CERTS!, 'utf8');
    expect(ca).toContain('BEGIN CERTIFICATE');
    expect(microsoft!.url).toMatch(/^https:\/\/localhost:\d+$/);

    expect(banner()).toContain(
      `Sign-in:   email and password; offline Google at ${google!.url}, offline Microsoft at ${microsoft!.url}\n`,
    );
    expect(banner()).toContain('dev/fake-identity: a consent page asks who signs in');
  });

  it('closes the fakes on shutdown', async () => {
    local = await start();
    const { upstream, stripe, google } = local;
    const ca = process.env.NODE_EXTRA_CA_CERTS!;
    await local.close();
    expect(fs.existsSync(ca)).toBe(false);
    await expect(fetch(`${upstream!.url}/models`)).rejects.toThrow();
    await expect(fetch(`${stripe!.url}/v1/checkout/sessions`)).rejects.toThrow();
    await expect(fetch(`${google!.url}/.well-known/openid-configuration`)).rejects.toThrow();
  });

  it('keeps a SIGNUP_BONUS_CREDITS that is set, even to 0', async () => {
    process.env.SIGNUP_BONUS_CREDITS = '0';
    local = await start();
    expect(process.env.SIGNUP_BONUS_CREDITS).toBe('0');
    expect(banner()).not.toContain('play money');
  });
});

describe('npm start with keys', () => {
  it('uses what is configured, starts no fake, and prints PUBLIC_BASE_URL as set', async () => {
    process.env.OPENROUTER_API_KEY = 'sk-or-test';
    process.env.STRIPE_SECRET_KEY = 'sk_test_real';
    process.env.PUBLIC_BASE_URL = 'https://chat.example.test';
    process.env.GOOGLE_CLIENT_ID = 'real-google-client';
    process.env.MICROSOFT_CLIENT_ID = 'real-microsoft-client';
    local = await start();
    expect(local.upstream).toBeUndefined();
    expect(local.stripe).toBeUndefined();
    expect(local.google).toBeUndefined();
    expect(local.microsoft).toBeUndefined();
    expect(process.env.GOOGLE_ISSUER).toBeUndefined();
    expect(banner()).toContain(
      'Sign-in:   email and password; Google (GOOGLE_CLIENT_ID), Microsoft (MICROSOFT_CLIENT_ID)\n',
    );
    expect(process.env.OPENROUTER_API_KEY).toBe('sk-or-test');
    expect(process.env.UPSTREAM_NAME).toBeUndefined();
    expect(process.env.SIGNUP_BONUS_CREDITS).toBeUndefined();
    expect(process.env.PUBLIC_BASE_URL).toBe('https://chat.example.test');
    expect(banner()).toContain('Open:      https://chat.example.test\n');
    expect(banner()).toContain('OpenRouter (https://openrouter.ai/api/v1)');
    expect(banner()).toContain('Checkout:  Stripe (STRIPE_SECRET_KEY)');
  });

  it('counts an OPENROUTER_BASE_URL of your own as configured', async () => {
    process.env.OPENROUTER_BASE_URL = 'http://127.0.0.1:11434/v1';
    local = await start({ offline: 'auto' });
    expect(local.upstream).toBeUndefined();
    expect(local.stripe).toBeDefined();
    expect(banner()).toContain('LLM:       http://127.0.0.1:11434/v1 (OPENROUTER_BASE_URL)');
  });

  it("offline: 'force' (start:offline) uses both fakes anyway and drops the key", async () => {
    process.env.OPENROUTER_API_KEY = 'sk-or-test';
    process.env.STRIPE_SECRET_KEY = 'sk_test_real';
    local = await start({ offline: 'force' });
    expect(process.env.OPENROUTER_API_KEY).toBeUndefined();
    expect(process.env.OPENROUTER_BASE_URL).toBe(local.upstream!.url);
    expect(process.env.STRIPE_SECRET_KEY).toBe('sk_test_offline');
  });

  it('a configured Google client id keeps the real Google; Microsoft, unconfigured, is the offline one', async () => {
    process.env.GOOGLE_CLIENT_ID = 'real-google-client';
    local = await start();
    expect(local.google).toBeUndefined();
    expect(process.env.GOOGLE_CLIENT_ID).toBe('real-google-client');
    expect(local.microsoft).toBeDefined();
    expect(process.env.MICROSOFT_AUTHORITY).toBe(local.microsoft!.issuer);
  });

  it("offline: 'off' starts no fake even with nothing configured", async () => {
    local = await start({ offline: 'off' });
    expect(local.upstream).toBeUndefined();
    expect(local.stripe).toBeUndefined();
    expect(local.google).toBeUndefined();
    expect(local.microsoft).toBeUndefined();
    expect(banner()).toContain('Sign-in:   email and password\n');
    expect(process.env.OPENROUTER_BASE_URL).toBeUndefined();
    expect(banner()).toContain('Checkout:  off (no STRIPE_SECRET_KEY)');
  });
});
