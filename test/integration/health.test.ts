import { afterAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

const stacks: Stack[] = [];
afterAll(async () => {
  for (const s of stacks) await s.close();
});

describe('health', () => {
  it('names the backends in use, and the offline demo model as such', async () => {
    // Two stacks in one process, each with its own core: the local host hands each its own.
    const [plain, demo] = await Promise.all([
      startStack(),
      startStack({ env: { UPSTREAM_NAME: 'offline-demo' } }),
    ]);
    stacks.push(plain, demo);
    const a = await new ApiClient(plain.url).get('/api/health');
    expect(a.status).toBe(200);
    expect(a.body).toEqual({
      status: 'ok',
      checks: {
        database: process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite',
        storage: 'azurite',
        llm: expect.stringMatching(/^openai-compatible \(127\.0\.0\.1:\d+\)$/) as unknown,
        embeddings: 'local-lexical',
        vectorStore: 'pgvector',
      },
    });
    const b = await new ApiClient(demo.url).get('/api/health');
    expect(b.body.checks.llm).toBe('offline-demo');
  });

  it('says degraded (503) when the chat upstream cannot be reached', async () => {
    // A port nobody listens on: the key is set, the provider is not there.
    const down = await startStack({
      env: { OPENROUTER_API_KEY: 'sk-test', OPENROUTER_BASE_URL: 'http://127.0.0.1:9/v1' },
    });
    stacks.push(down);
    const res = await new ApiClient(down.url).get('/api/health');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('degraded');
    expect(res.body.problems).toEqual([
      expect.stringMatching(/^llm: the chat upstream at 127\.0\.0\.1:9 cannot be reached/),
    ]);
  });
});
