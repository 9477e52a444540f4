import { describe, expect, it } from 'vitest';
import { countTokens } from '../chat/tokens';
import { relevantPart } from './passage';

const filler = (topic: string, n: number) =>
  Array.from(
    { length: n },
    (_, i) => `Paragraph ${i} about ${topic} goes on at some length without saying much.`,
  );

describe('relevantPart', () => {
  const answer = 'The intake screens are raked clear by hand every Tuesday at dawn.';
  const chunk = [...filler('the plant', 20), answer, ...filler('the lagoon', 20)].join(' ');

  it('keeps the sentences holding the question’s words, whole, with their neighbours, gaps marked', () => {
    expect(countTokens(chunk)).toBeGreaterThan(300);
    const part = relevantPart(chunk, 'How often is the intake screen cleaned?', 120);
    expect(part).toContain(answer);
    expect(part).toContain('Paragraph 19 about the plant');
    expect(part).toContain('Paragraph 0 about the lagoon');
    expect(part.startsWith('… ')).toBe(true);
    expect(part.endsWith(' …')).toBe(true);
    expect(countTokens(part)).toBeLessThanOrEqual(120);
  });

  it('leaves a short chunk, and one without any of the words, as it is', () => {
    expect(relevantPart(answer, 'intake', 120)).toBe(answer);
    expect(relevantPart(chunk, 'What does a heron eat?', 120)).toBe(chunk);
  });

  it('matches CJK questions character by character', () => {
    const zh = [
      ...Array.from({ length: 40 }, (_, i) => `第${i}段讲的是别的事情。`),
      '发票在周一到达财务部。',
    ].join('');
    const part = relevantPart(zh, '发票什么时候到', 40);
    expect(part).toContain('发票在周一到达财务部。');
    expect(part.length).toBeLessThan(zh.length);
  });
});
