import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cosine } from './embedder';
import { localLexicalEmbedder } from './lexical';
import { azureOpenAiEmbedder, openAiCompatibleEmbedder } from './openai';

describe('localLexicalEmbedder', () => {
  const e = localLexicalEmbedder();

  it('is deterministic, 384-dimensional and unit length', async () => {
    const [a, b] = await e.embed(['The tide follows the moon.', 'The tide follows the moon.']);
    expect(a).toHaveLength(384);
    expect(a).toEqual(b);
    expect(cosine(a!, b!)).toBeCloseTo(1, 10);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 10);
    expect(e).toMatchObject({ name: 'local-lexical', dimensions: 384, model: 'lexical-hash-v1-384' });
  });

  it('finds related texts closer than unrelated ones, across plurals and case', async () => {
    const [q, related, unrelated] = await e.embed([
      'How do I season a cast iron pan?',
      'Seasoning cast-iron pans: oil them and heat them in the oven.',
      'The chess club meets on Tuesdays in the library.',
    ]);
    expect(cosine(q!, related!)).toBeGreaterThan(cosine(q!, unrelated!) + 0.15);
    const [plural, singular, other] = await e.embed(['Embeddings', 'embedding', 'bridges']);
    expect(cosine(plural!, singular!)).toBeGreaterThan(cosine(plural!, other!));
  });

  it('embeds any script, and a text of stopwords only, without a zero vector; empty text is zero', async () => {
    const [zh, stop, empty] = await e.embed(['河流和灯笼', 'what is it', '']);
    expect(Math.hypot(...zh!)).toBeCloseTo(1);
    expect(Math.hypot(...stop!)).toBeCloseTo(1);
    expect(empty!.every((x) => x === 0)).toBe(true);
  });

  it('takes another size', async () => {
    const small = localLexicalEmbedder({ dimensions: 64 });
    expect((await small.embed(['x']))[0]).toHaveLength(64);
    expect(small.model).not.toBe(e.model);
  });
});

/** A stand-in embeddings server: records requests, answers floats (optionally shuffled or wrong). */
interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: { model: string; input: string[]; encoding_format?: string; dimensions?: number };
}
let server: http.Server;
let base: string;
let seen: Seen[];
let answer: { shuffle?: boolean; dims?: number; status?: number };

const vectorFor = (text: string, dims: number) =>
  Array.from({ length: dims }, (_, i) => (text.length + i) / 100);

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as Seen['body'];
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      if (answer.status) {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'nope', type: 'server_error' } }));
        return;
      }
      const dims = answer.dims ?? body.dimensions ?? 8;
      const data = body.input.map((t, index) => ({
        object: 'embedding',
        index,
        embedding: vectorFor(t, dims),
      }));
      if (answer.shuffle) data.reverse();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          model: body.model,
          data,
          usage: { prompt_tokens: 1, total_tokens: 1 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen = [];
  answer = {};
});

describe('openAiCompatibleEmbedder', () => {
  it('asks for floats, in batches of maxBatch, and returns vectors in input order', async () => {
    answer = { shuffle: true };
    const e = openAiCompatibleEmbedder({
      baseURL: `${base}/v1`,
      apiKey: 'k-1',
      model: 'm',
      dimensions: 8,
      maxBatch: 2,
    });
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee'];
    const out = await e.embed(texts);
    expect(out).toEqual(texts.map((t) => vectorFor(t, 8)));
    expect(seen.map((s) => s.body.input)).toEqual([['a', 'bb'], ['ccc', 'dddd'], ['eeeee']]);
    expect(seen[0]).toMatchObject({ url: '/v1/embeddings', body: { model: 'm', encoding_format: 'float' } });
    expect(seen[0]!.body).not.toHaveProperty('dimensions');
    expect(seen[0]!.headers.authorization).toBe('Bearer k-1');
    expect(e).toMatchObject({ name: 'openai-compatible', model: 'm', dimensions: 8, maxBatch: 2 });
  });

  it('makes no call for no texts, and sends a space for an empty one', async () => {
    const e = openAiCompatibleEmbedder({ baseURL: base, model: 'm', dimensions: 8 });
    expect(await e.embed([])).toEqual([]);
    expect(seen).toHaveLength(0);
    await e.embed(['']);
    expect(seen[0]!.body.input).toEqual([' ']);
  });

  it('knows the sizes of common models, and asks text-embedding-3 for a shorter vector by name', async () => {
    expect(openAiCompatibleEmbedder({ baseURL: base, model: 'text-embedding-3-small' }).dimensions).toBe(
      1536,
    );
    const short = openAiCompatibleEmbedder({
      baseURL: base,
      model: 'text-embedding-3-small',
      dimensions: 256,
    });
    expect(short.model).toBe('text-embedding-3-small@256');
    expect((await short.embed(['x']))[0]).toHaveLength(256);
    expect(seen[0]!.body.dimensions).toBe(256);
    expect(() => openAiCompatibleEmbedder({ baseURL: base, model: 'unknown-model' })).toThrow(
      /Set the vector size/,
    );
    expect(() =>
      openAiCompatibleEmbedder({ baseURL: base, model: 'nomic-embed-text', dimensions: 100 }),
    ).toThrow(/makes 768-dimensional vectors/);
  });

  it('refuses vectors of the wrong size, and passes a server error on', async () => {
    answer = { dims: 4 };
    const e = openAiCompatibleEmbedder({ baseURL: base, model: 'm', dimensions: 8, maxRetries: 0 });
    await expect(e.embed(['x'])).rejects.toThrow(/answered 4-dimensional vectors; 8 were expected/);
    answer = { status: 500 };
    await expect(e.embed(['x'])).rejects.toMatchObject({ status: 500 });
  });
});

describe('azureOpenAiEmbedder', () => {
  it('calls the deployment with the api-key header and the API version', async () => {
    const e = azureOpenAiEmbedder({
      endpoint: base,
      apiKey: 'az-key',
      deployment: 'emb-small',
      apiVersion: '2024-10-21',
      model: 'text-embedding-3-small',
      dimensions: 16,
    });
    expect(await e.embed(['hello'])).toEqual([vectorFor('hello', 16)]);
    expect(seen[0]!.url).toBe('/openai/deployments/emb-small/embeddings?api-version=2024-10-21');
    expect(seen[0]!.headers['api-key']).toBe('az-key');
    expect(seen[0]!.body).toMatchObject({ encoding_format: 'float', dimensions: 16 });
    expect(e).toMatchObject({ name: 'azure-openai', model: 'text-embedding-3-small@16', dimensions: 16 });
  });

  it('without a key, sends a bearer token from the credential for Cognitive Services', async () => {
    const scopes: string[][] = [];
    const credential = {
      getToken: async (s: string | string[]) => {
        scopes.push([s].flat());
        return { token: 'mi-token', expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const e = azureOpenAiEmbedder({
      endpoint: base,
      deployment: 'text-embedding-3-small',
      apiVersion: '2024-10-21',
      credential,
    });
    expect(e.dimensions).toBe(1536);
    answer = { dims: 1536 };
    await e.embed(['hello']);
    expect(seen[0]!.headers.authorization).toBe('Bearer mi-token');
    expect(seen[0]!.headers['api-key']).toBeUndefined();
    expect(scopes[0]).toEqual(['https://cognitiveservices.azure.com/.default']);
  });
});
