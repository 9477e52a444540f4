/** 1 credit = US$0.00001. */
export const CREDITS_PER_USD = 100_000;

/**
 * US$ → credits with the markup applied once, rounded up: a charge is never truncated to zero.
 * The epsilon absorbs binary floating-point noise (0.1 + 0.2) so an exact amount is not bumped.
 */
export function usdToCredits(usd: number, markup: number): number {
  if (!Number.isFinite(usd) || usd <= 0) return 0;
  return Math.ceil(usd * CREDITS_PER_USD * markup - 1e-6);
}

export interface TokenPrices {
  /** US$ per token, as the catalogue states them. */
  prompt: number;
  completion: number;
}

export function tokensToUsd(prices: TokenPrices, promptTokens: number, completionTokens: number): number {
  return promptTokens * prices.prompt + completionTokens * prices.completion;
}

/** Credits per million tokens, markup included: what the model list shows. */
export function creditsPerMTok(usdPerToken: number, markup: number): number {
  return Math.round(usdPerToken * 1_000_000 * CREDITS_PER_USD * markup * 100) / 100;
}
