import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { memoryExtractJob } from '../../shared/contracts/jobs';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
const MODEL = 'openai/gpt-4o-mini';

beforeAll(async () => {
  stack = await startStack({
    env: { SIGNUP_BONUS_CREDITS: '100000000', REGISTRATIONS_PER_CLIENT_PER_HOUR: '1000' },
  });
});
afterAll(() => stack.close());
beforeEach(async () => {
  await stack.host.queues.waitIdle(10_000);
  stack.upstream.reset();
});

async function user() {
  const c = new ApiClient(stack.url);
  const { user } = await c.register();
  return Object.assign(c, { userId: user.id });
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

const texts = async (c: ApiClient) =>
  ((await c.get('/api/memories')).body.memories as { text: string }[]).map((m) => m.text).sort();

/** Sends a message and waits until the queue has run everything that followed the reply. */
async function say(c: ApiClient, content: string, conversationId?: string) {
  const id = conversationId ?? (await c.newConversation());
  const { events } = await c.stream(id, { content, model: MODEL });
  expect(events.at(-1)!.event).toBe('done');
  await stack.host.queues.waitIdle(10_000);
  const start = events[0]!.data as { messageId: string; userMessageId: string };
  return { conversationId: id, messageId: start.messageId };
}

/** The system prompt of the last chat reply sent upstream (not an extraction or title call). */
const lastSystemPrompt = () => {
  const chats = stack.upstream.requests.filter((r) => r.body.stream === true);
  const messages = chats.at(-1)!.body.messages as { role: string; content: string }[];
  return messages.find((m) => m.role === 'system')!.content;
};

describe('extraction through the queue', () => {
  it('keeps what the user said, billed as memory usage, and an extraction call uses structured output', async () => {
    const c = await user();
    const { messageId } = await say(c, "I'm vegetarian and I live in Lyon.");
    expect(await eventually(async () => ((await texts(c)).length === 2 ? texts(c) : null))).toEqual([
      'Is vegetarian',
      'Lives in Lyon',
    ]);
    const call = stack.upstream.requests.find((r) => r.body.response_format !== undefined)!;
    expect(call.body.model).toBe(stack.services.config.MEMORY_MODEL);
    expect(call.body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'memories', strict: true },
    });
    const usage = await stack.db.many<{ purpose: string; reference: string }>(
      'SELECT purpose, reference FROM usage_records WHERE user_id = $1 AND purpose = $2',
      [c.userId, 'memory'],
    );
    expect(usage).toEqual([{ purpose: 'memory', reference: `memory:${messageId}` }]);
    const memories = (await c.get('/api/memories')).body.memories;
    expect(memories[0]).toMatchObject({ kind: 'fact', source: 'extracted' });
  });

  it('a redelivered job changes nothing and calls no model', async () => {
    const c = await user();
    const { conversationId, messageId } = await say(c, 'My name is Ada.');
    await eventually(async () => (await texts(c)).length === 1);
    const before = await c.get('/api/memories');
    const calls = stack.upstream.requests.length;
    const job = { userId: c.userId, conversationId, messageId };
    await stack.services.jobs.enqueue(memoryExtractJob, job);
    await stack.services.jobs.enqueue(memoryExtractJob, job);
    await stack.host.queues.waitIdle(10_000);
    expect((await c.get('/api/memories')).body).toEqual(before.body);
    expect(stack.upstream.requests.length).toBe(calls);
    const usage = await stack.db.many('SELECT 1 FROM usage_records WHERE reference = $1', [
      `memory:${messageId}`,
    ]);
    expect(usage).toHaveLength(1);
  });

  it('a reply that teaches nothing is billed once for its extraction, and its redelivery bills nothing', async () => {
    const c = await user();
    const before = await stack.db.one<{ credits: string }>('SELECT credits FROM users WHERE id = $1', [
      c.userId,
    ]);
    const { conversationId, messageId } = await say(c, 'What is the boiling point of water?');
    expect(await texts(c)).toEqual([]);
    const billed = async () =>
      stack.db.many<{ credits: string }>('SELECT credits FROM usage_records WHERE reference = $1', [
        `memory:${messageId}`,
      ]);
    const [record] = await billed();
    expect(Number(record!.credits)).toBeGreaterThan(0);
    await stack.services.jobs.enqueue(memoryExtractJob, { userId: c.userId, conversationId, messageId });
    await stack.host.queues.waitIdle(10_000);
    expect(await billed()).toHaveLength(1);
    const spent = await stack.db.one<{ n: string }>(
      'SELECT COALESCE(sum(credits), 0) AS n FROM usage_records WHERE user_id = $1',
      [c.userId],
    );
    const after = await stack.db.one<{ credits: string }>('SELECT credits FROM users WHERE id = $1', [
      c.userId,
    ]);
    expect(Number(before.credits) - Number(after.credits)).toBe(Number(spent.n));
  });

  it('"I moved to Paris" updates "Lives in Lyon" rather than adding a second place', async () => {
    const c = await user();
    await say(c, 'I live in Lyon.');
    const [lyon] = (await c.get('/api/memories')).body.memories;
    expect(lyon.text).toBe('Lives in Lyon');
    await say(c, 'Actually I moved to Paris.');
    const after = (await c.get('/api/memories')).body.memories;
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: lyon.id, text: 'Lives in Paris' });
  });

  it("an extractor naming another user's memory cannot touch it", async () => {
    const a = await user();
    const b = await user();
    const theirs = (await b.post('/api/memories', { text: 'Lives in Oslo' })).body.memory;
    const { conversationId } = await say(a, 'Hello there');
    stack.upstream.script({
      structured: true,
      text: JSON.stringify({ memories: [{ text: 'Lives in Rome', kind: 'fact', updates: theirs.id }] }),
    });
    await say(a, 'Tell me about it', conversationId);
    expect((await b.get('/api/memories')).body.memories[0].text).toBe('Lives in Oslo');
    expect(await texts(a)).toEqual(['Lives in Rome']);
  });

  it('an extraction that always fails is tried 5 times, lands in memory-extract-poison, and later jobs complete', async () => {
    const c = await user();
    stack.upstream.script(...Array.from({ length: 5 }, () => ({ structured: true, text: 'not json' })));
    const poisoned = new Promise((r) => stack.host.queues.once('poisoned', r));
    const { messageId } = await say(c, 'I live in Berlin.');
    await poisoned;
    const poison = new QueueClient(stack.azurite.connectionString.replace(/;$/, ''), 'memory-extract-poison');
    const peeked = await poison.peekMessages({ numberOfMessages: 32 });
    const bodies = peeked.peekedMessageItems.map((m) =>
      JSON.parse(Buffer.from(m.messageText, 'base64').toString()),
    );
    expect(bodies).toContainEqual(expect.objectContaining({ messageId }));
    expect(stack.upstream.requests.filter((r) => r.body.response_format !== undefined)).toHaveLength(5);
    expect(await texts(c)).toEqual([]);
    await say(c, 'I speak Dutch.');
    await eventually(async () => (await texts(c)).includes('Speaks Dutch'));
  });
});

