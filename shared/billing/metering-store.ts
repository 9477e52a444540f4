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

/** What an API key's call is decided on besides its user's facts. */
export interface KeyActivity {
  /** The key's calls streaming now and started in the last minute (this one excepted). */
  streaming: number;
  lastMinute: number;
  oldest: Date | null;
  /** Spent and held by the key's calls; null without a spend limit. */
  spentAndHeld: number | null;
}

type KeyFactsRow = Record<'key_streaming' | 'key_last_minute' | 'key_oldest' | 'key_spent_and_held', unknown>;

/** The statement of an API key's facts, on the caller's parameter names; one row. */
const keyFactsSql = (p: {
  key: string;
  limited: string;
  exclude: string;
  liveSince: string;
  minuteAgo: string;
}) => `
  SELECT count(*) FILTER (WHERE g.status = 'streaming' AND g.updated_at > ${p.liveSince}::timestamptz) AS key_streaming,
         count(*) FILTER (WHERE g.started_at > ${p.minuteAgo}::timestamptz) AS key_last_minute,
         min(g.started_at) FILTER (WHERE g.started_at > ${p.minuteAgo}::timestamptz) AS key_oldest,
         CASE WHEN ${p.limited}::boolean THEN
           (SELECT COALESCE(sum(r.credits), 0) FROM usage_records r WHERE r.api_key_id = ${p.key})
           + (SELECT COALESCE(sum(h.credits), 0) FROM holds h JOIN generations hg ON hg.id = h.generation_id
               WHERE hg.api_key_id = ${p.key} AND h.generation_id <> ${p.exclude})
         END AS key_spent_and_held
    FROM generations g
   WHERE g.api_key_id = ${p.key} AND g.id <> ${p.exclude}
     AND g.started_at > ${p.minuteAgo}::timestamptz - interval '1 hour'`;

function toKeyFacts(row: KeyFactsRow): KeyActivity {
  return {
    streaming: Number(row.key_streaming ?? 0),
    lastMinute: Number(row.key_last_minute ?? 0),
    oldest:
      row.key_oldest === null || row.key_oldest === undefined
        ? null
        : new Date(row.key_oldest as string | Date),
    spentAndHeld:
      row.key_spent_and_held === null || row.key_spent_and_held === undefined
        ? null
        : Number(row.key_spent_and_held),
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

  /** An API key's activity and, with a spend limit, what it has spent and holds (this call excepted). */
  keyFacts: async (
    key: { id: string; spendLimitCredits: number | null },
    w: FactWindows,
    exclude: string,
  ) => {
    const row = await db.one<KeyFactsRow>(
      `SELECT * FROM (${keyFactsSql({ key: '$1', limited: '$2', exclude: '$3', liveSince: '$4', minuteAgo: '$5' })}) k`,
      [key.id, key.spendLimitCredits !== null, exclude, w.liveSince, w.minuteAgo],
    );
    return toKeyFacts(row);
  },

  /**
   * A call's facts, its user's and its API key's, in one statement read without the lock: the
   * call is decided on them and its hold taken only if the user's row is unchanged (see
   * Metering.plan), as a chat reply's are read with its context.
   */
  completionFacts: async (
    userId: string,
    key: { id: string; spendLimitCredits: number | null },
    w: FactWindows,
    exclude: string,
  ) => {
    const row = await db.maybeOne<ReservationFactsRow & KeyFactsRow>(
      `SELECT f.*, k.* FROM (${reservationFactsSql({ user: '$1', liveSince: '$2', monthStart: '$3', minuteAgo: '$4', dayAgo: '$5', exclude: '$6' })}) f,
              (${keyFactsSql({ key: '$7', limited: '$8', exclude: '$6', liveSince: '$2', minuteAgo: '$4' })}) k`,
      [
        userId,
        w.liveSince,
        w.monthStart,
        w.minuteAgo,
        w.dayAgo,
        exclude,
        key.id,
        key.spendLimitCredits !== null,
      ],
    );
    return row && { facts: toReservationFacts(row), key: toKeyFacts(row) };
  },

  /**
   * A free reply takes no hold but writes its user's balance row all the same: that moves the
   * row's version, so a start decided on facts read before this one (Metering.plan) is redone.
   */
  markFree: (generationId: string) =>
    db.exec(
      `WITH g AS (UPDATE generations SET free = true WHERE id = $1 RETURNING user_id)
       UPDATE users SET held = users.held FROM g WHERE users.id = g.user_id`,
      [generationId],
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
   * profile). See `billingPart` for what the statement does.
   */
  record: async (u: BillingInput): Promise<{ charged: number; released: number }> => {
    const part = billingPart(u);
    const row = await db.maybeOne<{ charged: number | null; released: number | null }>(
      `WITH ${part.ctes(null)}
       SELECT ${CHARGED} AS charged, (SELECT released FROM c) AS released`,
      part.params,
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

export type BillingInput = Omit<UsageRecord, 'credits' | 'holdCredits' | 'lossCredits'> & {
  /** The price before the caps. */
  price: number;
  /** The reply whose hold to release and cap the charge by; null for a call without one. */
  releaseHoldOf: string | null;
  ledgerId: string;
};

/**
 * A call's billing as CTEs for a statement: `record` runs them alone, and a reply's settlement
 * joins them to the statement that ends the reply, so ending and billing it are one round trip
 * (the settlement transaction's five were the most frequent statements of a reply).
 *
 * With `releaseHoldOf`, the reply's hold is given back and caps the charge; the charge is capped
 * by the balance too (never below zero, the rest recorded as a loss); the ledger and the usage
 * record are written with it. A reference already billed is charged nothing (the hold is still
 * released). The balance row is locked first (`b`) and read at its newest version, as SELECT …
 * FOR NO KEY UPDATE does under READ COMMITTED; the UPDATE then changes that same version, so a
 * concurrent settlement of the same user is waited for and counted, not overwritten.
 */
export interface BillingPart {
  /**
   * The CTEs, named `prior`, `h`, `b`, `c`, `u`, `l` and `r`, on parameters $1 to $13. With
   * `guard`, the name of a CTE before them, nothing is released or billed unless it has a row.
   */
  ctes(guard: string | null): string;
  params: unknown[];
}

/** What a BillingPart charged, as an expression of the statement it is part of. */
export const CHARGED = '(SELECT taken FROM c)';

export function billingPart(u: BillingInput): BillingPart {
  return {
    ctes: (guard) => {
      const only = guard ? ` AND EXISTS (SELECT 1 FROM ${guard})` : '';
      return `prior AS (
         SELECT 1 FROM usage_records WHERE reference = $1
       ), h AS (
         DELETE FROM holds WHERE $2::text IS NOT NULL AND generation_id = $2${only} RETURNING credits
       ), b AS (
         SELECT id, credits FROM users WHERE id = $3${only} FOR NO KEY UPDATE
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
       )`;
    },
    params: [
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
  };
}
