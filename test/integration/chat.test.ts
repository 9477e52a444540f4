import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../shared/contracts/chat-stream';
import { ApiClient, deltas } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let c: ApiClient;
const MODEL = 'openai/gpt-4o-mini';

beforeAll(async () => {
  stack = await startStack({ env: { SIGNUP_BONUS_CREDITS: '100000000' } });
  c = new ApiClient(stack.url);
  await c.register();
});
afterAll(() => stack.close());
// Title jobs run after each reply and would take the next test's scripted upstream answer.
beforeEach(async () => {
  await stack.host.queues.waitIdle(10_000);
  stack.upstream.reset();
});

const names = (events: StreamEvent[]) => events.map((e) => e.event);

async function messages(id: string) {
  return (await c.get(`/api/conversations/${id}`)).body.messages as any[];
}

async function eventually<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('streamed replies', () => {
  it('streams start, deltas, usage, done; the deltas are exactly the stored reply', async () => {
    const id = await c.newConversation();
    const { status, headers, events } = await c.stream(id, { content: 'Tell me about Rome', model: MODEL });
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    const order = names(events);
    expect(order[0]).toBe('start');
    expect(order.slice(-2)).toEqual(['usage', 'done']);
    expect(order.filter((n) => n === 'delta').length).toBeGreaterThan(5);
    expect(new Set(order.slice(1, -2))).toEqual(new Set(['delta']));
    const done = events.at(-1)!;
    expect(done).toEqual({ event: 'done', data: { status: 'complete' } });

    const text = deltas(events);
    expect(text).toContain('Tell me about Rome');
    const stored = await messages(id);
    const start = events[0]!.data as { userMessageId: string; messageId: string };
    expect(stored.map((m) => [m.id, m.role, m.status])).toEqual([
      [start.userMessageId, 'user', 'complete'],
      [start.messageId, 'assistant', 'complete'],
    ]);
    expect(stored[1].content).toBe(text);

    // usage: OpenRouter's cost from the last chunk, × markup 2, rounded up
    const usage = events.at(-2)!.data as { promptTokens: number; completionTokens: number; credits: number };
    const cost = usage.promptTokens * 0.00000015 + usage.completionTokens * 0.0000006;
    expect(usage.credits).toBe(Math.ceil(cost * 100_000 * 2 - 1e-6));
    expect(stored[1].usage).toEqual(usage);
  });

  it('sends reasoning before the answer for reasoning models and keeps it', async () => {
    const id = await c.newConversation();
    const { events } = await c.stream(id, { content: 'Think first', model: 'deepseek/deepseek-r1:free' });
    const order = names(events);
    expect(order.indexOf('reasoning')).toBeGreaterThan(0);
    expect(order.lastIndexOf('reasoning')).toBeLessThan(order.indexOf('delta'));
    const reply = (await messages(id))[1];
    expect(reply.reasoning.length).toBeGreaterThan(0);
    expect(reply.usage.credits).toBe(0); // free model
  });

  it('is unbothered by comment lines and a stream that ends without [DONE]', async () => {
    stack.upstream.script({ noDone: true, chunks: ['Hello', ', ', 'world'] });
    const id = await c.newConversation();
    const { events } = await c.stream(id, { content: 'hi', model: MODEL });
    expect(deltas(events)).toBe('Hello, world');
    expect(events.at(-1)).toEqual({ event: 'done', data: { status: 'complete' } });
    expect((await messages(id))[1]).toMatchObject({ status: 'complete', content: 'Hello, world' });
  });

  it('keeps a reply whose text contains a NUL character, replaced visibly', async () => {
    stack.upstream.script({ chunks: ['bad\u0000byte'] });
    const id = await c.newConversation();
    const { events } = await c.stream(id, { content: 'hi', model: MODEL });
    expect(deltas(events)).toBe('bad\uFFFDbyte');
    expect((await messages(id))[1]).toMatchObject({ status: 'complete', content: 'bad\uFFFDbyte' });
  });

  it('a stop from a second request ends the stream within about a second and keeps a stopped reply', async () => {
    stack.upstream.script({ chunkDelayMs: 100, text: 'word '.repeat(400) });
    const id = await c.newConversation();
    let stoppedAt = 0;
    let sawDelta!: () => void;
    const firstDelta = new Promise<void>((r) => (sawDelta = r));
    const streaming = c.stream(id, { content: 'a long one please', model: MODEL }, (e) => {
      if (e.event === 'delta') sawDelta();
    });
    await firstDelta;
    const other = new ApiClient(stack.url);
    other.cookie = c.cookie;
    other.csrf = c.csrf;
    stoppedAt = Date.now();
    const stop = await other.post(`/api/conversations/${id}/stop`);
    expect(stop.status).toBe(202);
    const { events } = await streaming;
    expect(Date.now() - stoppedAt).toBeLessThan(1500);
    expect(events.at(-1)).toEqual({ event: 'done', data: { status: 'stopped', reason: 'user' } });
    const reply = (await messages(id))[1];
    expect(reply.status).toBe('stopped');
    expect(reply.content).toBe(deltas(events));
    expect(reply.content.length).toBeGreaterThan(0);
    expect(reply.content.length).toBeLessThan('word '.repeat(400).length);
    // billed for what was produced, though upstream never sent a usage chunk
    expect(reply.usage.completionTokens).toBeGreaterThan(0);
    expect(reply.usage.credits).toBeGreaterThan(0);
  });

  it('a reload during a reply shows the text so far, flushed about once a second', async () => {
    stack.upstream.script({ chunkDelayMs: 60, text: 'slow '.repeat(60) });
    const id = await c.newConversation();
    const streaming = c.stream(id, { content: 'take your time', model: MODEL });
    const partial = await eventually(async () => {
      const reply = (await messages(id))[1];
      return reply?.status === 'streaming' && reply.content.length > 0 ? reply : undefined;
    }, 5000);
    expect('slow '.repeat(60).startsWith(partial.content)).toBe(true);
    const { events } = await streaming;
    expect((await messages(id))[1]).toMatchObject({ status: 'complete', content: deltas(events) });
  });

  it('a mid-stream upstream error ends with error and keeps the partial reply as failed', async () => {
    stack.upstream.script({ chunks: ['one ', 'two ', 'three ', 'four '], errorAfterChunks: 2 });
    const id = await c.newConversation();
    const { events } = await c.stream(id, { content: 'hi', model: MODEL });
    const last = events.at(-1)!;
    expect(last.event).toBe('error');
    expect((last.data as { code: string }).code).toBe('upstream_failed');
    expect(names(events)).not.toContain('done');
    const reply = (await messages(id))[1];
    expect(reply).toMatchObject({ status: 'failed', content: 'one two ' });
    expect(reply.error.code).toBe('upstream_failed');
    expect(deltas(events)).toBe('one two ');
  });

  it('maps an upstream 429 or 503 before the first byte to ours, keeps Retry-After, and stores nothing', async () => {
    const id = await c.newConversation();
    stack.upstream.script({ status: 429, retryAfter: 7 });
    const busy = await c.stream(id, { content: 'hi', model: MODEL });
    // The provider's limit is not the user's: the model is busy, and the message says when to retry.
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('7');
    expect(busy.error.error.code).toBe('unavailable');
    expect(busy.error.error.message).toBe('The model is busy. Try again in 7 s.');

    stack.upstream.script({ status: 503, retryAfter: 3 });
    const down = await c.stream(id, { content: 'hi', model: MODEL });
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('3');
    expect(down.error.error.code).toBe('unavailable');

    expect(await messages(id)).toEqual([]);
  });

  it('trims history to the context window, newest turns kept, whole messages only', async () => {
    const small = 'allenai/olmo-7b-instruct'; // 2048-token context
    const id = await c.newConversation();
    for (let i = 1; i <= 6; i++) {
      stack.upstream.script({ text: `answer ${i}` });
      await c.stream(id, {
        content: `question ${i} ${'lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(40)}`,
        model: small,
        maxTokens: 256,
      });
      await stack.host.queues.waitIdle(10_000);
    }
    stack.upstream.reset();
    await c.stream(id, { content: 'question 7', model: small, maxTokens: 256 });
    const sent = stack.upstream.requests.find((r) => r.path.endsWith('/chat/completions'))!.body.messages as {
      role: string;
      content: string;
    }[];
    expect(sent[0]!.role).toBe('system');
    expect(sent.at(-1)!.content).toBe('question 7');
    const history = sent.slice(1, -1);
    expect(history.length).toBeGreaterThan(1);
    expect(history.length).toBeLessThan(12);
    // the newest turns, in order, contiguous up to the new question
    expect(history.at(-1)!.content).toBe('answer 6');
    expect(history.at(-2)!.content).toMatch(/^question 6 /);
    expect(sent.some((m) => m.content.startsWith('question 1 '))).toBe(false);
    for (const m of history)
      expect(m.content.endsWith('adipiscing elit. ') || /^answer \d$/.test(m.content)).toBe(true);
  });

  it('titles the conversation after the reply, through the queue', async () => {
    const id = await c.newConversation();
    await c.stream(id, { content: 'Best pizza dough hydration for a home oven', model: MODEL });
    const title = await eventually(
      async () => (await c.get(`/api/conversations/${id}`)).body.conversation.title,
    );
    expect(title.length).toBeGreaterThan(0);
    expect(title.length).toBeLessThanOrEqual(80);
    const titleCall = stack.upstream.requests.find(
      (r) => (r.body.model as string) === stack.services.config.TITLE_MODEL,
    );
    expect(titleCall).toBeDefined();
    // Billed once, as title usage, on the tokens the title call used.
    const usage = await stack.db.many<{ prompt_tokens: number }>(
      'SELECT prompt_tokens FROM usage_records WHERE reference = $1 AND purpose = $2',
      [`title:${id}`, 'title'],
    );
    expect(usage).toHaveLength(1);
    expect(usage[0]!.prompt_tokens).toBeGreaterThan(0);
  });

  it('a title job that always fails lands in -poison after 5 tries, and the chat is unaffected', async () => {
    const id = await c.newConversation();
    stack.upstream.script({ text: 'fine' }, ...Array.from({ length: 5 }, () => ({ status: 503 })));
    const attempts: number[] = [];
    const onFailed = (e: { dequeueCount: number }) => attempts.push(e.dequeueCount);
    stack.host.queues.on('failed', onFailed);
    const poisoned = new Promise((r) => stack.host.queues.once('poisoned', r));
    const { events } = await c.stream(id, { content: 'doomed title', model: MODEL });
    expect(events.at(-1)!.event).toBe('done');
    await poisoned;
    stack.host.queues.off('failed', onFailed);
    const poison = new QueueClient(
      stack.azurite.connectionString.replace(/;$/, ''),
      'conversation-titles-poison',
    );
    const peeked = await poison.peekMessages({ numberOfMessages: 32 });
    const bodies = peeked.peekedMessageItems.map((m) =>
      JSON.parse(Buffer.from(m.messageText, 'base64').toString()),
    );
    expect(bodies).toContainEqual({ userId: expect.any(String), conversationId: id });
    expect(
      stack.upstream.requests.filter((r) => r.body.model === stack.services.config.TITLE_MODEL),
    ).toHaveLength(5);
    expect((await c.get(`/api/conversations/${id}`)).body.conversation.title).toBeNull();
  });
});
