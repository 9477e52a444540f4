import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './server';

let up: FakeUpstream;
let client: OpenAI;

beforeAll(async () => {
  up = await startFakeUpstream();
  client = new OpenAI({ apiKey: 'x', baseURL: up.url, maxRetries: 0 });
});
afterAll(() => up.close());

const withImages = (model: string, ...urls: string[]) =>
  client.chat.completions.create({
    model,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          ...urls.map((url) => ({ type: 'image_url' as const, image_url: { url } })),
        ],
      },
    ],
  });

describe('fake upstream with images', () => {
  it('takes image_url parts and says which images arrived', async () => {
    const res = await withImages(
      'openai/gpt-4o-mini',
      'data:image/png;base64,iVBO',
      'data:image/jpeg;base64,/9j/',
    );
    expect(res.choices[0]!.message.content).toMatch(
      /^Echo: What is this\?\. I received 2 images \(image\/png, image\/jpeg\) with your message\. /,
    );
    const parts = (up.requests.at(-1)!.body.messages as { content: { type: string }[] }[])[0]!.content;
    expect(parts.map((p) => p.type)).toEqual(['text', 'image_url', 'image_url']);
  });

  it('refuses images for a model without image input, as OpenRouter does', async () => {
    const err = await withImages('openai/gpt-3.5-turbo', 'data:image/png;base64,iVBO').catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(404);
    expect((err as APIError).message).toContain('support image input');
  });
});
