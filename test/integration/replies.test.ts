import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ledgerStore } from '../../shared/billing/ledger';
import { createStreamParser, type StreamEvent } from '../../shared/contracts/chat-stream';
import { ApiClient, deltas } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

/** What a reply does at the edges of money and time: caps, cost paths, losses, hangs, crashes, reloads. */
let stack: Stack;
const MINI = 'openai/gpt-4o-mini'; // US$0.15 / 0.60 per million tokens
const OPUS = 'anthropic/claude-3-opus'; // US$15 / 75 per million tokens
const O1_PRO = 'openai/o1-pro'; // US$150 / 600 per million tokens

beforeAll(async () => {
  // Memory extraction is billed after each reply; the balances here count replies alone.
  stack = await startStack({ env: { MEMORY_ENABLED: 'false' } });
});
afterAll(() => stack.close());
beforeEach(async () => {
  await stack.host.queues.waitIdle(10_000);
  stack.upstream.reset();
});

async function userWith(credits: number) {
  const c = new ApiClient(stack.url);
  const { user } = await c.register();
  if (credits > 0) {
    await stack.db.tx((tx) =>
      ledgerStore(tx).apply({
        userId: user.id,
        kind: 'grant',
        credits,
        reference: `test:${user.id}`,
        at: new Date(),
      }),
    );
  }
  return { c, userId: user.id };
}

const balance = (userId: string) =>
  stack.db.one<{ credits: number; held: number; ledger: number }>(
    `SELECT credits, held, (SELECT COALESCE(sum(credits), 0)::bigint FROM ledger WHERE user_id = $1) AS ledger
       FROM users WHERE id = $1`,
    [userId],
  );
const startOf = (events: StreamEvent[]) =>
  events[0]!.data as { messageId: string; userMessageId: string; maxTokens: number };
const usageOf = (events: StreamEvent[]) => events.find((e) => e.event === 'usage')!.data;
/** Replies only: memory extraction (structured output) runs after each reply. */
const chatRequests = () =>
  stack.upstream.requests.filter(
    (r) => r.path.endsWith('/chat/completions') && r.body.response_format === undefined,
  );

describe('the balance caps the reply instead of refusing it', () => {
  it('with $4.83 left, o1-pro answers with a shorter reply, and says it was cut by the balance', async () => {
    const { c, userId } = await userWith(483_000);
    const id = await c.newConversation();
    stack.upstream.script({ text: 'word '.repeat(6000) });
    const res = await c.stream(id, { content: 'Write a long essay', model: O1_PRO });
    expect(res.status).toBe(200);
    const { maxTokens } = startOf(res.events);
    // 4,096 tokens at 120 credits each would need 491,520; what the balance holds is less, but useful.
    expect(maxTokens).toBeLessThan(4096);
    expect(maxTokens).toBeGreaterThanOrEqual(256);
    expect(chatRequests()[0]!.body.max_tokens).toBe(maxTokens);
    expect(res.events.at(-1)).toEqual({ event: 'done', data: { status: 'complete', reason: 'balance' } });
    const b = await balance(userId);
    expect(b.credits).toBeGreaterThanOrEqual(0);
    expect(b).toEqual({ credits: b.ledger, held: 0, ledger: b.ledger });
    const reply = (await c.get(`/api/conversations/${id}`)).body.messages[1];
    expect(reply).toMatchObject({ finishReason: 'balance', maxTokens });
  });

  it('below MIN_REPLY_TOKENS it is a 402 naming what is needed; a refused first message leaves no chat listed', async () => {
    const { c, userId } = await userWith(1000);
    const id = await c.newConversation();
    const res = await c.stream(id, { content: '漢'.repeat(600), model: OPUS });
    expect(res.status).toBe(402);
    expect(res.error.error.code).toBe('insufficient_credits');
    expect(res.error.error.message).toMatch(
      /^This reply needs at least [\d,]+ credits .* and 1,000 are available\./,
    );
    expect(chatRequests()).toHaveLength(0);
    expect((await c.get('/api/conversations')).body.conversations).toEqual([]);
    // The conversation itself is still there to return to (after buying credits), empty.
    expect((await c.get(`/api/conversations/${id}`)).body.messages).toEqual([]);
    expect(await balance(userId)).toEqual({ credits: 1000, held: 0, ledger: 1000 });
  });

  it('the hold for 600 × 漢 covers what Claude really charged for it (1,905 credits measured)', async () => {
    const { c, userId } = await userWith(1_000_000);
    const id = await c.newConversation();
    const res = await c.stream(id, { content: '漢'.repeat(600), model: OPUS, maxTokens: 256 });
    expect(res.events.at(-1)?.event).toBe('done');
    const { held } = await stack.db.one<{ held: number }>(
      `SELECT hold_credits AS held FROM usage_records WHERE user_id = $1 AND purpose = 'reply'`,
      [userId],
    );
    // The reply part of the hold: 256 tokens × US$75/M × 2 markup = 3,840 credits; the rest is the prompt's.
    expect(held - 3840).toBeGreaterThanOrEqual(1905);
  });
});

