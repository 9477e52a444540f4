import { describe, expect, it } from 'vitest';
import { isFree, parseCatalogue } from './catalogue';
import snapshot from './openrouter-models.json';

const entry = (over: Record<string, unknown>) => ({
  id: 'a/b',
  name: 'A B',
  context_length: 8000,
  architecture: { input_modalities: ['text'] },
  pricing: { prompt: '0.000001', completion: '0.000002' },
  supported_parameters: ['max_tokens'],
  ...over,
});

describe('parseCatalogue', () => {
  it('reads the shipped snapshot: hundreds of models, with free, vision and reasoning ones', () => {
    const models = parseCatalogue(snapshot);
    expect(models.length).toBeGreaterThan(300);
    expect(models.some((m) => m.vision)).toBe(true);
    expect(models.some((m) => m.reasoning)).toBe(true);
    expect(models.filter(isFree).length).toBeGreaterThan(10);
  });

  it('leaves out models it could not bill: negative, dynamic or unreadable prices', () => {
    const models = parseCatalogue({
      data: [
        entry({ id: 'ok/one' }),
        entry({ id: 'neg/one', pricing: { prompt: '-1', completion: '0' } }),
        entry({ id: 'auto/one', pricing: { prompt: 'dynamic', completion: '0' } }),
        entry({ id: 'nocontext/one', context_length: null }),
        { id: 'garbage' },
      ],
    });
    expect(models.map((m) => m.id)).toEqual(['ok/one']);
  });

  it('flags vision from image input and reasoning from its parameters', () => {
    const [m] = parseCatalogue({
      data: [
        entry({ architecture: { input_modalities: ['text', 'image'] }, supported_parameters: ['reasoning'] }),
      ],
    });
    expect(m).toMatchObject({ vision: true, reasoning: true });
  });
});
