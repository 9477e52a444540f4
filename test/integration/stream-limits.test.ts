import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

const MODEL = 'openai/gpt-4o-mini';

let small: Stack;
beforeAll(async () => {
  small = await startStack({ env: { MAX_CONCURRENT_STREAMS: '1', SIGNUP_BONUS_CREDITS: '1000000' } });
});
afterAll(() => small.close());

describe('concurrent streams per user', () => {
  it('a second stream while one runs is 429 with Retry-After', async () => {
    const c = new ApiClient(small.url);
    await c.register();
    const [a, b] = [await c.newConversation(), await c.newConversation()];
    small.upstream.script({ hang: true });
    let release!: () => void;
    const started = new Promise<void>((r) => (release = r));
    const running = c.stream(a, { content: 'hang', model: MODEL }, (e) => e.event === 'start' && release());
    await started;
    const second = await c.stream(b, { content: 'me too', model: MODEL });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBeTruthy();
    await c.post(`/api/conversations/${a}/stop`);
    expect((await running).events.at(-1)).toEqual({
      event: 'done',
      data: { status: 'stopped', reason: 'user' },
    });
  });
});
