import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerStore } from '../../shared/billing/ledger';
import { worstCase } from '../../shared/billing/metering';
import { buildPrompt } from '../../shared/chat/prompt';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

const MODEL = 'openai/gpt-4o-mini';
const MAX_TOKENS = 1000;
const MESSAGE = 'Write me a haiku about ledgers';

let stack: Stack;
beforeAll(async () => {
  // Memory extraction bills its own usage after each reply; these books count replies only.
  stack = await startStack({
    env: { MAX_CONCURRENT_STREAMS: '100', FREE_MODEL_PER_MINUTE: '2', MEMORY_ENABLED: 'false' },
  });
});
afterAll(() => stack.close());

async function worstCaseReply(): Promise<number> {
  const model = await stack.services.models.require(MODEL);
  const prompt = buildPrompt({
    system: stack.services.config.SYSTEM_PROMPT,
    history: [],
    message: MESSAGE,
    contextLength: model.contextLength,
    maxTokens: MAX_TOKENS,
  });
  return worstCase(model, prompt.promptTokens, MAX_TOKENS, stack.services.config.PRICE_MARKUP);
}

async function grant(userId: string, credits: number) {
  await stack.db.tx(async (tx) => {
    await ledgerStore(tx).apply({
      userId,
      kind: 'adjustment',
      credits,
      reference: `test-grant:${userId}`,
      at: new Date(),
    });
  });
}

async function balances(userId: string) {
  const user = await stack.db.one<{ credits: number; held: number }>(
    `SELECT credits, held FROM users WHERE id = $1`,
    [userId],
  );
  const ledger = await stack.db.one<{ sum: number }>(
    `SELECT coalesce(sum(credits), 0)::bigint AS sum FROM ledger WHERE user_id = $1`,
    [userId],
  );
  return { credits: Number(user.credits), held: Number(user.held), ledgerSum: Number(ledger.sum) };
}

