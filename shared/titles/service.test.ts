import { describe, expect, it } from 'vitest';
import { cleanTitle, fallbackTitle } from './service';

describe('cleanTitle', () => {
  it('strips quotes, labels and a trailing period', () => {
    expect(cleanTitle('"Title: Planning a trip to Rome."')).toBe('Planning a trip to Rome');
    expect(cleanTitle('<think>hmm</think>\nRust lifetimes explained\nextra')).toBe(
      'Rust lifetimes explained',
    );
  });
  it('bounds the length', () => {
    expect(cleanTitle('word '.repeat(50)).length).toBeLessThanOrEqual(80);
  });
  it('falls back to the first words of the question', () => {
    expect(fallbackTitle('how do I   cook rice without a rice cooker please')).toBe(
      'how do I cook rice without',
    );
  });
});
