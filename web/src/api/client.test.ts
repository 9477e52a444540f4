import { describe, expect, it, vi } from 'vitest';
import type { StreamEvent } from '../../../shared/contracts/chat-stream';
import { ApiError, createApiClient } from './client';

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that answers from a list of handlers and records every request. */
function fakeFetch(handler: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const call: Call = {
      method: init?.method ?? 'GET',
      url: input instanceof Request ? input.url : input.toString(),
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    return handler(call);
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const session = {
  user: { id: 'u1', email: 'a@example.com', name: null, credits: 5, memoryEnabled: true, createdAt: '' },
  csrfToken: 'tok-1',
};

/** An SSE body delivered in the given pieces (bytes, so a character may be split across two). */
function sse(pieces: Uint8Array[]): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
}

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

function splitBytes(text: string, size: number): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

describe('api client: the reply stream', () => {
  const wire =
    event('start', { userMessageId: 'm1', messageId: 'm2', model: 'x/y', maxTokens: 4096 }) +
    ': ping\n\n' +
    event('reasoning', { text: 'Let me think… ' }) +
    event('delta', { text: 'Héllo 👋🏽 ' }) +
    ': OPENROUTER PROCESSING\n\n' +
    event('delta', { text: 'wörld\nline "two"' }) +
    event('usage', { promptTokens: 3, completionTokens: 4, credits: 5 }) +
    event('done', { status: 'complete' });

  it.each([1, 2, 5, 64, 100_000])(
    'parses events from %i-byte pieces, multi-byte characters included',
    async (size) => {
      const { fetch } = fakeFetch(() => sse(splitBytes(wire, size)));
      const client = createApiClient({ fetch });
      const events: StreamEvent[] = [];
      const end = await client.streamReply('c1', { content: 'hi', model: 'x/y' }, (e) => events.push(e));
      expect(events.map((e) => e.event)).toEqual(['start', 'reasoning', 'delta', 'delta', 'usage', 'done']);
      const text = events.flatMap((e) => (e.event === 'delta' ? [e.data.text] : [])).join('');
      expect(text).toBe('Héllo 👋🏽 wörld\nline "two"');
      expect(end).toEqual({ event: 'done', data: { status: 'complete' } });
    },
  );

  it('posts the message with the CSRF token from the session', async () => {
    const { fetch, calls } = fakeFetch((call) =>
      call.url.endsWith('/api/auth/session')
        ? json(200, session)
        : sse(splitBytes(event('done', { status: 'complete' }), 10)),
    );
    const client = createApiClient({ fetch });
    await client.session();
    await client.streamReply('c/1', { content: 'hi', model: 'x/y' }, () => undefined);
    const post = calls[1]!;
    expect(post.method).toBe('POST');
    expect(post.url).toBe('/api/conversations/c%2F1/messages');
    expect(post.headers['x-csrf-token']).toBe('tok-1');
    expect(post.headers['content-type']).toBe('application/json');
    expect(post.body).toEqual({ content: 'hi', model: 'x/y' });
    expect(calls[0]!.headers['x-csrf-token']).toBeUndefined();
  });

  it('ends with the error event when the reply fails midway', async () => {
    const { fetch } = fakeFetch(() =>
      sse(
        splitBytes(
          event('delta', { text: 'part' }) + event('error', { code: 'upstream_failed', message: 'Broke' }),
          7,
        ),
      ),
    );
    const events: StreamEvent[] = [];
    const end = await createApiClient({ fetch }).streamReply('c1', { content: 'hi', model: 'm' }, (e) =>
      events.push(e),
    );
    expect(end).toEqual({ event: 'error', data: { code: 'upstream_failed', message: 'Broke' } });
    expect(events[0]).toEqual({ event: 'delta', data: { text: 'part' } });
  });

  it('reports a stream that ends without done or error as interrupted (the reply goes on server-side)', async () => {
    const { fetch } = fakeFetch(() =>
      sse(splitBytes(event('delta', { text: 'half' }) + 'event: delta\ndata: {"te', 9)),
    );
    const end = await createApiClient({ fetch }).streamReply(
      'c1',
      { content: 'hi', model: 'm' },
      () => undefined,
    );
    expect(end).toEqual({ event: 'interrupted' });
  });

  it('treats an event it cannot read as an interruption, not a crash', async () => {
    const { fetch } = fakeFetch(() => sse(splitBytes(event('usage', { promptTokens: 'many' }), 100)));
    const end = await createApiClient({ fetch }).streamReply(
      'c1',
      { content: 'hi', model: 'm' },
      () => undefined,
    );
    expect(end).toEqual({ event: 'interrupted' });
  });

  it('throws the API error when the message is refused before the stream (402)', async () => {
    const { fetch } = fakeFetch(() =>
      json(402, { error: { code: 'insufficient_credits', message: 'Not enough credits for this reply' } }),
    );
    const err = await createApiClient({ fetch })
      .streamReply('c1', { content: 'hi', model: 'm' }, () => undefined)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 402,
      code: 'insufficient_credits',
      message: 'Not enough credits for this reply',
    });
  });
});

