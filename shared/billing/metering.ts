import type { Clock } from '../clock';
import type { Db } from '../db/db';
import { AppError } from '../errors';
import { newId } from '../ids';
import type { UpstreamUsage } from '../llm/upstream';
import type { CatalogueModel } from '../models/catalogue';
import { ledgerStore } from './ledger';
import { tokensToUsd, usdToCredits } from './pricing';

export interface ReplyModel extends CatalogueModel {
  free: boolean;
}

/**
 * The seam between chat and money. The chat flow calls `reserve` inside the transaction that
 * creates the reply (before any upstream call: a throw refuses the reply and changes nothing),
 * `release` when the upstream refuses before the first byte, and `settle` inside the
 * transaction that records the outcome (complete, stopped or failed), which returns the
 * credits charged. `charge` bills an internal call (a title) that had no reservation.
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
  charge(
    tx: Db,
    c: { userId: string; reference: string; purpose: 'title'; model: ReplyModel; usage: UpstreamUsage },
  ): Promise<number>;
}

export interface MeteringLimits {
  maxConcurrentStreams: number;
  freePerMinute: number;
  freePerDay: number;
  /** A hold nobody settled (its instance died) is released after this. */
  holdTtlMs: number;
}

const catalogueUsd = (model: ReplyModel, promptTokens: number, completionTokens: number) =>
  tokensToUsd(
    { prompt: Number(model.promptPrice), completion: Number(model.completionPrice) },
    promptTokens,
    completionTokens,
  );

/** Upstream cost × markup, rounded up; tokens × catalogue price when upstream sent no cost. */
export function priceOf(model: ReplyModel, usage: UpstreamUsage, markup: number): number {
  if (model.free) return 0;
  return usdToCredits(
    usage.costUsd ?? catalogueUsd(model, usage.promptTokens, usage.completionTokens),
    markup,
  );
}

/** The most a reply can cost: the whole prompt and every allowed completion token. */
export function worstCase(
  model: ReplyModel,
  promptTokens: number,
  maxTokens: number,
  markup: number,
): number {
  if (model.free) return 0;
  const usd = catalogueUsd(model, promptTokens, maxTokens);
  if (!Number.isFinite(usd) || usd < 0) {
    throw new AppError('invalid_request', `The model "${model.id}" has no usable price and cannot be used`);
  }
  return usdToCredits(usd, markup);
}

/** Reserve-then-settle against the user's balance; the ledger records every change. */
export function creditMetering(deps: { markup: number; limits: MeteringLimits; clock: Clock }): Metering & {
  sweepExpired(db: Db): Promise<number>;
} {
  const { markup, limits, clock } = deps;

  async function releaseHold(tx: Db, generationId: string): Promise<number> {
    const hold = await tx.maybeOne<{ user_id: string; credits: number }>(
      `DELETE FROM holds WHERE generation_id = $1 RETURNING user_id, credits`,
      [generationId],
    );
    if (!hold) return 0;
    await tx.exec(`UPDATE users SET held = held - $2 WHERE id = $1`, [hold.user_id, hold.credits]);
    return Number(hold.credits);
  }

  async function record(
    tx: Db,
    u: {
      userId: string;
      purpose: 'reply' | 'title';
      reference: string;
      model: ReplyModel;
      usage: UpstreamUsage;
    },
  ): Promise<number> {
    const at = clock.now();
    const price = priceOf(u.model, u.usage, markup);
    // Never below zero: an estimate that fell short is our loss, not a debt.
    const charged = await ledgerStore(tx).debitUpTo({
      userId: u.userId,
      kind: 'usage',
      credits: price,
      reference: u.reference,
      at,
    });
    await tx.exec(
      `INSERT INTO usage_records (id, user_id, purpose, reference, model, prompt_tokens, completion_tokens,
                                  upstream_cost_usd, credits, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (reference) DO NOTHING`,
      [
        newId(at.getTime()),
        u.userId,
        u.purpose,
        u.reference,
        u.model.id,
        u.usage.promptTokens,
        u.usage.completionTokens,
        u.usage.costUsd ?? null,
        charged,
        at,
      ],
    );
    return charged;
  }

  return {
    async reserve(tx, r) {
      const now = clock.now();
      const balance = await ledgerStore(tx).lockBalance(r.userId);
      if (!balance) throw new AppError('unauthenticated', 'Sign in again');
      const active = await tx.one<{ n: number }>(
        `SELECT count(*)::bigint AS n FROM generations WHERE user_id = $1 AND status = 'streaming' AND id <> $2`,
        [r.userId, r.generationId],
      );
      if (active.n >= limits.maxConcurrentStreams) {
        throw new AppError(
          'rate_limited',
          `At most ${limits.maxConcurrentStreams} replies can stream at once; wait for one to finish`,
          { retryAfterSeconds: 5 },
        );
      }
      if (r.model.free) {
        await tx.exec(`UPDATE generations SET free = true WHERE id = $1`, [r.generationId]);
        for (const [windowMs, limit, what] of [
          [60_000, limits.freePerMinute, 'a minute'],
          [86_400_000, limits.freePerDay, 'a day'],
        ] as const) {
          const since = new Date(now.getTime() - windowMs);
          const used = await tx.one<{ n: number; oldest: Date | null }>(
            `SELECT count(*)::bigint AS n, min(started_at) AS oldest FROM generations
              WHERE user_id = $1 AND free AND started_at > $2 AND id <> $3`,
            [r.userId, since, r.generationId],
          );
          if (used.n >= limit) {
            const wait = used.oldest
              ? Math.ceil((used.oldest.getTime() + windowMs - now.getTime()) / 1000)
              : 60;
            throw new AppError('rate_limited', `Free models are limited to ${limit} replies in ${what}`, {
              retryAfterSeconds: Math.max(1, wait),
            });
          }
        }
        return;
      }
      const hold = worstCase(r.model, r.promptTokens, r.maxTokens, markup);
      const taken = await tx.exec(
        `WITH u AS (UPDATE users SET held = held + $2 WHERE id = $1 AND credits - held >= $2 RETURNING id)
         INSERT INTO holds (generation_id, user_id, credits, created_at, expires_at) SELECT $3, id, $2, $4, $5 FROM u`,
        [r.userId, hold, r.generationId, now, new Date(now.getTime() + limits.holdTtlMs)],
      );
      if (taken === 0) {
        const available = Math.max(0, Number(balance.credits) - Number(balance.held));
        throw new AppError(
          'insufficient_credits',
          `This reply may cost up to ${hold} credits and ${available} are available; buy credits or choose a cheaper model or shorter reply`,
          { details: { needed: hold, available } },
        );
      }
    },

    async release(tx, r) {
      await releaseHold(tx, r.generationId);
    },

    async settle(tx, s) {
      await releaseHold(tx, s.generationId);
      return record(tx, { ...s, purpose: 'reply', reference: `reply:${s.generationId}` });
    },

    async charge(tx, c) {
      return record(tx, c);
    },

    /** Releases holds whose reply never settled (a crashed instance). */
    async sweepExpired(db) {
      const expired = await db.many<{ generation_id: string }>(
        `SELECT generation_id FROM holds WHERE expires_at < $1`,
        [clock.now()],
      );
      let released = 0;
      for (const h of expired) {
        await db.tx(async (tx) => {
          const still = await tx.maybeOne(
            `SELECT 1 FROM holds WHERE generation_id = $1 AND expires_at < $2 FOR UPDATE`,
            [h.generation_id, clock.now()],
          );
          if (still && (await releaseHold(tx, h.generation_id)) >= 0) released++;
        });
      }
      return released;
    },
  };
}
