import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLocalCertificates } from '../../dev/fake-identity/tls';
import {
  startFakeIdentity,
  FAKE_TENANT_ID,
  type FakeIdentity,
  type FakeUser,
} from '../../dev/fake-identity/server';
import { jsonHttp, signInCertificateAuthorities, type JsonHttp } from '../../shared/auth/providers/net';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

const CLIENT = { google: 'google-client.apps.example', microsoft: '6f1c2d3e-aaaa-bbbb-cccc-000000000001' };
const SECRET = { google: 'google-secret', microsoft: 'microsoft-secret' };
type Provider = 'google' | 'microsoft';

let stack: Stack;
let fakes: Record<Provider, FakeIdentity>;
/** Requests to the offline providers, trusting the local CA (the Microsoft one is HTTPS). */
let toProvider: JsonHttp;
let savedCaEnv: string | undefined;

beforeAll(async () => {
  const certs = createLocalCertificates();
  // How the app is told to trust the local CA (DESIGN §10); its provider client reads it when built.
  savedCaEnv = process.env.NODE_EXTRA_CA_CERTS;
  process.env.NODE_EXTRA_CA_CERTS = certs.caFile;
  toProvider = jsonHttp(signInCertificateAuthorities(certs.caFile));
  const [google, microsoft] = await Promise.all([
    startFakeIdentity({ kind: 'google', clientId: CLIENT.google, clientSecret: SECRET.google }),
    startFakeIdentity({
      kind: 'microsoft',
      clientId: CLIENT.microsoft,
      clientSecret: SECRET.microsoft,
      tls: { key: certs.key, cert: certs.cert },
    }),
  ]);
  fakes = { google, microsoft };
  stack = await startStack({
    env: {
      GOOGLE_CLIENT_ID: CLIENT.google,
      GOOGLE_CLIENT_SECRET: SECRET.google,
      GOOGLE_ISSUER: google.issuer,
      MICROSOFT_CLIENT_ID: CLIENT.microsoft,
      MICROSOFT_CLIENT_SECRET: SECRET.microsoft,
      MICROSOFT_AUTHORITY: microsoft.issuer,
    },
  });
});

