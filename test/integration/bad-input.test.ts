import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

/**
 * Every HTTP function the entry file registers, fed hostile input with a valid session and CSRF
 * token: nothing may answer 500. The route list comes from the registrations themselves, so a
 * new function is covered the day it is added.
 */
let stack: Stack;
let c: ApiClient;
let conversationId: string;

beforeAll(async () => {
  stack = await startStack({ env: { SIGNUP_BONUS_CREDITS: '1000000', STRIPE_WEBHOOK_SECRET: 'whsec_x' } });
  c = new ApiClient(stack.url);
  await c.register();
  conversationId = await c.newConversation();
});
afterAll(() => stack.close());

const bodies: (string | undefined)[] = [
  undefined,
  '',
  'null',
  '[]',
  '"a string"',
  '12',
  '{',
  '{"a":',
  '\u0000',
  '{"title":null,"content":null,"model":null,"email":null,"password":null,"packageId":null}',
  '{"title":{},"content":[],"model":1,"email":{},"password":[],"packageId":[],"maxTokens":"9"}',
  '{"content":"hi","model":"openai/gpt-4o-mini","maxTokens":1e308}',
  '{"content":"hi","model":"openai/gpt-4o-mini","imageIds":["x"],"documentIds":[{}]}',
  `{"title":"${'é'.repeat(5000)}","memoryEnabled":"yes","name":123}`,
  JSON.stringify({ __proto__: { admin: true }, constructor: { prototype: { x: 1 } } }),
  JSON.stringify({
    title: 'a\u0000b',
    content: 'a\u0000b',
    model: 'openai/gpt-4o-mini',
    email: 'a\u0000@b.co',
    password: '\u0000'.repeat(9),
    packageId: '\u0000',
  }),
  '{"email":"a@b.co","password":"' + 'p'.repeat(10_000) + '"}',
];

const ids = ['x', 'a'.repeat(500), '%00', '..%2F..%2Fetc', "1' OR '1'='1", '💥', 'null'];
const queries = [
  '?q=%00&cursor=%00',
  '',
  '?limit=-1',
  '?limit=1e9',
  '?cursor=%FF%FE',
  '?q=' + '%25'.repeat(300),
  '?days=abc',
  '?cursor=-1',
];

describe('hostile input never causes a 500', () => {
  it('holds for every registered route', async () => {
    // Logout last: before it, every route is tried signed in, which is where the code paths are.
    const http = stack.host.registry.registrations
      .filter((r) => r.trigger.type === 'httpTrigger')
      .sort((a, b) => Number(a.name === 'auth-logout') - Number(b.name === 'auth-logout'));
    expect(http.length).toBeGreaterThan(15);
    const failures: string[] = [];
    for (const reg of http) {
      const route = (reg.trigger.route as string | undefined) ?? reg.name;
      const methods = (reg.trigger.methods as string[] | undefined) ?? ['GET'];
      const paths = route.includes('{id}')
        ? [...ids, conversationId].map((id) => route.replace('{id}', id))
        : queries.map((q) => route + q);
      for (const method of methods) {
        for (const path of paths) {
          for (const body of method === 'GET' ? [undefined] : bodies) {
            // Stop requests are harmless; a message body that is valid would start a real reply.
            const res = await c.request(method, `/api/${path}`, undefined, { rawBody: body });
            if (res.status >= 500)
              failures.push(`${method} /api/${path} ${String(body).slice(0, 40)} → ${res.status}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
