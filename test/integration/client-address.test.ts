import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

/**
 * Throttles count the client the platform saw, not a header the client wrote: the first
 * X-Forwarded-For entry is the client's to choose; the front end (here the local host, in Azure
 * App Service's) appends the real one last.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

describe('the client address', () => {
  it('rotating the first X-Forwarded-For entry does not buy new sign-in attempts', async () => {
    const c = new ApiClient(stack.url);
    const statuses: number[] = [];
    // 40 wrong passwords against 40 accounts, each claiming to come from a new address.
    for (let i = 0; i < 40; i++) {
      const res = await c.request(
        'POST',
        '/api/auth/login',
        { email: `victim${i}@example.com`, password: 'wrong password' },
        { headers: { 'x-forwarded-for': `203.0.113.${i}` } },
      );
      statuses.push(res.status);
    }
    // The per-address limit (30 failures) applies to the one real address.
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
  });

  it('CLIENT_IP_HEADER, when the platform sets one, is the address that counts', async () => {
    const fronted = await startStack({ env: { CLIENT_IP_HEADER: 'x-azure-clientip' } });
    try {
      const c = new ApiClient(fronted.url);
      let n = 0;
      const login = (ip: string) =>
        c.request(
          'POST',
          '/api/auth/login',
          { email: `someone-${n++}@example.com`, password: 'wrong password' },
          { headers: { 'x-azure-clientip': ip } },
        );
      for (let i = 0; i < 30; i++) expect((await login('198.51.100.7')).status).toBe(401);
      expect((await login('198.51.100.7')).status).toBe(429);
      // Another client behind the same front end is not locked out by the first one.
      expect((await login('198.51.100.8')).status).toBe(401);
    } finally {
      await fronted.close();
    }
  });
});
