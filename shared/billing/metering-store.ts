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

/** What a reservation is decided on: the balance, the user's streams, the month's spend, free replies. */
export interface ReservationFacts {
  credits: number;
  held: number;
  cap: number | null;
  /**
   * The balance row's version (its xmin). Every reservation and settlement writes that row, so
   * facts read without a lock still hold when the hold is taken on an unchanged version.
   */
  version: string;
  /** The user's chat replies streaming (API-key calls have their own cap), not counting dead ones. */
  active: number;
  /** Charged this month plus held by other replies; null without a cap (then nobody asks). */
  spent: number | null;
  freeLastMinute: { n: number; oldest: Date | null };
  freeLastDay: { n: number; oldest: Date | null };
}

/** The cut-offs the facts are counted from. */
export interface FactWindows {
  liveSince: Date;
  monthStart: Date;
  minuteAgo: Date;
  dayAgo: Date;
}

/**
 * The facts as one row, for a statement of its own or inside a bigger one (the reply's context
 * reads them in its round trip): `p` names the placeholders of the user, the windows and the
 * generation to leave out ('' when there is none yet).
 */
export const reservationFactsSql = (p: {
  user: string;
  liveSince: string;
  monthStart: string;
  minuteAgo: string;
  dayAgo: string;
  exclude: string;
}) => `
  SELECT u.credits, u.held, u.monthly_spend_cap_credits AS cap, u.xmin::text AS version,
         (SELECT count(*) FROM generations g
           WHERE g.user_id = u.id AND g.status = 'streaming' AND g.id <> ${p.exclude}
             AND g.updated_at > ${p.liveSince}::timestamptz AND g.api_key_id IS NULL) AS active,
         CASE WHEN u.monthly_spend_cap_credits IS NOT NULL THEN
           (SELECT COALESCE(sum(r.credits), 0) FROM usage_records r
             WHERE r.user_id = u.id AND r.created_at >= ${p.monthStart}::timestamptz)
           + (SELECT COALESCE(sum(h.credits), 0) FROM holds h WHERE h.user_id = u.id AND h.generation_id <> ${p.exclude})
         END AS spent,
         f.minute_n, f.minute_oldest, f.day_n, f.day_oldest
    FROM users u,
         LATERAL (SELECT count(*) FILTER (WHERE g.started_at > ${p.minuteAgo}::timestamptz) AS minute_n,
                         min(g.started_at) FILTER (WHERE g.started_at > ${p.minuteAgo}::timestamptz) AS minute_oldest,
                         count(*) AS day_n, min(g.started_at) AS day_oldest
                    FROM generations g
                   WHERE g.user_id = u.id AND g.free AND g.started_at > ${p.dayAgo}::timestamptz
                     AND g.id <> ${p.exclude}) f
   WHERE u.id = ${p.user}`;

/** The row as the statement returns it, read directly or as JSON (numbers may be strings, dates too). */
export type ReservationFactsRow = Record<
  | 'credits'
  | 'held'
  | 'cap'
  | 'version'
  | 'active'
  | 'spent'
  | 'minute_n'
  | 'minute_oldest'
  | 'day_n'
  | 'day_oldest',
  unknown
>;

export function toReservationFacts(row: ReservationFactsRow): ReservationFacts {
  const num = (v: unknown) => Number(v ?? 0);
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date));
  return {
    credits: num(row.credits),
    held: num(row.held),
    cap: row.cap === null || row.cap === undefined ? null : num(row.cap),
    version: String(row.version),
    active: num(row.active),
    spent: row.spent === null || row.spent === undefined ? null : num(row.spent),
    freeLastMinute: { n: num(row.minute_n), oldest: date(row.minute_oldest) },
    freeLastDay: { n: num(row.day_n), oldest: date(row.day_oldest) },
  };
}

