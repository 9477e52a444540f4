import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginPolicy, registerPolicy } from '../../shared/auth/service';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

// The platform's client-address header, so a test can speak from several addresses.
const CLIENT_IP_HEADER = 'x-test-client-ip';
const from = (address: string) => ({ headers: { [CLIENT_IP_HEADER]: address } });

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { CLIENT_IP_HEADER } });
});
afterAll(() => stack.close());

describe('accounts', () => {
  it('registers with a session cookie that scripts cannot read, and the session survives', async () => {
    const c = new ApiClient(stack.url);
    const res = await c.post('/api/auth/register', {
      email: ' Ada@Example.com ',
      password: 'analytical',
      name: 'Ada',
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({
      email: 'ada@example.com',
      name: 'Ada',
      credits: 0,
      memoryEnabled: true,
    });
    const cookie = res.headers.getSetCookie().find((h) => h.startsWith('gm_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i); // plain-http localhost; Secure everywhere else

    const session = await c.get('/api/auth/session');
    expect(session.status).toBe(200);
    expect(session.body.user.email).toBe('ada@example.com');
    expect(session.body.csrfToken).toBe(res.body.csrfToken);
  });

  it('stores passwords as argon2id and session tokens only as hashes', async () => {
    const c = new ApiClient(stack.url);
    const { user } = await c.register();
    const row = await stack.db.one<{ password_hash: string }>(
      `SELECT password_hash FROM users WHERE id = $1`,
      [user.id],
    );
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const token = c.cookie!.split('=')[1]!;
    const sessions = await stack.db.many<{ token_hash: string }>(
      `SELECT token_hash FROM sessions WHERE user_id = $1`,
      [user.id],
    );
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.token_hash).not.toContain(token);
  });

  it('refuses a taken email, a bad email and a short password, creating nothing', async () => {
    const c = new ApiClient(stack.url);
    const email = `dup-${Date.now()}@example.com`;
    await c.register(email);
    const dup = await new ApiClient(stack.url).post('/api/auth/register', {
      email: email.toUpperCase(),
      password: 'whatever1',
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('conflict');
    const bad = await new ApiClient(stack.url).post('/api/auth/register', {
      email: 'not-an-email',
      password: 'whatever1',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/Enter an email address like name@example\.com\./);
    const short = await new ApiClient(stack.url).post('/api/auth/register', {
      email: 'short@example.com',
      password: '1234567',
    });
    expect(short.status).toBe(400);
    expect(short.body.error.message).toMatch(/Choose a password of at least 8 characters/);
    expect(await stack.db.maybeOne(`SELECT id FROM users WHERE email = 'short@example.com'`)).toBeNull();
  });

  it('logs in with a fresh session each time and answers the same for unknown email and wrong password', async () => {
    const email = `login-${Date.now()}@example.com`;
    const first = new ApiClient(stack.url);
    await first.register(email, 'right password');
    const c = new ApiClient(stack.url);
    const ok = await c.post('/api/auth/login', { email, password: 'right password' });
    expect(ok.status).toBe(200);
    expect(c.cookie).toBeDefined();
    expect(c.cookie).not.toBe(first.cookie);

    const wrong = await new ApiClient(stack.url).post('/api/auth/login', {
      email,
      password: 'wrong password',
    });
    const unknown = await new ApiClient(stack.url).post('/api/auth/login', {
      email: `nobody-${Date.now()}@example.com`,
      password: 'wrong password',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('invalid_credentials');
  });

  it('throttles repeated failures with 429 and Retry-After, even for the right password', async () => {
    const email = `throttle-${Date.now()}@example.com`;
    await new ApiClient(stack.url).register(email, 'right password');
    const c = new ApiClient(stack.url);
    const attacker = from('203.0.113.7');
    for (let i = 0; i < loginPolicy.perClientAndEmail.limit; i++) {
      const wrong = await c.request('POST', '/api/auth/login', { email, password: `wrong ${i}` }, attacker);
      expect(wrong.status).toBe(401);
    }
    const locked = await c.request(
      'POST',
      '/api/auth/login',
      { email, password: 'right password' },
      attacker,
    );
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('rate_limited');
    expect(locked.body.error.message).toMatch(/Try again in 15 minutes/);
    expect(Number(locked.headers.get('retry-after'))).toBe(loginPolicy.perClientAndEmail.lockMs / 1000);

    // the lock is the attacker's: the owner, from another address, signs in
    const owner = new ApiClient(stack.url);
    const ok = await owner.request(
      'POST',
      '/api/auth/login',
      { email, password: 'right password' },
      from('198.51.100.20'),
    );
    expect(ok.status).toBe(200);
  });

  it('logout revokes the session on the server', async () => {
    const c = new ApiClient(stack.url);
    await c.register();
    const stolen = c.cookie;
    expect((await c.post('/api/auth/logout')).status).toBe(204);
    const thief = new ApiClient(stack.url);
    thief.cookie = stolen;
    const res = await thief.get('/api/auth/session');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  it('requires the CSRF header on cookie-authenticated writes', async () => {
    const c = new ApiClient(stack.url);
    await c.register();
    const missing = await c.request('PATCH', '/api/settings', { memoryEnabled: false }, { csrf: false });
    expect(missing.status).toBe(403);
    expect(missing.body.error.code).toBe('csrf_failed');
    const wrong = await c.request(
      'PATCH',
      '/api/settings',
      { memoryEnabled: false },
      { csrf: false, headers: { 'x-csrf-token': 'guess' } },
    );
    expect(wrong.status).toBe(403);
    expect((await c.get('/api/auth/session')).body.user.memoryEnabled).toBe(true);

    const ok = await c.request('PATCH', '/api/settings', { memoryEnabled: false, name: 'Grace' });
    expect(ok.status).toBe(200);
    expect(ok.body.user).toMatchObject({ memoryEnabled: false, name: 'Grace' });
  });

  it('answers 401 without a session', async () => {
    const res = await new ApiClient(stack.url).get('/api/conversations');
    expect(res.status).toBe(401);
  });
});

describe('registration throttle', () => {
  it('answers 429 rate_limited with Retry-After once an address has registered its hourly allowance', async () => {
    const address = from('192.0.2.44');
    const attempt = () =>
      new ApiClient(stack.url).request(
        'POST',
        '/api/auth/register',
        { email: `farm-${Math.random().toString(36).slice(2)}@example.com`, password: 'right password' },
        address,
      );
    for (let i = 0; i < registerPolicy.perClient.limit; i++) expect((await attempt()).status).toBe(201);
    const refused = await attempt();
    expect(refused.status).toBe(429);
    expect(refused.body.error).toEqual({
      code: 'rate_limited',
      message: 'Too many accounts have been created from your network. Try again in 60 minutes.',
    });
    expect(Number(refused.headers.get('retry-after'))).toBe(3600);
    // another address is not affected
    const other = await new ApiClient(stack.url).request(
      'POST',
      '/api/auth/register',
      { email: `elsewhere-${Date.now()}@example.com`, password: 'right password' },
      from('192.0.2.45'),
    );
    expect(other.status).toBe(201);
  });
});

describe('models and health', () => {
  it('lists the shipped catalogue with prices in credits per million tokens, markup included', async () => {
    const res = await new ApiClient(stack.url).get('/api/models');
    expect(res.status).toBe(200);
    const models = res.body.models as {
      id: string;
      free: boolean;
      vision: boolean;
      reasoning: boolean;
      pricing: any;
    }[];
    expect(models.length).toBeGreaterThan(300);
    expect(models.find((m) => m.id === 'openai/gpt-4o-mini')).toMatchObject({
      free: false,
      vision: true,
      contextLength: 128000,
      pricing: { promptPerMTok: 30_000, completionPerMTok: 120_000 },
    });
    expect(models.find((m) => m.id === 'deepseek/deepseek-r1:free')).toMatchObject({
      free: true,
      reasoning: true,
    });
  });
});
