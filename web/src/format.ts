import type { Model } from '../../shared/contracts/models';

/** 1 credit = US$0.00001 (API.md). */
export const CREDITS_PER_DOLLAR = 100_000;

const integer = new Intl.NumberFormat('en-US');
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

export const formatNumber = (n: number) => integer.format(n);
export const formatCompact = (n: number) => compact.format(n);

export function formatCredits(credits: number): string {
  return `${integer.format(credits)} ${Math.abs(credits) === 1 ? 'credit' : 'credits'}`;
}

/** Dollars with cents; amounts under a cent keep enough digits to not read as $0.00. */
export function formatDollars(credits: number): string {
  const dollars = credits / CREDITS_PER_DOLLAR;
  const small = credits !== 0 && Math.abs(credits) < 1000;
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 2,
    maximumFractionDigits: small ? 5 : 2,
  }).format(dollars);
}

export function formatMoney(cents: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(
      cents / 100,
    );
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

/** Roughly four characters per token: the same rule of thumb the server uses before it knows better. */
export const estimateTokens = (text: string) => Math.ceil(text.length / 4);

/** What a reply would cost: prices are credits per million tokens, charges round up. */
export function estimateCredits(model: Model, promptTokens: number, completionTokens: number): number {
  if (model.free) return 0;
  const exact =
    (promptTokens * model.pricing.promptPerMTok + completionTokens * model.pricing.completionPerMTok) / 1e6;
  return Math.ceil(exact);
}

export function formatPerMillion(creditsPerMTok: number): string {
  return creditsPerMTok === 0 ? '0' : formatCompact(creditsPerMTok);
}

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
