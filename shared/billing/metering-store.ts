import type { Db } from '../db/db';

export interface UsageRecord {
  id: string;
  userId: string;
  purpose: 'reply' | 'title' | 'memory';
  reference: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number | null;
  credits: number;
  /** The hold the reply had (null for calls billed without one, such as titles). */
  holdCredits: number | null;
  /** What the price exceeded the hold or the balance by. */
  lossCredits: number;
  /** The reply's generation, whose API key (if any) the record is tagged with. */
  generationId: string | null;
  at: Date;
}

/** The SQL of reserve-then-settle: holds, stream slots, free-model windows, usage records. */
export const meteringStore = (db: Db) => ({
  /**
   * The user's chat replies still streaming, not counting ones whose instance stopped refreshing
   * them, nor calls through API keys (those have their own cap per key).
   */
  activeStreams: async (userId: string, excludeGenerationId: string, liveSince: Date) =>
    (
      await db.one<{ n: number }>(
        `SELECT count(*)::bigint AS n FROM generations
          WHERE user_id = $1 AND status = 'streaming' AND id <> $2 AND updated_at > $3 AND api_key_id IS NULL`,
        [userId, excludeGenerationId, liveSince],
      )
    ).n,

  /** Credits charged since `since` plus what the user's replies in flight hold: the month's spend so far. */
  spentSince: async (userId: string, since: Date, excludeGenerationId: string) =>
    (
      await db.one<{ n: number }>(
        `SELECT (SELECT COALESCE(sum(credits), 0) FROM usage_records WHERE user_id = $1 AND created_at >= $2)
              + (SELECT COALESCE(sum(credits), 0) FROM holds WHERE user_id = $1 AND generation_id <> $3) AS n`,
        [userId, since, excludeGenerationId],
      )
    ).n,

  /** What an API key has spent plus what its calls in flight hold (this one excepted). */
  keySpentAndHeld: async (keyId: string, excludeGenerationId: string) =>
    (
      await db.one<{ n: number }>(
        `SELECT (SELECT COALESCE(sum(credits), 0) FROM usage_records WHERE api_key_id = $1)
              + (SELECT COALESCE(sum(h.credits), 0) FROM holds h JOIN generations g ON g.id = h.generation_id
                  WHERE g.api_key_id = $1 AND h.generation_id <> $2) AS n`,
        [keyId, excludeGenerationId],
      )
    ).n,

  /** An API key's calls streaming now and started in the last minute (this one excepted). */
  keyActivity: (keyId: string, excludeGenerationId: string, liveSince: Date, minuteAgo: Date) =>
    db.one<{ streaming: number; lastMinute: number; oldest: Date | null }>(
      `SELECT count(*) FILTER (WHERE status = 'streaming' AND updated_at > $3)::int AS streaming,
              count(*) FILTER (WHERE started_at > $4)::int AS "lastMinute",
              min(started_at) FILTER (WHERE started_at > $4) AS oldest
         FROM generations WHERE api_key_id = $1 AND id <> $2 AND started_at > $4 - interval '1 hour'`,
      [keyId, excludeGenerationId, liveSince, minuteAgo],
    ),

  markFree: (generationId: string) =>
    db.exec(`UPDATE generations SET free = true WHERE id = $1`, [generationId]),

  freeRepliesSince: (userId: string, since: Date, excludeGenerationId: string) =>
    db.one<{ n: number; oldest: Date | null }>(
      `SELECT count(*)::bigint AS n, min(started_at) AS oldest FROM generations
        WHERE user_id = $1 AND free AND started_at > $2 AND id <> $3`,
      [userId, since, excludeGenerationId],
    ),

  /** Takes the hold only if the available balance covers it: one statement, so no race gets past. */
  takeHold: (h: { userId: string; generationId: string; credits: number; at: Date; expiresAt: Date }) =>
    db.exec(
      `WITH u AS (UPDATE users SET held = held + $2 WHERE id = $1 AND credits - held >= $2 RETURNING id)
       INSERT INTO holds (generation_id, user_id, credits, created_at, expires_at) SELECT $3, id, $2, $4, $5 FROM u`,
      [h.userId, h.credits, h.generationId, h.at, h.expiresAt],
    ),

  /** Gives the hold back; returns its size (0 when there was none, e.g. a free model or a repeat). */
  releaseHold: async (generationId: string): Promise<number> => {
    const hold = await db.maybeOne<{ user_id: string; credits: number }>(
      `DELETE FROM holds WHERE generation_id = $1 RETURNING user_id, credits`,
      [generationId],
    );
    if (!hold) return 0;
    await db.exec(`UPDATE users SET held = held - $2 WHERE id = $1`, [hold.user_id, hold.credits]);
    return Number(hold.credits);
  },

  insertUsage: (u: UsageRecord) =>
    db.exec(
      `INSERT INTO usage_records (id, user_id, purpose, reference, model, prompt_tokens, completion_tokens,
                                  upstream_cost_usd, credits, hold_credits, loss_credits, created_at, api_key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
               (SELECT api_key_id FROM generations WHERE id = $13))
       ON CONFLICT (reference) DO NOTHING`,
      [
        u.id,
        u.userId,
        u.purpose,
        u.reference,
        u.model,
        u.promptTokens,
        u.completionTokens,
        u.costUsd,
        u.credits,
        u.holdCredits,
        u.lossCredits,
        u.at,
        u.generationId,
      ],
    ),

  usageExists: async (reference: string) =>
    (await db.maybeOne(`SELECT 1 FROM usage_records WHERE reference = $1`, [reference])) !== null,

  expiredHolds: (now: Date) =>
    db.many<{ generation_id: string }>(`SELECT generation_id FROM holds WHERE expires_at < $1`, [now]),

  /** Locks an expired hold whose reply is not streaming any more (the reaper settles those). */
  lockExpiredHold: (generationId: string, now: Date) =>
    db.maybeOne(
      `SELECT 1 FROM holds h WHERE h.generation_id = $1 AND h.expires_at < $2
          AND NOT EXISTS (SELECT 1 FROM generations g WHERE g.id = h.generation_id AND g.status = 'streaming')
        FOR UPDATE`,
      [generationId, now],
    ),
});
