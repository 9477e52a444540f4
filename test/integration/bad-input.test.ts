import Stripe from 'stripe';
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
  // Nesting deep enough to overflow a recursive walk of the body.
  '['.repeat(50_000) + ']'.repeat(50_000),
  '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000),
  '{"content":"hi","model":"openai/gpt-4o-mini","parentId":"nope"}',
  '{"content":"hi","model":"openai/gpt-4o-mini","parentId":null,"temperature":9}',
  '{"activeMessageId":"nope"}',
  '{"systemPrompt":null,"temperature":null,"maxTokens":null,"pinned":"yes"}',
];

const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

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
  // Dates JavaScript accepts and PostgreSQL does not.
  `?cursor=${cursor(['-271821-04-20T00:00:00.000Z', 'x'])}`,
  `?cursor=${cursor(['+275760-09-13T00:00:00.000Z', 'x'])}`,
  `?cursor=${cursor(['0001-01-01T00:00:00.000Z', 'x'])}`,
  '?pinned=maybe&from=-5',
  '?from=1e400',
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
        ? [...ids, conversationId].flatMap((id) =>
            (route.includes('{messageId}') ? ids : ['']).map((mid) =>
              route.replace('{id}', id).replace('{messageId}', mid),
            ),
          )
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
  }, 300_000);

  it('a malformed session cookie is no session, on every route, not a 500', async () => {
    const failures: string[] = [];
    for (const reg of stack.host.registry.registrations.filter((r) => r.trigger.type === 'httpTrigger')) {
      const route = ((reg.trigger.route as string | undefined) ?? reg.name)
        .replace('{id}', conversationId)
        .replace('{messageId}', 'x');
      for (const method of (reg.trigger.methods as string[] | undefined) ?? ['GET']) {
        for (const cookie of [
          'gm_session=%zz',
          'gm_session=%',
          'gm_session=%E0%A4%A',
          `gm_session=${'%FF'.repeat(50)}`,
        ]) {
          const res = await fetch(`${stack.url}/api/${route}`, { method, headers: { cookie } });
          await res.arrayBuffer();
          if (res.status >= 500) failures.push(`${method} /api/${route} ${cookie} → ${res.status}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('a signed webhook event of a shape we do not expect is answered, not a 500', async () => {
    const stripe = new Stripe('sk_test_x');
    const failures: string[] = [];
    for (const event of [
      { id: 'evt_1', type: 'checkout.session.completed', data: {} },
      {
        id: 'evt_2',
        type: 'checkout.session.completed',
        data: { object: { amount_total: 'lots', metadata: 7 } },
      },
      { id: 'evt_3', type: 'charge.refunded', data: { object: { amount_refunded: -1, payment_intent: {} } } },
      { id: 'evt_4', type: 'checkout.session.async_payment_succeeded', data: { object: null } },
      { type: 'checkout.session.completed' },
      { id: 'evt_5', type: 12, data: [] },
    ]) {
      const payload = JSON.stringify(event);
      const header = stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_x' });
      const res = await fetch(`${stack.url}/api/billing/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': header },
        body: payload,
      });
      await res.arrayBuffer();
      if (res.status >= 500) failures.push(`${payload} → ${res.status}`);
    }
    expect(failures).toEqual([]);
  });
});