describe('what a reply is charged', () => {
  it("is OpenRouter's usage.cost when it differs from tokens × price", async () => {
    const { c, userId } = await userWith(1_000_000);
    const id = await c.newConversation();
    stack.upstream.script({ text: 'Short answer.', cost: 0.0005 });
    const res = await c.stream(id, { content: 'hi', model: MINI });
    // US$0.0005 × 100,000 × 2 = 100 credits; tokens × price would be about 1.
    expect(usageOf(res.events).credits).toBe(100);
    expect((await balance(userId)).credits).toBe(1_000_000 - 100);
  });

  it('never more than its hold; the rest is recorded as a loss the operator can query', async () => {
    const { c, userId } = await userWith(1_000_000);
    const id = await c.newConversation();
    stack.upstream.script({ text: 'Expensive.', cost: 1 });
    const res = await c.stream(id, { content: 'hi', model: MINI, maxTokens: 1000 });
    const charged = usageOf(res.events).credits;
    const row = await stack.db.one<{ hold_credits: number; loss_credits: number }>(
      `SELECT hold_credits, loss_credits FROM usage_records WHERE user_id = $1 AND purpose = 'reply'`,
      [userId],
    );
    const hold = row.hold_credits;
    // About 10 prompt tokens and 1,000 reply tokens at 0.12 credits each.
    expect(hold).toBeGreaterThan(120);
    expect(hold).toBeLessThan(130);
    expect(charged).toBe(hold);
    // US$1 × 100,000 × 2 = 200,000 credits priced; the hold took the rest as our loss.
    expect(row.loss_credits).toBe(200_000 - hold);
    expect((await balance(userId)).credits).toBe(1_000_000 - hold);
  });

  it('without a usage chunk, at most its reply length', async () => {
    const { c } = await userWith(1_000_000);
    const id = await c.newConversation();
    stack.upstream.script({ text: '漢字のテスト '.repeat(100), noUsage: true });
    const res = await c.stream(id, { content: 'hi', model: MINI, maxTokens: 50 });
    const text = deltas(res.events);
    // The fake cut the text at 50 × 4 characters; padded o200k counts more than 50 tokens for it.
    expect(Math.ceil(countO200k(text) * 1.3)).toBeGreaterThan(50);
    expect(usageOf(res.events).completionTokens).toBe(50);
  });
});

