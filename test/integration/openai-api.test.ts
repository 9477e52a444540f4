import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerStore } from '../../shared/billing/ledger';
import { worstCase } from '../../shared/billing/metering';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

/**
 * The OpenAI-compatible API, driven by the official `openai` SDK exactly as a user's script
 * would drive it, against the local host with the fake upstream behind it.
 */
let stack: Stack;
const MINI = 'openai/gpt-4o-mini'; // paid, reads images
const TEXT_ONLY = '01-ai/yi-large'; // paid, text only
const PNG_1PX =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

beforeAll(async () => {
  stack = await startStack({
    env: {
      SIGNUP_BONUS_CREDITS: '1000000',
      MEMORY_ENABLED: 'false',
      API_KEY_REQUESTS_PER_MINUTE: '5',
      REGISTRATIONS_PER_CLIENT_PER_HOUR: '1000',
    },
  });
});
afterAll(() => stack.close());

async function account(spendLimitCredits?: number) {
  const web = new ApiClient(stack.url);
  await web.register();
  const created = await web.post('/api/keys', { name: 'my script', spendLimitCredits });
  expect(created.status).toBe(201);
  const secret = created.body.secret as string;
  const sdk = new OpenAI({ baseURL: `${stack.url}/api/v1`, apiKey: secret, maxRetries: 0 });
  return { web, sdk, secret, keyId: created.body.key.id as string };
}

const balance = async (web: ApiClient) => (await web.get('/api/auth/session')).body.user.credits as number;
interface SentBody {
  model: string;
  messages: { role: string; content: string | Record<string, unknown>[] }[];
  [field: string]: unknown;
}
const chatCalls = () =>
  stack.upstream.requests
    .filter((r) => r.path.endsWith('/chat/completions') && !r.body.response_format)
    .map((r) => ({ ...r, body: r.body as SentBody }));

describe('API keys', () => {
  it('shows the secret once, lists the key by prefix only, and never accepts the session cookie on /api/v1', async () => {
    const { web, secret } = await account(5000);
    expect(secret).toMatch(/^gm-[A-Za-z0-9_-]{40,}$/);
    const list = await web.get('/api/keys');
    expect(list.body.keys).toEqual([
      expect.objectContaining({
        name: 'my script',
        spendLimitCredits: 5000,
        spentCredits: 0,
        lastUsedAt: null,
      }),
    ]);
    expect(secret.startsWith(list.body.keys[0].prefix)).toBe(true);
    expect(JSON.stringify(list.body)).not.toContain(secret);

    // The browser's cookie (and CSRF header) buys nothing on the API.
    const withCookie = await web.get('/api/v1/models');
    expect(withCookie.status).toBe(401);
    expect(withCookie.body.error).toMatchObject({ code: 'invalid_api_key', type: 'invalid_request_error' });
  });

  it('refuses bad key input with a 400 naming the field', async () => {
    const web = new ApiClient(stack.url);
    await web.register();
    const res = await web.post('/api/keys', { name: '', spendLimitCredits: -5 });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/name/);
    expect((await web.get('/api/keys')).body.keys).toEqual([]);
  });
});