afterAll(async () => {
  await stack?.close();
  await Promise.all([fakes?.google.close(), fakes?.microsoft.close()]);
  if (savedCaEnv === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
  else process.env.NODE_EXTRA_CA_CERTS = savedCaEnv;
});

beforeEach(() => {
  for (const f of Object.values(fakes)) {
    f.tamper = {};
    f.deny = false;
    f.user = undefined;
  }
});

/** A browser as far as sign-in goes: a cookie jar for the app, redirects followed by hand. */
class Browser {
  readonly cookies = new Map<string, string>();
  readonly setCookies: string[] = [];

  async get(path: string): Promise<{ status: number; location: string | null; body: string }> {
    const url = path.startsWith('http') ? path : `${stack.url}${path}`;
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    for (const c of res.headers.getSetCookie()) {
      this.setCookies.push(c);
      const [pair = '', ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (!value || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, location: res.headers.get('location'), body: await res.text() };
  }

  /** An API client on this browser's session. */
  async api(): Promise<ApiClient> {
    const c = new ApiClient(stack.url);
    const session = this.cookies.get('gm_session');
    if (session) c.cookie = `gm_session=${session}`;
    const s = await c.get('/api/auth/session');
    if (s.status === 200) c.csrf = s.body.csrfToken;
    return c;
  }
}

/** The provider's redirect back to us, as the fake answers the authorization URL. */
async function authorizeAt(url: string): Promise<string> {
  const res = await toProvider(url);
  expect(res.status).toBe(302);
  return res.headers.location!;
}

interface Round {
  start: { status: number; location: string | null };
  authorizeUrl: URL;
  callbackUrl: string;
  end: { status: number; location: string | null; body: string };
}

/** One sign-in from the button to the landing page. `user` is who approves at the provider. */
async function signIn(
  browser: Browser,
  provider: Provider,
  user: FakeUser | undefined,
  opts: { returnTo?: string; editCallback?: (u: URL) => void } = {},
): Promise<Round> {
  fakes[provider].user = user;
  const qs = opts.returnTo !== undefined ? `?returnTo=${encodeURIComponent(opts.returnTo)}` : '';
  const start = await browser.get(`/api/auth/${provider}${qs}`);
  expect(start.status).toBe(302);
  const authorizeUrl = new URL(start.location!);
  const back = new URL(await authorizeAt(authorizeUrl.toString()));
  opts.editCallback?.(back);
  const callbackUrl = back.toString();
  const end = await browser.get(callbackUrl);
  return { start, authorizeUrl, callbackUrl, end };
}

const person = (tag: string, over: Partial<FakeUser> = {}): FakeUser => {
  const id = `${tag}-${Math.random().toString(36).slice(2, 10)}`;
  return {
    sub: `sub-${id}`,
    email: `${id}@example.com`,
    email_verified: true,
    name: `Person ${tag}`,
    ...over,
  };
};

const identityRows = (userId: string) =>
  stack.db.many<{ provider: string; subject: string }>(
    `SELECT provider, subject FROM identities WHERE user_id = $1 ORDER BY provider`,
    [userId],
  );

describe('provider list', () => {
  it('lists the configured providers beside the password, with no session needed', async () => {
    const res = await new ApiClient(stack.url).get('/api/auth/providers');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      password: true,
      providers: [
        { id: 'google', name: 'Google' },
        { id: 'microsoft', name: 'Microsoft' },
      ],
    });
  });
});

describe.each(['google', 'microsoft'] as const)('%s sign-in', (provider) => {
  it('round trip: authorization code with state, nonce and PKCE, lands on returnTo signed in', async () => {
    const browser = new Browser();
    const user = person(provider);
    const round = await signIn(browser, provider, user, { returnTo: '/c/abc?tab=1#end' });

    const q = round.authorizeUrl.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe(CLIENT[provider]);
    expect(q.get('redirect_uri')).toBe(`${stack.url}/api/auth/${provider}/callback`);
    expect(q.get('scope')!.split(' ')).toEqual(expect.arrayContaining(['openid', 'email', 'profile']));
    expect(q.get('state')).toMatch(/^[\w-]{32,}$/);
    expect(q.get('nonce')).toMatch(/^[\w-]{32,}$/);
    expect(q.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(q.get('code_challenge_method')).toBe('S256');
    // The verifier never leaves the server; the binding cookie is HttpOnly, short-lived, for /api/auth.
    const binding = browser.setCookies.find((c) => c.startsWith('gm_oauth='))!;
    expect(binding).toMatch(/HttpOnly/i);
    expect(binding).toMatch(/SameSite=Lax/i);
    expect(binding).toMatch(/Path=\/api\/auth/i);
    expect(binding).toMatch(/Max-Age=600/i);

    expect(round.end.status).toBe(302);
    expect(round.end.location).toBe('/c/abc?tab=1#end');
    expect(browser.cookies.has('gm_oauth')).toBe(false);
    const api = await browser.api();
    const session = await api.get('/api/auth/session');
    expect(session.status).toBe(200);
    expect(session.body.user).toMatchObject({ email: user.email, name: user.name, identities: [provider] });

    const rows = await identityRows(session.body.user.id);
    const tid = user.tid ?? FAKE_TENANT_ID;
    expect(rows).toEqual([
      { provider, subject: provider === 'microsoft' ? expect.stringMatching(`^${tid}:`) : user.sub },
    ]);

    // Signing in again with the same provider account finds the same account.
    const again = new Browser();
    await signIn(again, provider, user);
    expect((await (await again.api()).get('/api/auth/session')).body.user.id).toBe(session.body.user.id);
  });

  it('a tampered or missing state, or a callback without the binding cookie → state_mismatch, no session', async () => {
    const tampered = new Browser();
    const a = await signIn(tampered, provider, person('st'), {
      editCallback: (u) => u.searchParams.set('state', 'x'),
    });
    expect(a.end.location).toBe('/?authError=state_mismatch');
    expect(tampered.cookies.has('gm_session')).toBe(false);

    const missing = new Browser();
    const b = await signIn(missing, provider, person('st'), {
      editCallback: (u) => u.searchParams.delete('state'),
    });
    expect(b.end.location).toBe('/?authError=state_mismatch');
    expect(missing.cookies.has('gm_session')).toBe(false);

    // The attacker's own code and state, planted in a victim's browser (login CSRF): no cookie, no session.
    const attacker = new Browser();
    fakes[provider].user = person('attacker');
    const start = await attacker.get(`/api/auth/${provider}`);
    const planted = await authorizeAt(start.location!);
    const victim = new Browser();
    const c = await victim.get(planted);
    expect(c.location).toBe('/?authError=state_mismatch');
    expect(victim.cookies.has('gm_session')).toBe(false);
  });

  it('a replayed callback or a code redeemed twice fails, with no session', async () => {
    const browser = new Browser();
    const first = await signIn(browser, provider, person('replay'));
    expect(first.end.location).toBe('/');
    // The same callback again (the flow was used up):
    const replayer = new Browser();
    for (const [k, v] of browser.cookies) if (k === 'gm_oauth') replayer.cookies.set(k, v);
    expect((await replayer.get(first.callbackUrl)).location).toBe('/?authError=state_mismatch');
    // The old code with a fresh flow's state and cookie: the provider refuses it.
    const thief = new Browser();
    const code = new URL(first.callbackUrl).searchParams.get('code')!;
    const second = await signIn(thief, provider, person('replay2'), {
      editCallback: (u) => u.searchParams.set('code', code),
    });
    expect(second.end.location).toBe('/?authError=invalid_token');
    expect(thief.cookies.has('gm_session')).toBe(false);
    expect(fakes[provider].tokenRequests.some((r) => r.code === code && r.error === 'invalid_grant')).toBe(
      true,
    );
  });

  it.each([
    ['a wrong nonce', { nonce: 'not-the-nonce' }],
    ['a token signed by another key', { signWithOtherKey: true }],
    ['a token for another audience', { audience: 'someone-else' }],
    ['a token from another issuer', { issuer: 'https://issuer.invalid' }],
    ['an expired token', { expiresInSeconds: -3600 }],
  ])('%s → invalid_token, no session', async (_label, tamper) => {
    fakes[provider].tamper = tamper;
    const browser = new Browser();
    const round = await signIn(browser, provider, person('bad'));
    expect(round.end.location).toBe('/?authError=invalid_token');
    expect(browser.cookies.has('gm_session')).toBe(false);
  });

  it('cancelling at the provider → denied', async () => {
    fakes[provider].deny = true;
    const browser = new Browser();
    const start = await browser.get(`/api/auth/${provider}`);
    const back = await authorizeAt(start.location!);
    expect(new URL(back).searchParams.get('error')).toBe('access_denied');
    expect((await browser.get(back)).location).toBe('/?authError=denied');
    expect(browser.cookies.has('gm_session')).toBe(false);
  });

  it('an unverified email does not take over the password account that has it', async () => {
    const owner = new ApiClient(stack.url);
    const { user } = await owner.register(`victim-${provider}-${Date.now()}@example.com`, 'owner password');
    const browser = new Browser();
    const round = await signIn(
      browser,
      provider,
      person('squat', { email: user.email, email_verified: false }),
    );
    expect(round.end.location).toBe('/?authError=email_unverified');
    expect(browser.cookies.has('gm_session')).toBe(false);
    expect(await identityRows(user.id)).toEqual([]);
    // An unverified email makes no new account either.
    const stranger = new Browser();
    const alone = await signIn(stranger, provider, person('alone', { email_verified: false }));
    expect(alone.end.location).toBe('/?authError=email_unverified');
    const login = await new ApiClient(stack.url).post('/api/auth/login', {
      email: user.email,
      password: 'owner password',
    });
    expect(login.status).toBe(200);
    expect(login.body.user.identities).toEqual(['password']);
  });

  it('a verified email links to the password account that has it', async () => {
    const owner = new ApiClient(stack.url);
    const { user } = await owner.register(`owner-${provider}-${Date.now()}@example.com`, 'owner password');
    const browser = new Browser();
    const round = await signIn(browser, provider, person('owner', { email: user.email.toUpperCase() }));
    expect(round.end.location).toBe('/');
    const session = await (await browser.api()).get('/api/auth/session');
    expect(session.body.user.id).toBe(user.id);
    expect(session.body.user.identities).toEqual(['password', provider]);
  });
});

describe('returnTo', () => {
  it.each([
    'https://evil.example/steal',
    '//evil.example/x',
    '/\\evil.example',
    'javascript:alert(1)',
    'c/relative',
  ])('ignores %s and lands on /', async (returnTo) => {
    const browser = new Browser();
    const round = await signIn(browser, 'google', person('redirect'), { returnTo });
    expect(round.end.location).toBe('/');
    expect(browser.cookies.has('gm_session')).toBe(true);
  });
});

describe('linking from a signed-in session', () => {
  it('links the provider account to the current account whatever its email, keeping the session', async () => {
    const owner = new ApiClient(stack.url);
    const { user } = await owner.register(`linker-${Date.now()}@example.com`, 'owner password');
    const browser = new Browser();
    browser.cookies.set('gm_session', owner.cookie!.split('=')[1]!);
    const work = person('work', { email: `someone.else-${Date.now()}@corp.example`, email_verified: false });
    const round = await signIn(browser, 'microsoft', work, { returnTo: '/usage' });
    expect(round.end.location).toBe('/usage');
    // No new session: the one that asked is kept.
    expect(browser.setCookies.some((c) => c.startsWith('gm_session='))).toBe(false);
    const me = await owner.get('/api/auth/session');
    expect(me.body.user.identities).toEqual(['password', 'microsoft']);

    // Signed out, that Microsoft account now signs in to the linked account.
    const later = new Browser();
    await signIn(later, 'microsoft', work);
    expect((await (await later.api()).get('/api/auth/session')).body.user.id).toBe(user.id);

    // A provider account that belongs to another account stays there.
    const other = new ApiClient(stack.url);
    await other.register();
    const otherBrowser = new Browser();
    otherBrowser.cookies.set('gm_session', other.cookie!.split('=')[1]!);
    // (A link's failure goes back to the page it started from, signed in.)
    const taken = await signIn(otherBrowser, 'microsoft', work, { returnTo: '/usage' });
    expect(taken.end.location).toBe('/usage?authError=already_linked');
    expect((await other.get('/api/auth/session')).body.user.identities).toEqual(['password']);
  });
});

describe('accounts without a password', () => {
  it('can set one (no current password asked), then changing it asks for it and signs out other sessions', async () => {
    const browser = new Browser();
    const user = person('nopw');
    await signIn(browser, 'google', user);
    const api = await browser.api();
    expect((await api.get('/api/auth/session')).body.user.identities).toEqual(['google']);

    expect((await api.post('/api/auth/password', { newPassword: 'first password' })).status).toBe(204);
    const login = new ApiClient(stack.url);
    expect(
      (await login.post('/api/auth/login', { email: user.email, password: 'first password' })).status,
    ).toBe(200);
    expect((await api.get('/api/auth/session')).body.user.identities).toEqual(['password', 'google']);

    const noCurrent = await api.post('/api/auth/password', { newPassword: 'second password' });
    expect(noCurrent.status).toBe(400);
    const wrong = await api.post('/api/auth/password', {
      currentPassword: 'nope',
      newPassword: 'second password',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    const changed = await api.post('/api/auth/password', {
      currentPassword: 'first password',
      newPassword: 'second password',
    });
    expect(changed.status).toBe(204);
    expect((await api.get('/api/auth/session')).status).toBe(200);
    expect((await login.get('/api/auth/session')).status).toBe(401);
  });

  it('can be deleted without a password; one with a password needs it', async () => {
    const browser = new Browser();
    const user = person('delete');
    await signIn(browser, 'google', user);
    const api = await browser.api();
    const id = (await api.get('/api/auth/session')).body.user.id as string;
    await api.post('/api/conversations', { title: 'to be deleted' });

    const gone = await api.request('DELETE', '/api/account', {});
    expect(gone.status).toBe(204);
    expect((await api.get('/api/auth/session')).status).toBe(401);
    expect(await identityRows(id)).toEqual([]);
    const row = await stack.db.one<{ email: string; deleted_at: Date | null; conversations: number }>(
      `SELECT email, deleted_at, (SELECT count(*)::int FROM conversations WHERE user_id = u.id) AS conversations
         FROM users u WHERE id = $1`,
      [id],
    );
    expect(row.email).not.toContain(user.email);
    expect(row.deleted_at).not.toBeNull();
    expect(row.conversations).toBe(0);
    // The same Google account signs up afresh.
    const again = new Browser();
    await signIn(again, 'google', user);
    expect((await (await again.api()).get('/api/auth/session')).body.user.id).not.toBe(id);

    const withPassword = new ApiClient(stack.url);
    await withPassword.register();
    expect((await withPassword.request('DELETE', '/api/account', {})).status).toBe(400);
    expect((await withPassword.request('DELETE', '/api/account', { password: 'wrong one' })).status).toBe(
      401,
    );
    expect((await withPassword.request('DELETE', '/api/account', { password: 'correct horse' })).status).toBe(
      204,
    );
  });
});