/** The SQL of reserve-then-settle: holds, stream slots, free-model windows, usage records. */
export const meteringStore = (db: Db) => ({
  /** The facts of a reservation, for a caller that holds the balance lock. */
  reservationFacts: async (userId: string, w: FactWindows, excludeGenerationId: string) => {
    const row = await db.maybeOne<ReservationFactsRow>(
      reservationFactsSql({
        user: '$1',
        liveSince: '$2',
        monthStart: '$3',
        minuteAgo: '$4',
        dayAgo: '$5',
        exclude: '$6',
      }),
      [userId, w.liveSince, w.monthStart, w.minuteAgo, w.dayAgo, excludeGenerationId],
    );
    return row && toReservationFacts(row);
  },

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

  /** Takes the hold only if the available balance covers it: one statement, so no race gets past. */
  takeHold: (h: { userId: string; generationId: string; credits: number; at: Date; expiresAt: Date }) =>
    db.exec(
      `WITH u AS (UPDATE users SET held = held + $2 WHERE id = $1 AND credits - held >= $2 RETURNING id)
       INSERT INTO holds (generation_id, user_id, credits, created_at, expires_at) SELECT $3, id, $2, $4, $5 FROM u`,
      [h.userId, h.credits, h.generationId, h.at, h.expiresAt],
    ),

  /** Gives the hold back; returns its size (0 when there was none, e.g. a free model or a repeat). */
  releaseHold: async (generationId: string): Promise<number> => {
    // One statement: every reply's settlement passes here.
    const hold = await db.maybeOne<{ credits: number }>(
      `WITH h AS (DELETE FROM holds WHERE generation_id = $1 RETURNING user_id, credits),
            u AS (UPDATE users SET held = users.held - h.credits FROM h WHERE users.id = h.user_id)
       SELECT credits FROM h`,
      [generationId],
    );
    return hold ? Number(hold.credits) : 0;
  },

  /**
   * Bills a call in one statement (every reply, title and memory extraction passes here, and a
   * round trip each for the old check, lock, debit, ledger row and usage row showed in the burst
   * profile): with `releaseHoldOf`, the reply's hold is given back and caps the charge; the
   * charge is capped by the balance too (never below zero, the rest recorded as a loss); the
   * ledger and the usage record are written with it. A reference already billed is charged
   * nothing (the hold is still released). Returns what was charged and the hold released.
   *
   * The balance row is locked first (`b`) and read at its newest version, as SELECT … FOR NO KEY
   * UPDATE does under READ COMMITTED; the UPDATE then changes that same version, so a
   * concurrent settlement of the same user is waited for and counted, not overwritten.
   */
  record: async (
    u: Omit<UsageRecord, 'credits' | 'holdCredits' | 'lossCredits'> & {
      /** The price before the caps. */
      price: number;
      /** The reply whose hold to release and cap the charge by; null for a call without one. */
      releaseHoldOf: string | null;
      ledgerId: string;
    },
  ): Promise<{ charged: number; released: number }> => {
    const row = await db.maybeOne<{ charged: number | null; released: number | null }>(
      `WITH prior AS (
         SELECT 1 FROM usage_records WHERE reference = $1
       ), h AS (
         DELETE FROM holds WHERE $2::text IS NOT NULL AND generation_id = $2 RETURNING credits
       ), b AS (
         SELECT id, credits FROM users WHERE id = $3 FOR NO KEY UPDATE
       ), c AS (
         SELECT b.id, COALESCE((SELECT credits FROM h), 0) AS released,
                CASE WHEN EXISTS (SELECT 1 FROM prior) THEN 0
                     ELSE LEAST(CASE WHEN $2::text IS NULL THEN $4::bigint
                                     ELSE LEAST($4::bigint, COALESCE((SELECT credits FROM h), 0)) END,
                                GREATEST(b.credits, 0))
                END AS taken
           FROM b
       ), u AS (
         UPDATE users SET held = users.held - c.released, credits = users.credits - c.taken
           FROM c WHERE users.id = c.id AND (c.released > 0 OR c.taken > 0)
         RETURNING users.credits AS after, c.taken
       ), l AS (
         INSERT INTO ledger (id, user_id, kind, credits, balance_after, reference, created_at)
         SELECT $5, $3, 'usage', -u.taken, u.after, $1, $6 FROM u WHERE u.taken > 0
       ), r AS (
         INSERT INTO usage_records (id, user_id, purpose, reference, model, prompt_tokens, completion_tokens,
                                    upstream_cost_usd, credits, hold_credits, loss_credits, created_at, api_key_id)
         SELECT $7, $3, $8, $1, $9, $10, $11, $12, c.taken,
                CASE WHEN $2::text IS NULL THEN NULL ELSE c.released END, $4::bigint - c.taken, $6,
                (SELECT api_key_id FROM generations WHERE id = $13)
           FROM c WHERE NOT EXISTS (SELECT 1 FROM prior)
         ON CONFLICT (reference) DO NOTHING
       )
       SELECT (SELECT taken FROM c) AS charged, (SELECT released FROM c) AS released`,
      [
        u.reference,
        u.releaseHoldOf,
        u.userId,
        u.price,
        u.ledgerId,
        u.at,
        u.id,
        u.purpose,
        u.model,
        u.promptTokens,
        u.completionTokens,
        u.costUsd,
        u.generationId,
      ],
    );
    return { charged: Number(row?.charged ?? 0), released: Number(row?.released ?? 0) };
  },

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
