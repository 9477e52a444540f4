import { describe, expect, it } from 'vitest';
import { creditsPerMTok, tokensToUsd, usdToCredits } from './pricing';

describe('pricing', () => {
  it('rounds a tiny charge up to one credit instead of down to zero', () => {
    expect(usdToCredits(0.0000001, 2)).toBe(1);
  });
  it('does not bump an exact amount because of floating-point noise', () => {
    expect(usdToCredits(0.1 + 0.2, 1)).toBe(30_000);
    expect(usdToCredits(0.00003, 2)).toBe(6);
  });
  it('charges nothing for nothing', () => {
    expect(usdToCredits(0, 2)).toBe(0);
    expect(usdToCredits(Number.NaN, 2)).toBe(0);
  });
  it('prices tokens at the catalogue rates', () => {
    expect(tokensToUsd({ prompt: 0.00000015, completion: 0.0000006 }, 1000, 500)).toBeCloseTo(0.00045, 12);
  });
  it('shows gpt-4o-mini at 3000 / 12000 credits per million tokens with markup 2', () => {
    expect(creditsPerMTok(0.00000015, 2)).toBe(30_000);
    expect(creditsPerMTok(0.0000006, 2)).toBe(120_000);
  });
});