describe('the official openai SDK against /api/v1', () => {
  it('lists models in OpenAI’s shape', async () => {
    const { sdk } = await account();
    const page = await sdk.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toContain(MINI);
    expect(page.data.find((m) => m.id === MINI)).toMatchObject({ object: 'model', owned_by: 'openai' });
  });

  it('answers a non-streamed completion with the upstream’s text, billed exactly what the usage says', async () => {
    const { web, sdk, keyId } = await account();
    const before = await balance(web);
    stack.upstream.reset();
    stack.upstream.script({ text: 'Paris is the capital of France.' });
    const res = await sdk.chat.completions.create({
      model: MINI,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Capital of France?' },
      ],
      max_tokens: 100,
      temperature: 0.3,
      top_p: 0.9,
      stop: ['\n\n'],
    });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]!.message.content).toBe('Paris is the capital of France.');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    const sent = chatCalls().at(-1)!.body;
    expect(sent).toMatchObject({
      model: MINI,
      max_tokens: 100,
      temperature: 0.3,
      top_p: 0.9,
      stop: ['\n\n'],
    });
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Capital of France?' },
    ]);
    const usage = res.usage as OpenAI.CompletionUsage & { credits: number };
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(usage.credits).toBeGreaterThan(0);
    expect(before - (await balance(web))).toBe(usage.credits);
    // The key's own account of it, and no conversation was made.
    const key = (await web.get('/api/keys')).body.keys.find((k: { id: string }) => k.id === keyId);
    expect(key.spentCredits).toBe(usage.credits);
    expect(key.lastUsedAt).not.toBeNull();
    expect((await web.get('/api/conversations')).body.conversations).toEqual([]);
  });

  it('streams a completion as OpenAI chunks whose text is the upstream’s, usage last when asked', async () => {
    const { web, sdk } = await account();
    const before = await balance(web);
    stack.upstream.script({ chunks: ['One, ', 'two, ', 'three.'] });
    const stream = await sdk.chat.completions.create({
      model: MINI,
      messages: [{ role: 'user', content: 'Count to three.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: (OpenAI.CompletionUsage & { credits?: number }) | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('One, two, three.');
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(before - (await balance(web))).toBe(usage?.credits);
  });

  it('passes image parts to a model that reads images, and names the model that does not', async () => {
    const { web, sdk } = await account();
    stack.upstream.script({ text: 'A single pixel.' });
    const ok = await sdk.chat.completions.create({
      model: MINI,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: PNG_1PX } },
          ],
        },
      ],
    });
    expect(ok.choices[0]!.message.content).toBe('A single pixel.');
    expect(chatCalls().at(-1)!.body.messages[0]!.content[1]).toEqual({
      type: 'image_url',
      image_url: { url: PNG_1PX },
    });

    const callsBefore = chatCalls().length;
    const before = await balance(web);
    const err = await sdk.chat.completions
      .create({
        model: TEXT_ONLY,
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: PNG_1PX } }] }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(400);
    expect((err as APIError).message).toContain(TEXT_ONLY);
    expect(chatCalls().length).toBe(callsBefore);
    expect(await balance(web)).toBe(before);
  });

  it('answers bad requests with OpenAI’s 400 and calls nothing upstream', async () => {
    const { sdk } = await account();
    const callsBefore = chatCalls().length;
    const attempts = [
      () => sdk.chat.completions.create({ model: MINI, messages: [] }),
      () => sdk.chat.completions.create({ model: MINI, messages: [{ role: 'user', content: 'x' }], n: 2 }),
      () =>
        sdk.chat.completions.create({
          model: MINI,
          messages: [{ role: 'user', content: 'x' }],
          tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
        }),
      () =>
        sdk.chat.completions.create({
          model: MINI,
          messages: [{ role: 'user', content: 'x' }],
          max_tokens: -1,
        }),
    ];
    for (const attempt of attempts) {
      const err = (await attempt().catch((e: unknown) => e)) as APIError;
      expect(err).toBeInstanceOf(APIError);
      expect(err.status).toBe(400);
      expect(err.type).toBe('invalid_request_error');
    }
    const unknown = (await sdk.chat.completions
      .create({ model: 'nobody/no-such-model', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)) as APIError;
    expect(unknown.status).toBe(400);
    expect(unknown.message).toContain('nobody/no-such-model');
    expect(chatCalls().length).toBe(callsBefore);
  });

  it('refuses a revoked key with 401 at once', async () => {
    const { web, sdk, keyId } = await account();
    await sdk.models.list();
    expect((await web.request('DELETE', `/api/keys/${keyId}`)).status).toBe(204);
    const err = (await sdk.models.list().catch((e: unknown) => e)) as APIError;
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.code).toBe('invalid_api_key');
    expect((await web.get('/api/keys')).body.keys).toEqual([]);
    // Someone else's key id is not yours to revoke.
    const other = await account();
    expect((await web.request('DELETE', `/api/keys/${other.keyId}`)).status).toBe(404);
    expect((await other.sdk.models.list()).data.length).toBeGreaterThan(0);
  });

  it('stops a stream already running when its key is revoked, billing what was sent', async () => {
    const { web, sdk, keyId } = await account();
    const before = await balance(web);
    stack.upstream.script({ chunks: Array.from({ length: 40 }, (_, i) => `w${i} `), chunkDelayMs: 100 });
    const stream = await sdk.chat.completions.create({
      model: MINI,
      messages: [{ role: 'user', content: 'Talk slowly.' }],
      stream: true,
    });
    let text = '';
    const failure = await (async () => {
      try {
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta.content ?? '';
          if (text.includes('w2 ')) await web.request('DELETE', `/api/keys/${keyId}`);
        }
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(failure).toBeInstanceOf(APIError);
    expect((failure as APIError).message).toMatch(/revoked/);
    expect(text.split(' ').length).toBeLessThan(40);
    // Billed for the part that streamed: something, and less than the whole reply would have cost.
    const charged = before - (await balance(web));
    expect(charged).toBeGreaterThan(0);
  });

  it('refuses a call over the key’s spend limit with 402 insufficient_quota before any upstream call', async () => {
    // The shortest reply worth starting (256 tokens on gpt-4o-mini) holds about 31 credits: 20 cannot.
    const { web, sdk, keyId } = await account(20);
    const callsBefore = chatCalls().length;
    const before = await balance(web);
    const err = (await sdk.chat.completions
      .create({ model: MINI, messages: [{ role: 'user', content: 'hello' }], max_tokens: 4096 })
      .catch((e: unknown) => e)) as APIError;
    expect(err.status).toBe(402);
    expect(err.code).toBe('insufficient_quota');
    expect(err.message).toMatch(/spend limit/);
    expect(chatCalls().length).toBe(callsBefore);
    expect(await balance(web)).toBe(before);
    expect(
      (await web.get('/api/keys')).body.keys.find((k: { id: string }) => k.id === keyId).spentCredits,
    ).toBe(0);
  });

  it('caps calls per minute per key with 429 and Retry-After', async () => {
    const { sdk } = await account();
    for (let i = 0; i < 5; i++) {
      stack.upstream.script({ text: 'ok' });
      await sdk.chat.completions.create({
        model: MINI,
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 10,
      });
    }
    const err = (await sdk.chat.completions
      .create({ model: MINI, messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 })
      .catch((e: unknown) => e)) as APIError;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('rate_limit_exceeded');
    expect(Number(err.headers?.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('a call whose instance died', () => {
  it('is ended by the reaper, its hold released and its prompt billed to the key', async () => {
    const { web, keyId } = await account();
    const userId = (await web.get('/api/auth/session')).body.user.id as string;
    const before = await balance(web);
    const long = new Date(Date.now() - 3_600_000);
    // What a call leaves behind when its instance dies mid-stream: a streaming generation, a hold.
    await stack.db.tx(async (tx) => {
      await tx.exec(
        `INSERT INTO generations (id, user_id, api_key_id, model, status, started_at, updated_at, prompt_tokens, max_tokens)
         VALUES ('gen-dead', $1, $2, $3, 'streaming', $4, $4, 1000, 500)`,
        [userId, keyId, MINI, long],
      );
      await tx.exec(`INSERT INTO holds VALUES ('gen-dead', $1, 400, $2, $3)`, [
        userId,
        long,
        new Date(Date.now() + 60_000),
      ]);
      await tx.exec(`UPDATE users SET held = held + 400 WHERE id = $1`, [userId]);
    });
    expect(await stack.services.chat.reapAbandoned()).toBeGreaterThanOrEqual(1);
    const g = await stack.db.one<{ status: string }>(`SELECT status FROM generations WHERE id = 'gen-dead'`);
    expect(g.status).toBe('failed');
    const u = await stack.db.one<{ held: number }>(`SELECT held FROM users WHERE id = $1`, [userId]);
    expect(Number(u.held)).toBe(0);
    const charged = before - (await balance(web));
    expect(charged).toBeGreaterThan(0);
    const listed = (await web.get('/api/keys')).body.keys.find((k: { id: string }) => k.id === keyId);
    expect(listed.spentCredits).toBe(charged);
  });
});

describe('one key, many calls at once', () => {
  let busy: Stack;
  beforeAll(async () => {
    busy = await startStack({
      env: {
        MEMORY_ENABLED: 'false',
        API_KEY_MAX_CONCURRENT_STREAMS: '100',
        API_KEY_REQUESTS_PER_MINUTE: '1000',
      },
    });
  });
  afterAll(() => busy.close());

  const books = async (userId: string) => {
    const u = await busy.db.one<{ credits: number; held: number }>(
      `SELECT credits, held FROM users WHERE id = $1`,
      [userId],
    );
    const l = await busy.db.one<{ sum: number }>(
      `SELECT coalesce(sum(credits), 0)::bigint AS sum FROM ledger WHERE user_id = $1`,
      [userId],
    );
    return { credits: Number(u.credits), held: Number(u.held), ledgerSum: Number(l.sum) };
  };

  it('with credit for 10 worst cases, 50 streamed calls: the balance never goes below zero and equals the ledger', async () => {
    const web = new ApiClient(busy.url);
    const { user } = await web.register();
    const secret = (await web.post('/api/keys', { name: 'burst' })).body.secret as string;
    const sdk = new OpenAI({ baseURL: `${busy.url}/api/v1`, apiKey: secret, maxRetries: 0 });
    // A worst case without its prompt is below every real hold: at most 10 can start.
    const perCall = worstCase(
      await busy.services.models.require(MINI),
      0,
      1000,
      busy.services.config.PRICE_MARKUP,
    );
    const start = perCall * 10;
    await busy.db.tx((tx) =>
      ledgerStore(tx).apply({
        userId: user.id,
        kind: 'adjustment',
        credits: start,
        reference: 'grant',
        at: new Date(),
      }),
    );
    busy.upstream.script(...Array.from({ length: 50 }, () => ({ chunkDelayMs: 60 })));

    let lowest = Infinity;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const b = await books(user.id);
        lowest = Math.min(lowest, b.credits - b.held, b.credits);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const results = await Promise.all(
      Array.from({ length: 50 }, async () => {
        try {
          const stream = await sdk.chat.completions.create({
            model: MINI,
            messages: [{ role: 'user', content: 'Write me a haiku about ledgers' }],
            max_tokens: 1000,
            stream: true,
            stream_options: { include_usage: true },
          });
          let credits = 0;
          for await (const chunk of stream)
            credits = (chunk.usage as { credits?: number } | undefined)?.credits ?? credits;
          return { ok: true as const, credits };
        } catch (e) {
          return { ok: false as const, status: (e as APIError).status, code: (e as APIError).code };
        }
      }),
    );
    watching = false;
    await watcher;

    const started = results.filter((r) => r.ok);
    expect(started.length).toBeGreaterThan(0);
    expect(started.length).toBeLessThanOrEqual(10);
    for (const r of results.filter((x) => !x.ok)) {
      expect(r).toMatchObject({ status: 402, code: 'insufficient_quota' });
    }
    expect(lowest).toBeGreaterThanOrEqual(0);
    const charged = started.reduce((sum, r) => sum + r.credits, 0);
    const after = await books(user.id);
    expect(after.held).toBe(0);
    expect(after.credits).toBe(after.ledgerSum);
    expect(after.credits).toBe(start - charged);
  });
});
