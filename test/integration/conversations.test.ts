import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type Answer } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let alice: ApiClient;
let bob: ApiClient;
beforeAll(async () => {
  stack = await startStack({ env: { SIGNUP_BONUS_CREDITS: '100000000' } });
  alice = new ApiClient(stack.url);
  bob = new ApiClient(stack.url);
  await alice.register();
  await bob.register();
});
afterAll(() => stack.close());

describe('conversations', () => {
  it('creates, reads, renames and deletes', async () => {
    const created = await alice.post('/api/conversations', { title: 'Trip', model: 'openai/gpt-4o-mini' });
    expect(created.status).toBe(201);
    const id = created.body.conversation.id as string;
    expect(created.body.conversation).toMatchObject({ title: 'Trip', model: 'openai/gpt-4o-mini' });

    const got = await alice.get(`/api/conversations/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ conversation: { id, title: 'Trip' }, messages: [] });

    const renamed = await alice.request('PATCH', `/api/conversations/${id}`, { title: '  Rome in May ' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.conversation.title).toBe('Rome in May');

    expect((await alice.request('DELETE', `/api/conversations/${id}`)).status).toBe(204);
    expect((await alice.get(`/api/conversations/${id}`)).status).toBe(404);
  });

  it("treats another user's conversation as not found, and leaves it untouched", async () => {
    const id = await alice.newConversation();
    await alice.request('PATCH', `/api/conversations/${id}`, { title: 'Private' });
    for (const [method, path, body] of [
      ['GET', `/api/conversations/${id}`, undefined],
      ['PATCH', `/api/conversations/${id}`, { title: 'Mine now' }],
      ['DELETE', `/api/conversations/${id}`, undefined],
      ['POST', `/api/conversations/${id}/messages`, { content: 'hi', model: 'openai/gpt-4o-mini' }],
      ['POST', `/api/conversations/${id}/stop`, undefined],
    ] as const) {
      const res = await bob.request(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await alice.get(`/api/conversations/${id}`)).body.conversation.title).toBe('Private');
    expect(
      (await bob.get('/api/conversations')).body.conversations.map((c: { id: string }) => c.id),
    ).not.toContain(id);
  });

  it('pages newest first with a cursor, without gaps or repeats', async () => {
    const carol = new ApiClient(stack.url);
    await carol.register();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await carol.newConversation(`Chat ${i}`));
      await new Promise((r) => setTimeout(r, 5));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: Answer = await carol.get(`/api/conversations?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.conversations.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.conversations.map((c: { id: string }) => c.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('searches titles and message text', async () => {
    const dave = new ApiClient(stack.url);
    await dave.register();
    const byTitle = (await dave.post('/api/conversations', { title: 'Sourdough starter' })).body.conversation
      .id;
    const byText = await dave.newConversation();
    await dave.stream(byText, {
      content: 'How long should I proof a sourdough loaf?',
      model: 'openai/gpt-4o-mini',
    });
    const other = (await dave.post('/api/conversations', { title: 'Tax return' })).body.conversation.id;
    const res = await dave.get('/api/conversations?q=SOURDOUGH');
    const found = res.body.conversations.map((c: { id: string }) => c.id);
    expect(found).toHaveLength(2);
    expect(found).toEqual(expect.arrayContaining([byTitle, byText]));
    expect(found).not.toContain(other);
    // LIKE wildcards in the query are literal characters
    expect((await dave.get('/api/conversations?q=%25')).body.conversations).toHaveLength(0);
  });
});

describe('bad input never causes a 500 and changes nothing', () => {
  it('malformed JSON, wrong types, unknown fields, wrong content type and oversized bodies are 4xx', async () => {
    const id = await alice.newConversation();
    const cases: [
      string,
      string,
      { rawBody?: string; body?: unknown; headers?: Record<string, string> },
      number,
    ][] = [
      ['POST', '/api/conversations', { rawBody: '{"title": ' }, 400],
      ['POST', '/api/conversations', { body: { title: 42 } }, 400],
      ['POST', '/api/conversations', { body: { title: 'x', admin: true } }, 400],
      ['PATCH', `/api/conversations/${id}`, { body: { title: '' } }, 400],
      ['PATCH', `/api/conversations/${id}`, { body: { title: 'x'.repeat(201) } }, 400],
      ['PATCH', `/api/conversations/${id}`, { body: [] }, 400],
      [
        'PATCH',
        `/api/conversations/${id}`,
        { rawBody: 'title=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        415,
      ],
      [
        'POST',
        `/api/conversations/${id}/messages`,
        { body: { content: '   ', model: 'openai/gpt-4o-mini' } },
        400,
      ],
      ['POST', `/api/conversations/${id}/messages`, { body: { content: 'hi', model: 'no/such-model' } }, 400],
      [
        'POST',
        `/api/conversations/${id}/messages`,
        { body: { content: 'hi', model: 'openai/gpt-4o-mini', maxTokens: -1 } },
        400,
      ],
      [
        'POST',
        `/api/conversations/${id}/messages`,
        { body: { content: 'x'.repeat(600 * 1024), model: 'openai/gpt-4o-mini' } },
        413,
      ],
      [
        'POST',
        `/api/conversations/${id}/messages`,
        { rawBody: '\u0000\u0001', headers: { 'content-type': 'application/json' } },
        400,
      ],
      ['GET', '/api/conversations?limit=abc', {}, 400],
      ['GET', '/api/conversations?cursor=garbage', {}, 400],
      ['POST', '/api/auth/login', { body: { email: ['a'], password: {} } }, 400],
      ['GET', '/api/no-such-route', {}, 404],
    ];
    for (const [method, path, opts, status] of cases) {
      const res = await alice.request(method, path, opts.body, {
        rawBody: opts.rawBody,
        headers: opts.headers,
      });
      expect(res.status, `${method} ${path} ${JSON.stringify(opts).slice(0, 80)}`).toBe(status);
      expect(res.body.error.code).toMatch(/^[a-z_]+$/);
      expect(res.body.error.message.length).toBeGreaterThan(3);
    }
    const after = await alice.get(`/api/conversations/${id}`);
    expect(after.body.conversation.title).toBeNull();
    expect(after.body.messages).toEqual([]);
  });
});
