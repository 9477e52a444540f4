import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

/**
 * Titles and memory extraction run on a model of their own after each reply, billed to the user
 * afterwards. A user with no credit who chats on a free model must not make the operator pay for
 * them: without credit for a paid helper model, the work is skipped (a title from the first words).
 */
let stack: Stack;
const FREE = 'meta-llama/llama-3.3-70b-instruct:free';

beforeAll(async () => {
  stack = await startStack({
    env: {
      SIGNUP_BONUS_CREDITS: '0',
      TITLE_MODEL: 'openai/gpt-4o-mini',
      MEMORY_MODEL: 'openai/gpt-4o-mini',
      REGISTRATIONS_PER_CLIENT_PER_HOUR: '1000',
    },
  });
});
afterAll(() => stack.close());

const helperCalls = () =>
  stack.upstream.requests.filter(
    (r) => r.path.endsWith('/chat/completions') && r.body.model === 'openai/gpt-4o-mini',
  );

describe('work after a reply, for a user without credit', () => {
  it('calls no paid title or memory model, and names the chat from its first words', async () => {
    const c = new ApiClient(stack.url);
    await c.register();
    const id = await c.newConversation();
    stack.upstream.reset();
    stack.upstream.script({ text: 'Noted: vegetarian, in Lyon.' });
    const res = await c.stream(id, { content: "I'm vegetarian and I live in Lyon", model: FREE });
    expect(res.events.at(-1)).toEqual({ event: 'done', data: { status: 'complete' } });
    await stack.host.queues.waitIdle(10_000);
    expect(helperCalls()).toEqual([]);
    const conversation = (await c.get(`/api/conversations/${id}`)).body.conversation;
    expect(conversation.title).toBe("I'm vegetarian and I live in");
    expect((await c.get('/api/memories')).body.memories).toEqual([]);
    expect((await c.get('/api/billing/ledger')).body.entries).toEqual([]);
  });
});