describe('credits cannot be overspent', () => {
  it('with credit for exactly 10 worst-case replies, 50 at once: at most 10 start, the rest are refused, the books balance', async () => {
    const c = new ApiClient(stack.url);
    const { user } = await c.register();
    const perReply = await worstCaseReply();
    expect(perReply).toBeGreaterThan(0);
    const start = perReply * 10;
    await grant(user.id, start);
    const ids = await Promise.all(Array.from({ length: 50 }, () => c.newConversation()));
    // Slow replies, so every reservation is made while the first ones still stream.
    stack.upstream.script(...Array.from({ length: 50 }, () => ({ chunkDelayMs: 60 })));

    let minAvailable = Infinity;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const b = await balances(user.id);
        minAvailable = Math.min(minAvailable, b.credits - b.held, b.credits);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const results = await Promise.all(
      ids.map((id) => c.stream(id, { content: MESSAGE, model: MODEL, maxTokens: MAX_TOKENS })),
    );
    watching = false;
    await watcher;

    const started = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    expect(started.length).toBeGreaterThan(0);
    expect(started.length).toBeLessThanOrEqual(10);
    for (const r of refused) {
      expect([402, 429]).toContain(r.status);
      expect(['insufficient_credits', 'rate_limited']).toContain(r.error.error.code);
    }
    expect(minAvailable).toBeGreaterThanOrEqual(0);

    const charged = started
      .map((r) => r.events.find((e) => e.event === 'usage')!.data as { credits: number })
      .reduce((sum, u) => sum + u.credits, 0);
    expect(charged).toBeGreaterThan(0);
    const after = await balances(user.id);
    expect(after.held).toBe(0);
    expect(after.credits).toBe(after.ledgerSum);
    expect(after.credits).toBe(start - charged);
    expect(await stack.db.many(`SELECT 1 FROM holds WHERE user_id = $1`, [user.id])).toHaveLength(0);
    // A refused message left nothing behind.
    const stored = await stack.db.one<{ n: number }>(
      `SELECT count(*)::bigint AS n FROM messages WHERE user_id = $1`,
      [user.id],
    );
    expect(Number(stored.n)).toBe(started.length * 2);
  });

  it('with no credit, a paid model answers 402 before any upstream call and stores nothing', async () => {
    const c = new ApiClient(stack.url);
    await c.register();
    const id = await c.newConversation();
    // Title jobs of earlier tests call the upstream too; they must not count as this request's.
    await stack.host.queues.waitIdle(10_000);
    stack.upstream.reset();
    const res = await c.stream(id, { content: 'hi', model: MODEL });
    expect(res.status).toBe(402);
    expect(res.error.error.code).toBe('insufficient_credits');
    expect(stack.upstream.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(0);
    expect((await c.get(`/api/conversations/${id}`)).body.messages).toEqual([]);
  });

  it('a stopped and a failed reply are each billed for what was produced, and the usage page shows them', async () => {
    const c = new ApiClient(stack.url);
    const { user } = await c.register();
    await grant(user.id, 10_000_000);
    await stack.host.queues.waitIdle(10_000);
    stack.upstream.reset();

    stack.upstream.script({ chunks: ['alpha ', 'beta ', 'gamma '], errorAfterChunks: 2 });
    const failedId = await c.newConversation();
    const failed = await c.stream(failedId, { content: 'fail please', model: MODEL });
    expect(failed.events.at(-1)!.event).toBe('error');
    const failedUsage = failed.events.find((e) => e.event === 'usage')!.data as {
      completionTokens: number;
      credits: number;
    };

    await stack.host.queues.waitIdle(10_000);
    stack.upstream.script({ chunkDelayMs: 80, text: 'token '.repeat(300) });
    const stoppedId = await c.newConversation();
    const stopping = c.stream(stoppedId, { content: 'stop me', model: MODEL }, (e) => {
      if (e.event === 'delta') void c.post(`/api/conversations/${stoppedId}/stop`);
    });
    const stopped = await stopping;
    expect(stopped.events.at(-1)).toEqual({ event: 'done', data: { status: 'stopped', reason: 'user' } });
    const stoppedUsage = stopped.events.find((e) => e.event === 'usage')!.data;

    const model = await stack.services.models.require(MODEL);
    const markup = stack.services.config.PRICE_MARKUP;
    for (const [usage, text] of [
      [failedUsage, 'alpha beta '],
      [stoppedUsage, stopped.events.flatMap((e) => (e.event === 'delta' ? [e.data.text] : [])).join('')],
    ] as const) {
      // No usage chunk came: the completion is what we streamed (o200k tokens, padded by 30 %),
      // priced at the catalogue rate.
      expect(usage.completionTokens).toBe(Math.ceil(countO200k(text) * 1.3));
      const promptTokens = (usage as { promptTokens?: number }).promptTokens ?? 0;
      const usd =
        promptTokens * Number(model.promptPrice) + usage.completionTokens * Number(model.completionPrice);
      expect(usage.credits).toBe(Math.ceil(usd * 100_000 * markup - 1e-6));
    }

    await stack.host.queues.waitIdle(10_000);
    const b = await balances(user.id);
    expect(b.credits).toBe(b.ledgerSum);
    const usage = (await c.get('/api/billing/usage?days=7')).body;
    const row = usage.byModel.find((m: { model: string }) => m.model === MODEL);
    expect(row.replies).toBe(2);
    expect(row.credits).toBe(failedUsage.credits + stoppedUsage.credits);
    expect(usage.byDay.reduce((s: number, d: { credits: number }) => s + d.credits, 0)).toBe(
      10_000_000 - b.credits,
    );

    const ledger = (await c.get('/api/billing/ledger?limit=2')).body;
    expect(ledger.entries.map((e: { kind: string }) => e.kind)).toEqual(['usage', 'usage']);
    expect(ledger.entries[0].balanceAfter).toBe(b.credits);
    const rest = (await c.get(`/api/billing/ledger?limit=10&cursor=${ledger.nextCursor}`)).body;
    expect(rest.entries.map((e: { kind: string }) => e.kind)).toEqual(['adjustment']);
    expect(rest.nextCursor).toBeNull();
  });

  it('free models cost nothing but are rate-limited per user, with Retry-After', async () => {
    const c = new ApiClient(stack.url);
    await c.register();
    const id = await c.newConversation();
    const free = 'meta-llama/llama-3.3-70b-instruct:free';
    for (let i = 0; i < 2; i++) {
      const ok = await c.stream(id, { content: `free ${i}`, model: free });
      expect(ok.status).toBe(200);
      expect((ok.events.find((e) => e.event === 'usage')!.data as { credits: number }).credits).toBe(0);
    }
    const limited = await c.stream(id, { content: 'one too many', model: free });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
