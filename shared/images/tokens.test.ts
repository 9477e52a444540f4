import { describe, expect, it } from 'vitest';
import { anthropicTokens, geminiTokens, imageTokens, openAiTokens } from './tokens';

describe('image tokens', () => {
  it("follows OpenAI's tile formula", () => {
    // 512 × 512: one tile.
    expect(openAiTokens(512, 512)).toBe(85 + 170);
    // 2048 × 1536 → shortest side to 768: 1024 × 768 → 2 × 2 tiles (OpenAI's own worked example).
    expect(openAiTokens(2048, 1536)).toBe(765);
    // 4096 × 8192 → fits 1024 × 2048 → 768 × 1536 → 2 × 3 tiles (OpenAI's example: 1105).
    expect(openAiTokens(4096, 8192)).toBe(1105);
  });

  it("follows Anthropic's area formula, capped near 1600", () => {
    expect(anthropicTokens(200, 200)).toBe(54); // 40000 / 750 = 53.3
    expect(anthropicTokens(1000, 1000)).toBe(1334);
    expect(anthropicTokens(2048, 2048)).toBe(1600);
  });

  it("follows Gemini's 258 per 768-px tile", () => {
    expect(geminiTokens(384, 384)).toBe(258);
    expect(geminiTokens(2048, 2048)).toBe(258 * 9);
  });

  it('holds for the dearest of them', () => {
    expect(imageTokens(640, 480)).toBe(425); // OpenAI 425 > Anthropic 410 > Gemini 258
    expect(imageTokens(1000, 1000)).toBe(1334); // Anthropic wins
    expect(imageTokens(2048, 2048)).toBe(2322); // Gemini wins
  });
});
