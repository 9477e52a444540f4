import type { Db } from '../db/db';

export interface PackageRow {
  id: string;
  name: string;
  price_cents: number;
  currency: string;
  credits: number;
  first_purchase_only: boolean;
}

export interface PurchaseRow {
  checkout_session_id: string;
  user_id: string;
  package_id: string;
  credits: number;
  amount_cents: number;
  currency: string;
  status: 'pending' | 'paid' | 'mismatch';
  payment_intent: string | null;
  credits_refunded: number;
  refund_shortfall: number;
}

export const billingStore = (db: Db) => ({
  packages: () => db.many<PackageRow>(`SELECT * FROM packages WHERE active ORDER BY sort`),
  packageById: (id: string) =>
    db.maybeOne<PackageRow>(`SELECT * FROM packages WHERE id = $1 AND active`, [id]),
  /** Whether the user has paid for anything (optionally: anything but this session). */
  hasPaidPurchase: async (userId: string, exceptSessionId?: string) =>
    Boolean(
      await db.maybeOne(
        `SELECT 1 FROM purchases WHERE user_id = $1 AND status = 'paid'
            AND ($2::text IS NULL OR checkout_session_id <> $2) LIMIT 1`,
        [userId, exceptSessionId ?? null],
      ),
    ),

  /** The user's most recent checkout for a first-purchase package that has not been paid. */
  pendingFirstPurchase: (userId: string) =>
    db.maybeOne<PurchaseRow>(
      `SELECT p.* FROM purchases p JOIN packages k ON k.id = p.package_id
        WHERE p.user_id = $1 AND p.status = 'pending' AND k.first_purchase_only
        ORDER BY p.created_at DESC, p.checkout_session_id DESC LIMIT 1`,
      [userId],
    ),

  /** The regular price: the smallest package anyone may buy again, in that currency. */
  regularPackage: (currency: string) =>
    db.maybeOne<PackageRow>(
      `SELECT * FROM packages WHERE active AND NOT first_purchase_only AND currency = $1
        ORDER BY price_cents, id LIMIT 1`,
      [currency],
    ),

  insertPendingPurchase: (p: { sessionId: string; userId: string; pkg: PackageRow; at: Date }) =>
    db.exec(
      `INSERT INTO purchases (checkout_session_id, user_id, package_id, credits, amount_cents, currency, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) ON CONFLICT (checkout_session_id) DO NOTHING`,
      [p.sessionId, p.userId, p.pkg.id, p.pkg.credits, p.pkg.price_cents, p.pkg.currency, p.at],
    ),

  /** Records the event id; false when it was seen before (a retry or a duplicate). */
  recordEvent: async (id: string, type: string, at: Date) =>
    (await db.exec(
      `INSERT INTO stripe_events (id, type, outcome, received_at) VALUES ($1, $2, 'received', $3)
       ON CONFLICT (id) DO NOTHING`,
      [id, type, at],
    )) === 1,
  setOutcome: (id: string, outcome: string) =>
    db.exec(`UPDATE stripe_events SET outcome = $2 WHERE id = $1`, [id, outcome]),

  /**
   * Marks a session paid exactly once, whichever of its events arrives first; returns the row
   * only for the call that made the change. `credits` is what the payment buys (the package's,
   * unless a first-purchase package is paid for after another purchase).
   */
  markPaid: (p: {
    sessionId: string;
    userId: string;
    pkg: PackageRow;
    credits: number;
    paymentIntent: string | null;
    at: Date;
  }) =>
    db.maybeOne<PurchaseRow>(
      `INSERT INTO purchases AS p (checkout_session_id, user_id, package_id, credits, amount_cents, currency,
                                   status, payment_intent, created_at, paid_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'paid', $7, $8, $8)
       ON CONFLICT (checkout_session_id) DO UPDATE SET status = 'paid', payment_intent = EXCLUDED.payment_intent,
              paid_at = EXCLUDED.paid_at, credits = EXCLUDED.credits
        WHERE p.status <> 'paid'
       RETURNING *`,
      [p.sessionId, p.userId, p.pkg.id, p.credits, p.pkg.price_cents, p.pkg.currency, p.paymentIntent, p.at],
    ),

  markMismatch: (p: {
    sessionId: string;
    userId: string;
    pkg: PackageRow;
    amount: number;
    currency: string;
    at: Date;
  }) =>
    db.exec(
      `INSERT INTO purchases AS p (checkout_session_id, user_id, package_id, credits, amount_cents, currency, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'mismatch', $7)
       ON CONFLICT (checkout_session_id) DO UPDATE SET status = 'mismatch', amount_cents = EXCLUDED.amount_cents,
              currency = EXCLUDED.currency
        WHERE p.status = 'pending'`,
      [p.sessionId, p.userId, p.pkg.id, p.pkg.credits, p.amount, p.currency, p.at],
    ),

  /**
   * Serialises the payment and refund events of one payment. Without it, a payment and its
   * refund committing side by side would each miss the other, and the refund would be lost.
   */
  lockPayment: (paymentIntent: string) =>
    db.exec(`SELECT pg_advisory_xact_lock(hashtext('payment:' || $1))`, [paymentIntent]),

  /** Refunds only grow: keep the largest cumulative amount seen for the payment. */
  upsertRefund: (r: { paymentIntent: string; chargeAmount: number; refunded: number; at: Date }) =>
    db.exec(
      `INSERT INTO refunds (payment_intent, charge_amount_cents, refunded_cents, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (payment_intent) DO UPDATE SET refunded_cents = GREATEST(refunds.refunded_cents, EXCLUDED.refunded_cents),
              charge_amount_cents = EXCLUDED.charge_amount_cents, updated_at = EXCLUDED.updated_at`,
      [r.paymentIntent, r.chargeAmount, r.refunded, r.at],
    ),

  paidPurchaseForUpdate: (paymentIntent: string) =>
    db.maybeOne<PurchaseRow>(
      `SELECT * FROM purchases WHERE payment_intent = $1 AND status = 'paid' FOR UPDATE`,
      [paymentIntent],
    ),
  refundFor: (paymentIntent: string) =>
    db.maybeOne<{ charge_amount_cents: number; refunded_cents: number }>(
      `SELECT charge_amount_cents, refunded_cents FROM refunds WHERE payment_intent = $1`,
      [paymentIntent],
    ),
  setRefunded: (sessionId: string, creditsRefunded: number, shortfallAdded: number) =>
    db.exec(
      `UPDATE purchases SET credits_refunded = $2, refund_shortfall = refund_shortfall + $3 WHERE checkout_session_id = $1`,
      [sessionId, creditsRefunded, shortfallAdded],
    ),

  /** Keeps the newest receipt address Stripe sent for a payment. */
  upsertReceipt: (paymentIntent: string, receiptUrl: string, at: Date) =>
    db.exec(
      `INSERT INTO payment_receipts (payment_intent, receipt_url, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (payment_intent) DO UPDATE SET receipt_url = EXCLUDED.receipt_url, updated_at = EXCLUDED.updated_at`,
      [paymentIntent, receiptUrl, at],
    ),

  /** The receipt of each of the user's paid checkouts among `sessionIds` that has one. */
  receiptsFor: (userId: string, sessionIds: string[]) =>
    db.many<{ checkout_session_id: string; receipt_url: string }>(
      `SELECT p.checkout_session_id, r.receipt_url FROM purchases p
         JOIN payment_receipts r ON r.payment_intent = p.payment_intent
        WHERE p.user_id = $1 AND p.checkout_session_id = ANY($2::text[])`,
      [userId, sessionIds],
    ),

  /** Every metered call since `since`, oldest first: the usage CSV. */
  usageRows: (userId: string, since: Date, limit: number) =>
    db.many<{
      created_at: Date;
      purpose: 'reply' | 'title';
      model: string;
      prompt_tokens: number;
      completion_tokens: number;
      credits: number;
    }>(
      `SELECT created_at, purpose, model, prompt_tokens, completion_tokens, credits
         FROM usage_records WHERE user_id = $1 AND created_at >= $2
        ORDER BY created_at, id LIMIT $3`,
      [userId, since, limit],
    ),

  usageByModel: (userId: string, since: Date) =>
    db.many<{
      model: string;
      replies: number;
      prompt_tokens: number;
      completion_tokens: number;
      credits: number;
    }>(
      `SELECT model, count(*) FILTER (WHERE purpose = 'reply')::bigint AS replies,
              sum(prompt_tokens)::bigint AS prompt_tokens, sum(completion_tokens)::bigint AS completion_tokens,
              sum(credits)::bigint AS credits
         FROM usage_records WHERE user_id = $1 AND created_at >= $2
        GROUP BY model ORDER BY sum(credits) DESC, model`,
      [userId, since],
    ),
  usageByDay: (userId: string, since: Date) =>
    db.many<{ day: string; credits: number }>(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, sum(credits)::bigint AS credits
         FROM usage_records WHERE user_id = $1 AND created_at >= $2 GROUP BY 1 ORDER BY 1`,
      [userId, since],
    ),
});
