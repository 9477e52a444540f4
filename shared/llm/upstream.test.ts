import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../dev/fake-upstream/server';
import { AppError } from '../errors';
import { openAiUpstream, type UpstreamEvent } from './upstream';

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeUpstream({ port: 0 });
});
afterAll(() => fake.close());

const request = {
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'hi' }],
  maxTokens: 64,
};

/** A provider that answers as `handler` does, at the base URL `use` is given. */
async function withServer(
  handler: http.RequestListener,
  use: (baseURL: string) => Promise<void>,
): Promise<void> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

async function collect(events: AsyncIterable<UpstreamEvent>): Promise<UpstreamEvent[]> {
  const out: UpstreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('the streamed upstream call', () => {
  it('relays text, the finish reason and the usage of the last chunk, and sends what the request asked', async () => {
    fake.script({ chunks: ['Hel', 'lo'] });
    const upstream = openAiUpstream({ baseURL: fake.url, apiKey: 'sk-test', appUrl: 'http://app.test' });
    const events = await collect(
      await upstream.stream({ ...request, temperature: 0.5, stop: ['END'] }, new AbortController().signal),
    );
    expect(events.filter((e) => e.type === 'text').map((e) => e.text)).toEqual(['Hel', 'lo']);
    expect(events.some((e) => e.type === 'finish')).toBe(true);
    expect(events.find((e) => e.type === 'usage')).toMatchObject({
      usage: { promptTokens: expect.any(Number) },
    });
    const sent = fake.requests.at(-1)!;
    expect(sent.body).toMatchObject({
      model: 'openai/gpt-4o-mini',
      stream: true,
      max_tokens: 64,
      temperature: 0.5,
      stop: ['END'],
      stream_options: { include_usage: true },
    });
    expect(sent.headers.authorization).toBe('Bearer sk-test');
  });

  it('a 429 before the first byte is the model being busy, with its Retry-After', async () => {
    fake.script({ status: 429, retryAfter: 7 });
    const upstream = openAiUpstream({ baseURL: fake.url, appUrl: 'http://app.test' });
    const err = await upstream.stream(request, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'unavailable', options: { retryAfterSeconds: 7 } });
  });

  it('an error object in the middle of the stream fails the reply with the provider’s words', async () => {
    fake.script({ chunks: ['one ', 'two ', 'three '], errorAfterChunks: 1 });
    const upstream = openAiUpstream({ baseURL: fake.url, appUrl: 'http://app.test' });
    const events: UpstreamEvent[] = [];
    const err = await (async () => {
      for await (const e of await upstream.stream(request, new AbortController().signal)) events.push(e);
    })().catch((e: unknown) => e);
    expect(events).toEqual([{ type: 'text', text: 'one ' }]);
    expect(err).toMatchObject({
      code: 'upstream_failed',
      message: expect.stringContaining('Upstream provider error') as string,
    });
  });

  it('stopping ends the events quietly', async () => {
    fake.script({ hang: true });
    const upstream = openAiUpstream({ baseURL: fake.url, appUrl: 'http://app.test' });
    const stop = new AbortController();
    const events = await upstream.stream(request, stop.signal);
    setTimeout(() => stop.abort(), 50);
    expect(await collect(events)).toEqual([]);
  });

  it('an upstream that never answers is a timeout, and the wait ends at the timeout', async () => {
    await withServer(
      () => undefined,
      async (baseURL) => {
        const upstream = openAiUpstream({ baseURL, appUrl: 'http://app.test', timeoutMs: 200 });
        const err = await upstream.stream(request, new AbortController().signal).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'upstream_timeout' });
      },
    );
  });

  it('nothing listening is the provider being unreachable', async () => {
    const upstream = openAiUpstream({ baseURL: 'http://127.0.0.1:9/v1', appUrl: 'http://app.test' });
    const err = await upstream.stream(request, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unavailable' });
  });
});

describe('the whole-answer upstream call (titles, memory extraction)', () => {
  const format = {
    type: 'json_schema' as const,
    json_schema: {
      name: 'facts',
      strict: true,
      schema: { type: 'object', properties: { facts: { type: 'array', items: { type: 'string' } } } },
    },
  };

  it('returns the text and the usage, and sends the request unstreamed with its response format', async () => {
    fake.script({ text: 'A short title', structured: true });
    const upstream = openAiUpstream({ baseURL: fake.url, apiKey: 'sk-test', appUrl: 'http://app.test' });
    const answer = await upstream.complete({ ...request, responseFormat: format });
    expect(answer.text).toBe('A short title');
    expect(answer.usage).toMatchObject({
      promptTokens: expect.any(Number),
      completionTokens: expect.any(Number),
    });
    const sent = fake.requests.at(-1)!;
    expect(sent.body).toMatchObject({ model: 'openai/gpt-4o-mini', max_tokens: 64, response_format: format });
    expect(sent.body).not.toHaveProperty('stream');
    expect(sent.headers.authorization).toBe('Bearer sk-test');
    expect(sent.headers['http-referer']).toBe('http://app.test');
  });

  it('a 429 is the model being busy, with its Retry-After', async () => {
    fake.script({ status: 429, retryAfter: 9, structured: true });
    const upstream = openAiUpstream({ baseURL: fake.url, appUrl: 'http://app.test' });
    const err = await upstream.complete({ ...request, responseFormat: format }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unavailable', options: { retryAfterSeconds: 9 } });
  });

  it('a provider that sends the head and then nothing is a timeout: the timeout covers the whole answer', async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"choices":');
      },
      async (baseURL) => {
        const upstream = openAiUpstream({ baseURL, appUrl: 'http://app.test', timeoutMs: 200 });
        expect(await upstream.complete(request).catch((e: unknown) => e)).toMatchObject({
          code: 'upstream_timeout',
        });
      },
    );
  });

  it('nothing listening is the provider being unreachable', async () => {
    const upstream = openAiUpstream({ baseURL: 'http://127.0.0.1:9/v1', appUrl: 'http://app.test' });
    expect(await upstream.complete(request).catch((e: unknown) => e)).toMatchObject({ code: 'unavailable' });
  });
});
