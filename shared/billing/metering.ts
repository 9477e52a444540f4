import type { Db } from '../db/db';
import type { UpstreamUsage } from '../llm/upstream';
import type { CatalogueModel } from '../models/catalogue';
import { tokensToUsd, usdToCredits } from './pricing';

export interface ReplyModel extends CatalogueModel {
  free: boolean;
}

/**
 * The seam between chat and money. The chat flow calls `reserve` inside the transaction that
 * creates the reply (before any upstream call: a throw refuses the reply and changes nothing),
 * `release` when the upstream refuses before the first byte, and `settle` inside the
 * transaction that records the outcome (complete, stopped or failed), which returns the
 * credits charged.
 */
export interface Metering {
  reserve(
    tx: Db,
    r: { userId: string; generationId: string; model: ReplyModel; promptTokens: number; maxTokens: number },
  ): Promise<void>;
  release(tx: Db, r: { userId: string; generationId: string }): Promise<void>;
  settle(
    tx: Db,
    s: { userId: string; generationId: string; model: ReplyModel; usage: UpstreamUsage },
  ): Promise<number>;
}

/** Upstream cost × markup, rounded up; tokens × catalogue price when upstream sent no cost. */
export function priceOf(model: ReplyModel, usage: UpstreamUsage, markup: number): number {
  if (model.free) return 0;
  const usd =
    usage.costUsd ??
    tokensToUsd(
      { prompt: Number(model.promptPrice), completion: Number(model.completionPrice) },
      usage.promptTokens,
      usage.completionTokens,
    );
  return usdToCredits(usd, markup);
}

/**
 * Prices each reply without holding or debiting credit: what runs until the credit ledger
 * (reserve-then-settle against the balance) takes this seam over.
 */
export function priceOnlyMetering(markup: number): Metering {
  return {
    reserve: async () => undefined,
    release: async () => undefined,
    settle: async (_tx, s) => priceOf(s.model, s.usage, markup),
  };
}
