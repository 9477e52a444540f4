import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, deltas } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  // A short deadline, so a reply that streams on past it is ended by the live replies' tick.
  stack = await startStack({ timings: { deadlineMs: 1500 }, env: { MEMORY_ENABLED: 'false' } });
});
afterAll(() => stack.close());

describe('a reply that reaches the deadline', () => {
  it('ends cleanly with done (stopped, time_limit), keeps its text and is billed for it', async () => {
    const c = new ApiClient(stack.url);
    await c.register();
    const id = await c.newConversation();
    stack.upstream.script({ chunks: Array.from({ length: 200 }, (_, i) => `w${i} `), chunkDelayMs: 50 });
    const res = await c.stream(id, { content: 'hello', model: 'meta-llama/llama-3.2-3b-instruct:free' });
    expect(res.status).toBe(200);
    expect(res.events.at(-1)).toEqual({ event: 'done', data: { status: 'stopped', reason: 'time_limit' } });
    const text = deltas(res.events);
    expect(text.length).toBeGreaterThan(0);
    // Far fewer than the 200 chunks the upstream would have sent.
    expect(text.split(' ').length).toBeLessThan(150);
    const reply = (await c.get(`/api/conversations/${id}`)).body.messages[1];
    expect(reply).toMatchObject({ status: 'stopped', content: text });
  });
});