describe('replies that go quiet, die or are reloaded', () => {
  it('a hung upstream fails after UPSTREAM_IDLE_SECONDS with a reason, and the reply is kept as failed', async () => {
    const quick = await startStack({ timings: { idleMs: 1000 } });
    try {
      const c = new ApiClient(quick.url);
      await c.register();
      const id = await c.newConversation();
      quick.upstream.script({ hang: true });
      const began = Date.now();
      const res = await c.stream(id, { content: 'hello', model: 'meta-llama/llama-3.2-3b-instruct:free' });
      expect(Date.now() - began).toBeLessThan(5000);
      expect(res.events.at(-1)).toEqual({
        event: 'error',
        data: {
          code: 'upstream_timeout',
          message: 'The model sent nothing for 1 s, so the reply was stopped. Retry, or pick another model.',
        },
      });
      const reply = (await c.get(`/api/conversations/${id}`)).body.messages[1];
      expect(reply).toMatchObject({ status: 'failed', error: { code: 'upstream_timeout' } });
    } finally {
      await quick.close();
    }
  });

  it('a reply whose instance stopped refreshing it is failed, billed and its slot freed within a minute', async () => {
    let now = new Date('2026-12-01T10:00:00Z');
    // Nothing refreshes the row on its own here: the reply looks like one whose instance died.
    const crashy = await startStack({
      clock: { now: () => now },
      env: { MAX_CONCURRENT_STREAMS: '1', MEMORY_ENABLED: 'false' },
      timings: { refreshMs: 3_600_000, idleMs: 3_600_000 },
    });
    try {
      const c = new ApiClient(crashy.url);
      const { user } = await c.register();
      await crashy.db.tx((tx) =>
        ledgerStore(tx).apply({
          userId: user.id,
          kind: 'grant',
          credits: 1_000_000,
          reference: 'seed',
          at: now,
        }),
      );
      const id = await c.newConversation();
      crashy.upstream.script({ hang: true });
      let started!: () => void;
      const startedP = new Promise<void>((r) => (started = r));
      const dead = c.stream(id, { content: 'hello', model: MINI }, (e) => {
        if (e.event === 'start') started();
      });
      await startedP;
      const busy = await c.stream(await c.newConversation(), { content: 'again', model: MINI });
      expect(busy.status).toBe(429);

      now = new Date(now.getTime() + 61_000);
      // The slot is free as soon as the row is a minute old, before the reaper even runs…
      crashy.upstream.script({ text: 'fine' });
      const next = await c.stream(await c.newConversation(), { content: 'again', model: MINI });
      expect(next.events.at(-1)?.event).toBe('done');
      // …and the reaper fails it, bills what it streamed (the prompt; no text arrived) and frees the hold.
      expect(await crashy.services.chat.reapAbandoned()).toBe(1);
      const reply = (await c.get(`/api/conversations/${id}`)).body.messages[1];
      expect(reply).toMatchObject({ status: 'failed', error: { code: 'interrupted' } });
      expect(reply.usage.completionTokens).toBe(0);
      const b = await crashy.db.one<{ credits: number; held: number }>(
        `SELECT credits, held FROM users WHERE id = $1`,
        [user.id],
      );
      expect(b.held).toBe(0);

      // The relay, still running here, learns it was reaped when it ends: it bills nothing twice.
      await c.post(`/api/conversations/${id}/stop`);
      const ended = await dead;
      expect(ended.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'interrupted' } });
      const ledger = await crashy.db.many(`SELECT 1 FROM ledger WHERE user_id = $1 AND kind = 'usage'`, [
        user.id,
      ]);
      expect(ledger).toHaveLength(2);
      const after = await crashy.db.one<{ credits: number }>(`SELECT credits FROM users WHERE id = $1`, [
        user.id,
      ]);
      expect(after.credits).toBe(b.credits);
    } finally {
      await crashy.close();
    }
  });

  it('a reload mid-reply resumes from the text already shown and ends with exactly the stored reply', async () => {
    const { c } = await userWith(1_000_000);
    const id = await c.newConversation();
    const words = Array.from({ length: 30 }, (_, i) => `w${i} `);
    stack.upstream.script({ chunks: words, chunkDelayMs: 60 });
    const controller = new AbortController();
    let shown = '';
    let messageId = '';
    const first = fetch(`${stack.url}/api/conversations/${id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: c.cookie!, 'x-csrf-token': c.csrf! },
      body: JSON.stringify({ content: 'count', model: MINI }),
      signal: controller.signal,
    });
    // Read until a few words are in, then "reload": drop the stream and resume from what is shown.
    const parser = createStreamParser();
    const reader = (await first).body!.getReader();
    const decoder = new TextDecoder();
    while (shown.split(' ').length < 6) {
      const { value } = await reader.read();
      for (const e of parser.push(decoder.decode(value, { stream: true }))) {
        if (e.event === 'start') messageId = e.data.messageId;
        if (e.event === 'delta') shown += e.data.text;
      }
    }
    controller.abort();
    const resumed = await c.resume(id, messageId, shown.length);
    expect(resumed.status).toBe(200);
    expect(resumed.events.at(-1)).toEqual({ event: 'done', data: { status: 'complete' } });
    const whole = shown + deltas(resumed.events);
    expect(whole).toBe(words.join(''));
    const stored = (await c.get(`/api/conversations/${id}`)).body.messages[1];
    expect(stored.content).toBe(whole);

    // Once finished, a resume gives the rest at once.
    const late = await c.resume(id, messageId, 3);
    expect(deltas(late.events)).toBe(whole.slice(3));
    expect(late.events.at(-1)?.event).toBe('done');
  });
});
