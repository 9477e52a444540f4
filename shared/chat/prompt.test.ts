import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { buildPrompt } from './prompt';
import { countMessageTokens } from './tokens';

const turn = (role: 'user' | 'assistant', n: number) => ({ role, content: `turn ${n} ${'x'.repeat(290)}` });

describe('buildPrompt', () => {
  const history = Array.from({ length: 10 }, (_, i) => turn(i % 2 ? 'assistant' : 'user', i));

  it('keeps everything when it fits', () => {
    const p = buildPrompt({ system: 'sys', history, message: 'hi', contextLength: 100_000, maxTokens: 1000 });
    expect(p.messages).toHaveLength(12);
    expect(p.messages[0]).toEqual({ role: 'system', content: 'sys' });
    expect(p.messages.at(-1)).toEqual({ role: 'user', content: 'hi' });
    expect(p.droppedTurns).toBe(0);
  });

  it('drops the oldest turns first and never splits a message', () => {
    const perTurn = countMessageTokens(history[0]!.content);
    const fixed = countMessageTokens('sys') + countMessageTokens('hi');
    // room for exactly three whole turns and a bit: the fourth must not be cut in half
    const contextLength = 500 + fixed + 3 * perTurn + Math.floor(perTurn / 2);
    const p = buildPrompt({ system: 'sys', history, message: 'hi', contextLength, maxTokens: 500 });
    expect(p.messages.slice(1, -1)).toEqual(history.slice(-3));
    expect(p.droppedTurns).toBe(7);
    expect(p.promptTokens).toBeLessThanOrEqual(contextLength - 500);
  });

  it('counts CJK text by a real tokenizer: 600 × 漢 is far more than 200 tokens', () => {
    const p = buildPrompt({
      system: 's',
      history: [],
      message: '漢'.repeat(600),
      contextLength: 100_000,
      maxTokens: 10,
    });
    // o200k gives one token per character here; the margin pads it for finer tokenizers.
    expect(p.promptTokens).toBeGreaterThanOrEqual(600);
  });

  it('refuses a message that cannot fit with room for the reply', () => {
    expect(() =>
      buildPrompt({
        system: 's',
        history: [],
        message: 'y'.repeat(3000),
        contextLength: 1000,
        maxTokens: 200,
      }),
    ).toThrow(AppError);
  });
});
