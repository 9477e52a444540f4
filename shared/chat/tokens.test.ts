import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { countTokens, TOKEN_MARGIN } from './tokens';

describe('token counts', () => {
  it('a long text remembered from an earlier reply counts the same, and an edited one is counted anew', () => {
    const text = 'The harbour of Lyon handles barges on the Rhône. '.repeat(40);
    const expected = Math.ceil(o200k(text) * TOKEN_MARGIN);
    expect(countTokens(text)).toBe(expected);
    expect(countTokens(text)).toBe(expected);
    const edited = `${text} 漢字のテスト 漢字のテスト`;
    expect(countTokens(edited)).toBe(Math.ceil(o200k(edited) * TOKEN_MARGIN));
    expect(countTokens(edited)).toBeGreaterThan(expected);
  });

  it('stays right past the size of what is remembered', () => {
    const texts = Array.from({ length: 3000 }, (_, i) => `${i} `.repeat(800));
    for (const t of texts) countTokens(t);
    const first = texts[0]!;
    expect(countTokens(first)).toBe(Math.ceil(o200k(first) * TOKEN_MARGIN));
  });
});
