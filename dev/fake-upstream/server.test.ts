import OpenAI, { APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './server';

const MODEL = 'openai/gpt-4o-mini'; // $0.15 / $0.60 per million tokens
const REASONING_MODEL = 'deepseek/deepseek-r1';

let up: FakeUpstream;
let client: OpenAI;

beforeAll(async () => {
  up = await startFakeUpstream();
  client = new OpenAI({ apiKey: 'x', baseURL: up.url, maxRetries: 0 });
});
afterAll(() => up.close());
beforeEach(() => up.reset());

async function streamChunks(content: string, extra: Record<string, unknown> = {}) {
  const stream = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content }],
    stream: true,
    ...extra,
  });
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const textOf = (chunks: ChatCompletionChunk[]) =>
  chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');

describe('fake upstream chat completions', () => {
  it('streams a deterministic echo reply in a few dozen chunks', async () => {
    const first = await streamChunks('Hello there, fake model');
    const second = await streamChunks('Hello there, fake model');
    const text = textOf(first);
    expect(text.startsWith('Echo: Hello there, fake model. ')).toBe(true);
    expect(text).toBe(textOf(second));
    const contentChunks = first.filter((c) => c.choices[0]?.delta.content);
    expect(contentChunks.length).toBeGreaterThanOrEqual(20);
    expect(contentChunks.length).toBeLessThanOrEqual(40);

    const whole = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hello there, fake model' }],
    });
    expect(whole.choices[0]?.message.content).toBe(text);
    expect(whole.choices[0]?.finish_reason).toBe('stop');
  });

  it('puts usage with cost only on the last chunk', async () => {
    const content = 'x'.repeat(40);
    const chunks = await streamChunks(content, { stream_options: { include_usage: true } });
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(chunks.slice(0, -1).every((c) => !c.usage)).toBe(true);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');

    const usage = last?.usage as OpenAI.CompletionUsage & { cost: number };
    const replyChars = textOf(chunks).length;
    expect(usage.prompt_tokens).toBe(10);
    expect(usage.completion_tokens).toBe(Math.ceil(replyChars / 4));
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(usage.cost).toBeCloseTo(10 * 0.00000015 + usage.completion_tokens * 0.0000006, 15);
  });

  it('emits reasoning deltas first for reasoning models', async () => {
    const stream = await client.chat.completions.create({
      model: REASONING_MODEL,
      messages: [{ role: 'user', content: 'Think first' }],
      stream: true,
    });
    const kinds: string[] = [];
    for await (const chunk of stream) {
      // OpenRouter's `reasoning` delta is not in the SDK's types.
      const delta: { content?: string | null; reasoning?: string } | undefined = chunk.choices[0]?.delta;
      if (delta?.reasoning) kinds.push('r');
      else if (delta?.content) kinds.push('c');
    }
    const reasoningCount = kinds.lastIndexOf('r') + 1;
    expect(reasoningCount).toBeGreaterThanOrEqual(2);
    expect(reasoningCount).toBeLessThanOrEqual(4);
    expect(kinds.slice(0, reasoningCount).every((k) => k === 'r')).toBe(true);
  });

  it('honours max_tokens with finish_reason "length"', async () => {
    const chunks = await streamChunks('Long please #long', { max_tokens: 10 });
    expect(textOf(chunks).length).toBeLessThanOrEqual(40);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('length');
    expect(chunks.at(-1)?.usage?.completion_tokens).toBeLessThanOrEqual(10);
  });

  it('answers title requests with a short title', async () => {
    const res = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: 'Write a short title for this conversation.' },
        { role: 'user', content: 'how do I bake sourdough bread at home, quickly?' },
      ],
    });
    expect(res.choices[0]?.message.content).toBe('How do I bake sourdough bread');
  });

  it('accepts content as an array of parts', async () => {
    const res = await client.chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
      ],
    });
    expect(res.choices[0]?.message.content).toMatch(/^Echo: What is this\?\. /);
    expect(res.usage?.prompt_tokens).toBe(Math.ceil('What is this?'.length / 4));
  });

  it('rejects unknown models the way OpenRouter does', async () => {
    const err = await client.chat.completions
      .create({ model: 'nope/nothing', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(400);
    expect((err as APIError).message).toContain('nope/nothing is not a valid model ID');
  });

  it('rejects malformed JSON and unknown paths', async () => {
    const bad = await fetch(`${up.url}/chat/completions`, { method: 'POST', body: '{oops' });
    expect(bad.status).toBe(400);
    const missing = await fetch(`${up.url}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 404 } });
  });

  it('records requests and clears them on reset', async () => {
    await streamChunks('recorded');
    expect(up.requests).toHaveLength(1);
    expect(up.requests[0]?.path).toBe('/v1/chat/completions');
    expect(up.requests[0]?.body.model).toBe(MODEL);
    expect(up.requests[0]?.headers.authorization).toBe('Bearer x');
    up.reset();
    expect(up.requests).toHaveLength(0);
  });
});

describe('fake upstream failure modes', () => {
  it('surfaces a scripted 429 with Retry-After as an APIError', async () => {
    up.script({ status: 429, retryAfter: 7 });
    const err = await streamChunks('hi').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(429);
    expect((err as APIError).headers?.get('retry-after')).toBe('7');
  });

  it('lets the SDK retry after Retry-After and consumes steps in order', async () => {
    const retrying = new OpenAI({ apiKey: 'x', baseURL: up.url, maxRetries: 1 });
    up.script({ status: 429, retryAfter: 0 }, { text: 'second time lucky' });
    const res = await retrying.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.choices[0]?.message.content).toBe('second time lucky');
    expect(up.requests).toHaveLength(2);
  });

  it('throws an APIError on a mid-stream error chunk', async () => {
    up.script({ errorAfterChunks: 3 });
    const seen: string[] = [];
    const run = async () => {
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    };
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).message).toContain('Upstream provider error');
    expect(seen).toHaveLength(3);
  });

  it('ends the loop when [DONE] is missing', async () => {
    up.script({ noDone: true, chunks: ['a', 'b', 'c'] });
    const chunks = await streamChunks('hi');
    expect(textOf(chunks)).toBe('abc');
    expect(chunks.at(-1)?.usage).toBeTruthy();
  });

  it('sends comment lines that the SDK ignores', async () => {
    const chunks = await streamChunks('Lots of chunks #long');
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(250);

    const raw = await fetch(`${up.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'raw' }], stream: true }),
    });
    const body = await raw.text();
    expect(body.startsWith(': OPENROUTER PROCESSING\n\n')).toBe(true);
    expect(body.match(/^: OPENROUTER PROCESSING$/gm)?.length).toBeGreaterThan(1);
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('omits usage or cost when scripted', async () => {
    up.script({ noUsage: true }, { noCost: true });
    expect((await streamChunks('a')).some((c) => c.usage)).toBe(false);
    const usage = (await streamChunks('b')).at(-1)?.usage;
    expect(usage?.total_tokens).toBeGreaterThan(0);
    expect(usage).not.toHaveProperty('cost');
  });

  it('triggers failures from directives typed in the message', async () => {
    const err = await streamChunks('please fail #error-402').catch((e: unknown) => e);
    expect((err as APIError).status).toBe(402);
    up.script({ text: 'script wins' });
    expect(textOf(await streamChunks('#error-503'))).toBe('script wins');
  });

  it('accepts scripts and resets over HTTP', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${up.url.replace(/\/v1$/, '')}${path}`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post('/__script', { steps: [{ text: 'via http' }] })).status).toBe(200);
    expect(textOf(await streamChunks('hi'))).toBe('via http');
    expect((await post('/__script', { steps: [{ bogus: true }] })).status).toBe(400);
    await post('/__script', { steps: [{ text: 'dropped' }] });
    await post('/__reset', {});
    expect(textOf(await streamChunks('hi'))).not.toBe('dropped');
  });

  it('stops cleanly when the client breaks out of a slow stream', async () => {
    up.script({ chunkDelayMs: 50 });
    const started = Date.now();
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let seen = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content && ++seen === 2) break;
    }
    expect(Date.now() - started).toBeLessThan(1000);
    expect(textOf(await streamChunks('still alive'))).toMatch(/^Echo: still alive\. /);
  });

  it('keeps a hanging stream open until the client aborts, and close() still returns', async () => {
    const own = await startFakeUpstream();
    const ownClient = new OpenAI({ apiKey: 'x', baseURL: own.url, maxRetries: 0 });
    own.script({ hang: true }, { hang: true });
    const controller = new AbortController();
    const stream = await ownClient.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 700);
    const seen: unknown[] = [];
    for await (const chunk of stream) seen.push(chunk);
    expect(seen).toEqual([]);

    // A second hanging stream is left open on purpose: close() must not wait for it.
    const pending = fetch(`${own.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true }),
    }).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 100));
    await own.close();
    await expect(pending).rejects.toThrow();
  });
});

describe('fake upstream models and embeddings', () => {
  it('lists the model catalogue', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toContain(MODEL);
  });

  it('returns deterministic, normalised 384-dim embeddings', async () => {
    const res = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['cats purr', 'cats purr'],
    });
    const [a, b] = res.data.map((d) => d.embedding);
    expect(a).toHaveLength(384);
    expect(a).toEqual(b);
    expect(Math.hypot(...(a ?? []))).toBeCloseTo(1, 5);
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);

    const floats = await client.embeddings.create({
      model: 'm',
      input: 'cats purr',
      encoding_format: 'float',
    });
    expect(floats.data[0]?.embedding[0]).toBeCloseTo(a?.[0] ?? NaN, 6);
  });
});
