import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let alice: ApiClient;
let bob: ApiClient;
beforeAll(async () => {
  stack = await startStack({ env: { SIGNUP_BONUS_CREDITS: '10000000' } });
  alice = new ApiClient(stack.url);
  bob = new ApiClient(stack.url);
  await alice.register();
  await bob.register();
});
afterAll(() => stack.close());

const MODEL = 'openai/gpt-4o-mini';
const OTHER = 'anthropic/claude-3.5-haiku';

/** One exchange in a new conversation of Alice's; the ids of the question and the reply. */
async function exchange(model = MODEL) {
  const id = await alice.newConversation();
  stack.upstream.script({ text: 'An answer.' });
  const res = await alice.stream(id, { content: 'A question', model });
  expect(res.error ?? res.events.at(-1)?.event).toBe('done');
  await stack.host.queues.waitIdle(10_000);
  const start = res.events[0]!.data as { userMessageId: string; messageId: string };
  return { id, question: start.userMessageId, reply: start.messageId };
}

const feedbackOf = async (id: string, messageId: string) =>
  ((await alice.get(`/api/conversations/${id}`)).body.messages as { id: string; feedback: unknown }[]).find(
    (m) => m.id === messageId,
  )!.feedback;

describe('feedback', () => {
  it('rates a reply, replaces the rating, shows it with the conversation, and clears it', async () => {
    const { id, reply } = await exchange();
    expect(await feedbackOf(id, reply)).toBeNull();

    const up = await alice.request('PUT', `/api/messages/${reply}/feedback`, {
      rating: 'up',
      comment: ' Spot on ',
    });
    expect(up.status).toBe(200);
    expect(up.body.feedback).toMatchObject({ messageId: reply, rating: 'up', comment: 'Spot on' });
    expect(await feedbackOf(id, reply)).toEqual({ rating: 'up', comment: 'Spot on' });

    const down = await alice.request('PUT', `/api/messages/${reply}/feedback`, { rating: 'down' });
    expect(down.status).toBe(200);
    expect(await feedbackOf(id, reply)).toEqual({ rating: 'down', comment: null });

    expect((await alice.request('DELETE', `/api/messages/${reply}/feedback`)).status).toBe(204);
    expect(await feedbackOf(id, reply)).toBeNull();
    // Clearing what is not there is fine; the message still exists.
    expect((await alice.request('DELETE', `/api/messages/${reply}/feedback`)).status).toBe(204);
  });

  it('only replies can be rated, only by their owner, only with a valid rating', async () => {
    const { id, question, reply } = await exchange();
    const own = await alice.request('PUT', `/api/messages/${question}/feedback`, { rating: 'up' });
    expect(own.status).toBe(400);
    expect(own.body.error.code).toBe('invalid_request');

    for (const [method, body] of [
      ['PUT', { rating: 'down' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await bob.request(method, `/api/messages/${reply}/feedback`, body);
      expect(res.status, method).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect(
      (await alice.request('PUT', '/api/messages/no-such-message/feedback', { rating: 'up' })).status,
    ).toBe(404);
    expect((await alice.request('DELETE', '/api/messages/no-such-message/feedback')).status).toBe(404);
    for (const body of [
      { rating: 'meh' },
      {},
      { rating: 'up', comment: 'x'.repeat(2001) },
      { rating: 'up', extra: 1 },
    ]) {
      expect(
        (await alice.request('PUT', `/api/messages/${reply}/feedback`, body)).status,
        JSON.stringify(body),
      ).toBe(400);
    }
    expect(
      (await alice.request('PUT', `/api/messages/${reply}/feedback`, { rating: 'up' }, { csrf: false }))
        .status,
    ).toBe(403);
    expect(await feedbackOf(id, reply)).toBeNull();
  });

  it('counts ratings by model for the usage page', async () => {
    const carolStart = await exchange(MODEL);
    const second = await exchange(MODEL);
    const third = await exchange(OTHER);
    // Alice rated earlier replies in the other tests too: count from a clean slate of her own.
    const before = (await alice.get('/api/feedback?days=30')).body.byModel as {
      model: string;
      up: number;
      down: number;
    }[];
    const base = (model: string) => before.find((r) => r.model === model) ?? { up: 0, down: 0 };
    await alice.request('PUT', `/api/messages/${carolStart.reply}/feedback`, { rating: 'up' });
    await alice.request('PUT', `/api/messages/${second.reply}/feedback`, {
      rating: 'down',
      comment: 'Wrong',
    });
    await alice.request('PUT', `/api/messages/${third.reply}/feedback`, { rating: 'up' });
    const res = await alice.get('/api/feedback?days=30');
    expect(res.status).toBe(200);
    const rows = res.body.byModel as { model: string; up: number; down: number }[];
    expect(rows.find((r) => r.model === MODEL)).toEqual({
      model: MODEL,
      up: base(MODEL).up + 1,
      down: base(MODEL).down + 1,
    });
    expect(rows.find((r) => r.model === OTHER)).toEqual({
      model: OTHER,
      up: base(OTHER).up + 1,
      down: base(OTHER).down,
    });
    expect((await bob.get('/api/feedback')).body.byModel).toEqual([]);
    expect((await alice.get('/api/feedback?days=0')).status).toBe(400);
  });
});