describe('recall', () => {
  it('puts a relevant memory in the prompt sent upstream and leaves an unrelated one out', async () => {
    const c = await user();
    await c.post('/api/memories', { text: 'Lives in Lyon' });
    await c.post('/api/memories', { text: 'Is vegetarian', kind: 'fact' });
    await say(c, 'Give me a vegetarian dinner idea');
    expect(lastSystemPrompt()).toContain('Is vegetarian');
    expect(lastSystemPrompt()).not.toContain('Lives in Lyon');
    await say(c, 'Explain how quicksort works');
    expect(lastSystemPrompt()).not.toContain('Is vegetarian');
    expect(lastSystemPrompt()).not.toContain('Lives in Lyon');
  });

  it("never puts one user's memories in another's prompt; a deleted memory is gone for good", async () => {
    const a = await user();
    const b = await user();
    const m = (await a.post('/api/memories', { text: 'Is vegetarian' })).body.memory;
    await say(b, 'Give me a vegetarian dinner idea');
    expect(lastSystemPrompt()).not.toContain('Is vegetarian');
    expect((await a.request('DELETE', `/api/memories/${m.id}`)).status).toBe(204);
    await say(a, 'Give me a vegetarian dinner idea');
    expect(lastSystemPrompt()).not.toContain('Is vegetarian');
  });

  it('memory off: nothing recalled, nothing extracted', async () => {
    const c = await user();
    await c.post('/api/memories', { text: 'Is vegetarian' });
    expect((await c.patch('/api/settings', { memoryEnabled: false })).status).toBe(200);
    await say(c, "I'm vegan. Give me a vegetarian dinner idea");
    expect(lastSystemPrompt()).not.toContain('Is vegetarian');
    expect(stack.upstream.requests.filter((r) => r.body.response_format !== undefined)).toHaveLength(0);
    expect(await texts(c)).toEqual(['Is vegetarian']);
  });

  it('an incognito conversation neither reads nor writes memories', async () => {
    const c = await user();
    await c.post('/api/memories', { text: 'Is vegetarian' });
    const id = (await c.post('/api/conversations', { incognito: true })).body.conversation.id as string;
    await say(c, "I'm vegan. Give me a vegetarian dinner idea", id);
    expect(lastSystemPrompt()).not.toContain('Is vegetarian');
    expect(stack.upstream.requests.filter((r) => r.body.response_format !== undefined)).toHaveLength(0);
    expect(await texts(c)).toEqual(['Is vegetarian']);
  });
});