describe('api client: regenerate, resume, branches', () => {
  it('regenerates a reply and resumes one from the characters already shown, reading the same stream', async () => {
    const { fetch, calls } = fakeFetch((call) =>
      call.url.endsWith('/api/auth/session')
        ? json(200, session)
        : sse(splitBytes(event('delta', { text: 'more' }) + event('done', { status: 'complete' }), 4)),
    );
    const client = createApiClient({ fetch });
    await client.session();
    const texts: string[] = [];
    const onEvent = (e: StreamEvent) => e.event === 'delta' && texts.push(e.data.text);
    await client.regenerate('c1', 'a/2', { model: 'x/y', maxTokens: 500 }, onEvent);
    const end = await client.resumeReply('c1', 'a2', 17, onEvent);
    expect(end).toEqual({ event: 'done', data: { status: 'complete' } });
    expect(texts).toEqual(['more', 'more']);
    expect(calls.slice(1).map((c) => `${c.method} ${c.url}`)).toEqual([
      'POST /api/conversations/c1/messages/a%2F2/regenerate',
      'GET /api/conversations/c1/messages/a2/stream?from=17',
    ]);
    expect(calls[1]!.body).toEqual({ model: 'x/y', maxTokens: 500 });
    expect(calls[1]!.headers['x-csrf-token']).toBe('tok-1');
  });

  it('switches the branch with PATCH activeMessageId', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { conversation: { id: 'c1' } }));
    await createApiClient({ fetch }).updateConversation('c1', { activeMessageId: 'm9' });
    expect(calls[0]).toMatchObject({
      method: 'PATCH',
      url: '/api/conversations/c1',
      body: { activeMessageId: 'm9' },
    });
  });

  it('answers in sentences when the server does not', async () => {
    const { fetch } = fakeFetch(() => new Response('', { status: 500 }));
    const err = (await createApiClient({ fetch })
      .models()
      .catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/^[A-Z].*\.$/);
    expect(err.message).toContain('Try again');
  });
});

describe('api client: requests', () => {
  it('fetches a fresh CSRF token once when the server refuses the old one', async () => {
    let token = 'old';
    const { fetch, calls } = fakeFetch((call) => {
      if (call.url.endsWith('/api/auth/session')) return json(200, { ...session, csrfToken: token });
      if (call.headers['x-csrf-token'] !== 'new')
        return json(403, { error: { code: 'csrf_failed', message: 'no' } });
      return json(200, { conversation: { id: 'c1' } });
    });
    const client = createApiClient({ fetch });
    await client.session();
    token = 'new';
    await expect(client.renameConversation('c1', 'T')).resolves.toEqual({ conversation: { id: 'c1' } });
    expect(calls.map((c) => `${c.method} ${c.url} ${c.headers['x-csrf-token'] ?? '-'}`)).toEqual([
      'GET /api/auth/session -',
      'PATCH /api/conversations/c1 old',
      'GET /api/auth/session -',
      'PATCH /api/conversations/c1 new',
    ]);
  });

  it('tells the app when the session is gone, but not for the sign-in calls themselves', async () => {
    const onUnauthenticated = vi.fn();
    const { fetch } = fakeFetch((call) =>
      json(401, {
        error: { code: call.url.includes('login') ? 'invalid_credentials' : 'unauthenticated', message: 'x' },
      }),
    );
    const client = createApiClient({ fetch, onUnauthenticated });
    await expect(client.login({ email: 'a@example.com', password: 'wrong' })).rejects.toMatchObject({
      code: 'invalid_credentials',
    });
    await expect(client.session()).rejects.toMatchObject({ status: 401 });
    expect(onUnauthenticated).not.toHaveBeenCalled();
    await expect(client.listConversations()).rejects.toMatchObject({ code: 'unauthenticated' });
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);
  });

  it('keeps Retry-After, and makes sense of answers that are not our JSON', async () => {
    const { fetch } = fakeFetch((call) =>
      call.url.includes('models')
        ? new Response('<html>Bad gateway</html>', { status: 502 })
        : json(429, { error: { code: 'rate_limited', message: 'Slow down' } }, { 'retry-after': '7' }),
    );
    const client = createApiClient({ fetch });
    await expect(client.listConversations({ q: 'a b', cursor: 'c1' })).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfterSeconds: 7,
    });
    await expect(client.models()).rejects.toMatchObject({ status: 502, code: 'http_502' });
  });

  it('says the network is down when fetch itself fails', async () => {
    const fetch = vi.fn(() => Promise.reject(new TypeError('Failed to fetch')));
    await expect(createApiClient({ fetch }).models()).rejects.toMatchObject({ code: 'network', status: 0 });
  });

  it('builds list queries from what is set', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { conversations: [], nextCursor: null }));
    const client = createApiClient({ fetch });
    await client.listConversations({ q: 'tax & rent', cursor: 'abc', limit: 30 });
    await client.listConversations();
    expect(calls.map((c) => c.url)).toEqual([
      '/api/conversations?limit=30&cursor=abc&q=tax+%26+rent',
      '/api/conversations',
    ]);
  });
});
