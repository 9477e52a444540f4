import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXTRACTION_CONTEXT } from '../../shared/memory/service';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

/** Memories whose vectors live in the vector store: what a user sees of that, through the app. */
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

async function say(c: ApiClient, content: string) {
  const id = await c.newConversation();
  const { events } = await c.stream(id, { content, model: MODEL });
  expect(events.at(-1)!.event).toBe('done');
  await stack.host.queues.waitIdle(10_000);
}

const add = async (c: ApiClient, text: string) => {
  const res = await c.post('/api/memories', { text });
  expect(res.status).toBe(201);
  return res.body.memory as { id: string; text: string };
};

const lastSystemPrompt = () => {
  const chats = stack.upstream.requests.filter((r) => r.body.stream === true);
  const messages = chats.at(-1)!.body.messages as { role: string; content: string }[];
  return messages.find((m) => m.role === 'system')!.content;
};

const extractionPrompt = () => {
  const calls = stack.upstream.requests.filter((r) => r.body.response_format !== undefined);
  const messages = calls.at(-1)!.body.messages as { role: string; content: string }[];
  return messages.find((m) => m.role === 'user')!.content;
};

describe('memories in the vector store', () => {
  it('an edited memory is recalled by its new words, not its old ones', async () => {
    const c = await user();
    const m = await add(c, 'Keeps bees in the garden');
    expect((await c.patch(`/api/memories/${m.id}`, { text: 'Plays the cello in an orchestra' })).status).toBe(
      200,
    );
    await say(c, 'Which cello strings should I buy for the orchestra?');
    expect(lastSystemPrompt()).toContain('Plays the cello in an orchestra');
    await say(c, 'How do I keep bees in a garden?');
    expect(lastSystemPrompt()).not.toContain('cello');
    expect(lastSystemPrompt()).not.toContain('bees in the garden');
  });

  it('forget everything leaves no vector behind, and a memory added again is the only one recalled', async () => {
    const c = await user();
    await add(c, 'Collects antique maps of Norway');
    await add(c, 'Keeps a diary in Norwegian');
    expect((await c.request('DELETE', '/api/memories')).status).toBe(204);
    const left = await stack.db.one<{ n: number }>(
      'SELECT count(*)::int AS n FROM memory_vectors WHERE user_id = $1',
      [c.userId],
    );
    expect(left.n).toBe(0);
    await add(c, 'Collects antique maps of Peru');
    await say(c, 'Where can I buy antique maps?');
    const prompt = lastSystemPrompt();
    expect(prompt).toContain('Collects antique maps of Peru');
    expect(prompt).not.toContain('Norway');
  });

  it(`the extractor is shown at most ${EXTRACTION_CONTEXT} memories, among them the ones nearest what the user said`, async () => {
    const c = await user();
    for (let i = 0; i < EXTRACTION_CONTEXT + 20; i++) await add(c, `Owns a lamp numbered ${i}`);
    const sailing = await add(c, 'Sails a small dinghy on the lake');
    for (let i = 0; i < 15; i++) await add(c, `Reads the newspaper number ${i}`);
    await say(c, 'I sail my dinghy on the lake every weekend.');
    const listed = extractionPrompt()
      .split('\n')
      .filter((l) => /^\[[^\]]+\] /.test(l));
    expect(listed.length).toBeLessThanOrEqual(EXTRACTION_CONTEXT);
    expect(listed).toContain(`[${sailing.id}] ${sailing.text}`);
  });
});