describe('the memory list', () => {
  it("adds, edits, deletes and forgets; another user's memory is a 404", async () => {
    const a = await user();
    const b = await user();
    const created = await a.post('/api/memories', { text: 'Prefers short answers', kind: 'preference' });
    expect(created.status).toBe(201);
    expect(created.body.memory).toMatchObject({
      text: 'Prefers short answers',
      kind: 'preference',
      source: 'user',
    });
    const id = created.body.memory.id as string;
    expect((await a.patch(`/api/memories/${id}`, { text: 'Prefers long answers' })).body.memory.text).toBe(
      'Prefers long answers',
    );
    expect((await b.patch(`/api/memories/${id}`, { text: 'mine now' })).status).toBe(404);
    expect((await b.request('DELETE', `/api/memories/${id}`)).status).toBe(404);
    expect((await b.get('/api/memories')).body.memories).toEqual([]);
    expect((await a.post('/api/memories', { text: '  ' })).status).toBe(400);
    await a.post('/api/memories', { text: 'Lives in Lyon' });
    await b.post('/api/memories', { text: 'Lives in Oslo' });
    expect((await a.request('DELETE', '/api/memories')).status).toBe(204);
    expect((await a.get('/api/memories')).body.memories).toEqual([]);
    expect(await texts(b)).toEqual(['Lives in Oslo']);
    expect((await a.request('DELETE', `/api/memories/${id}`)).status).toBe(404);
  });
});

describe('the "Memory updated" note', () => {
  const messages = async (c: ApiClient, conversationId: string) =>
    (await c.get(`/api/conversations/${conversationId}`)).body.messages as {
      id: string;
      role: string;
      memoryUpdated: boolean;
    }[];
  const replies = async (c: ApiClient, conversationId: string) =>
    (await messages(c, conversationId)).filter((m) => m.role === 'assistant');

  it('marks the reply whose exchange added a memory, and only that one', async () => {
    const c = await user();
    const first = await say(c, "I'm vegetarian.");
    expect(await texts(c)).toEqual(['Is vegetarian']);
    const second = await say(c, 'Explain how quicksort works', first.conversationId);
    expect((await messages(c, first.conversationId)).map((m) => [m.id, m.role, m.memoryUpdated])).toEqual([
      [expect.any(String), 'user', false],
      [first.messageId, 'assistant', true],
      [expect.any(String), 'user', false],
      [second.messageId, 'assistant', false],
    ]);
  });

  it('an update marks its reply; a repeated fact changes nothing and marks nothing', async () => {
    const c = await user();
    await say(c, 'I live in Lyon.');
    const again = await say(c, 'I live in Lyon.');
    expect(await replies(c, again.conversationId)).toEqual([
      expect.objectContaining({ id: again.messageId, memoryUpdated: false }),
    ]);
    const moved = await say(c, 'Actually I moved to Paris.');
    expect(await texts(c)).toEqual(['Lives in Paris']);
    expect(await replies(c, moved.conversationId)).toEqual([
      expect.objectContaining({ id: moved.messageId, memoryUpdated: true }),
    ]);
  });

  it('an incognito reply is never marked', async () => {
    const c = await user();
    const id = (await c.post('/api/conversations', { incognito: true })).body.conversation.id as string;
    const { messageId } = await say(c, "I'm vegetarian.", id);
    expect(await texts(c)).toEqual([]);
    expect(await replies(c, id)).toEqual([expect.objectContaining({ id: messageId, memoryUpdated: false })]);
  });
});
