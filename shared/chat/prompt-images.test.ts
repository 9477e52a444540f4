import { describe, expect, it } from 'vitest';
import { buildPrompt, type PromptImage } from './prompt';
import { countMessageTokens } from './tokens';

const img = (name: string, tokens = 1000): PromptImage => ({ url: `data:image/png;base64,${name}`, tokens });
const urlsOf = (content: unknown) =>
  Array.isArray(content)
    ? content.flatMap((p: { image_url?: { url: string } }) => p.image_url?.url ?? [])
    : [];

describe('buildPrompt with images', () => {
  it('sends the new message as a text part followed by its image parts, and counts them', () => {
    const p = buildPrompt({
      system: 's',
      history: [],
      message: 'what is this?',
      messageImages: [img('a', 765)],
      contextLength: 100_000,
      maxTokens: 100,
    });
    expect(p.messages.at(-1)).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,a' } },
      ],
    });
    expect(p.promptTokens).toBe(countMessageTokens('s') + countMessageTokens('what is this?') + 765);
  });

  it('re-sends earlier images while they fit, dropping the oldest first and keeping their text', () => {
    const history = [
      { role: 'user' as const, content: 'old photo', images: [img('old')] },
      { role: 'assistant' as const, content: 'nice' },
      { role: 'user' as const, content: 'new photo', images: [img('new')] },
      { role: 'assistant' as const, content: 'also nice' },
    ];
    const text = ['old photo', 'nice', 'new photo', 'also nice', 's', 'q'].reduce(
      (n, t) => n + countMessageTokens(t),
      0,
    );
    // Room for every text and one image (1000), not two.
    const p = buildPrompt({
      system: 's',
      history,
      message: 'q',
      contextLength: text + 1500 + 10,
      maxTokens: 10,
    });
    expect(p.messages.map((m) => urlsOf(m.content))).toEqual([
      [],
      [],
      [],
      ['data:image/png;base64,new'],
      [],
      [],
    ]);
    expect(p.messages[1]).toEqual({ role: 'user', content: 'old photo' });
    expect(p.droppedTurns).toBe(0);
    expect(p.droppedImages).toBe(1);
    expect(p.promptTokens).toBe(text + 1000);

    // With room for both, both go.
    const roomy = buildPrompt({ system: 's', history, message: 'q', contextLength: 100_000, maxTokens: 10 });
    expect(roomy.messages.flatMap((m) => urlsOf(m.content))).toEqual([
      'data:image/png;base64,old',
      'data:image/png;base64,new',
    ]);
  });
});
