/**
 * What one image costs in prompt tokens, for holds and context trimming. Providers count images
 * differently, so this is the largest of the three documented formulas; a hold must never be
 * below what the model will charge.
 *
 * - OpenAI (detail high): fit in 2048², shortest side down to 768, then 170 per 512-px tile + 85.
 * - Anthropic: long edge down to 1568, then width × height / 750, at most about 1600.
 * - Google Gemini 2.0: 258 up to 384 × 384, else 258 per 768-px tile.
 */
export function imageTokens(width: number, height: number): number {
  return Math.max(openAiTokens(width, height), anthropicTokens(width, height), geminiTokens(width, height));
}

function fit(width: number, height: number, box: number): [number, number] {
  const scale = Math.min(1, box / Math.max(width, height));
  return [width * scale, height * scale];
}

export function openAiTokens(width: number, height: number): number {
  let [w, h] = fit(width, height, 2048);
  const short = Math.min(w, h);
  if (short > 768) [w, h] = [(w * 768) / short, (h * 768) / short];
  return 85 + 170 * Math.ceil(w / 512) * Math.ceil(h / 512);
}

export function anthropicTokens(width: number, height: number): number {
  const [w, h] = fit(width, height, 1568);
  return Math.min(1600, Math.ceil((w * h) / 750));
}

export function geminiTokens(width: number, height: number): number {
  if (width <= 384 && height <= 384) return 258;
  return 258 * Math.ceil(width / 768) * Math.ceil(height / 768);
}
