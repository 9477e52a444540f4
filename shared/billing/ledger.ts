import type { Db } from '../db/db';
import { newId } from '../ids';

export type LedgerKind = 'purchase' | 'usage' | 'refund' | 'grant' | 'adjustment';

export interface LedgerRow {
  id: string;
  seq: number;
  kind: LedgerKind;
  credits: number;
  balance_after: number;
  reference: string;
  created_at: Date;
}

/** The append-only ledger and the balance it sums to, changed together or not at all. */
export const ledgerStore = (db: Db) => ({
  /**
   * Applies a balance change in the caller's transaction and records it. A change that would
   * take the balance below zero is not applied (null); callers cap debits to the balance first.
   * Each (kind, reference) applies once: a repeat returns null and changes nothing.
   */
  async apply(e: {
    userId: string;
    kind: LedgerKind;
    credits: number;
    reference: string;
    at: Date;
  }): Promise<{ balanceAfter: number } | null> {
    if (await db.maybeOne(`SELECT 1 FROM ledger WHERE kind = $1 AND reference = $2`, [e.kind, e.reference])) {
      return null;
    }
    const row = await db.maybeOne<{ balance_after: number }>(
      `WITH u AS (UPDATE users SET credits = credits + $3 WHERE id = $2 AND credits + $3 >= 0 RETURNING credits)
       INSERT INTO ledger (id, user_id, kind, credits, balance_after, reference, created_at)
       SELECT $1, $2, $4, $3, u.credits, $5, $6 FROM u
       RETURNING balance_after`,
      [newId(e.at.getTime()), e.userId, e.credits, e.kind, e.reference, e.at],
    );
    return row ? { balanceAfter: Number(row.balance_after) } : null;
  },

  /**
   * Takes up to `credits` from the balance, never below zero: a charge or refund larger than
   * what is left is capped, and the caller learns how much was actually taken (the rest is a
   * shortfall, ours to absorb or record).
   */
  async debitUpTo(e: { userId: string; kind: LedgerKind; credits: number; reference: string; at: Date }) {
    const balance = await ledgerStore(db).lockBalance(e.userId);
    const taken = Math.min(e.credits, Number(balance?.credits ?? 0));
    if (taken > 0) await ledgerStore(db).apply({ ...e, credits: -taken });
    return taken;
  },

  /**
   * Locks the user's balance row for the rest of the transaction. NO KEY UPDATE, not UPDATE:
   * rows inserted earlier in the same transaction hold key-share locks on the user through
   * their foreign keys, and FOR UPDATE would deadlock two such transactions against each other.
   */
  balance: (userId: string) =>
    db.maybeOne<{ credits: number; held: number }>(`SELECT credits, held FROM users WHERE id = $1`, [userId]),

  lockBalance: (userId: string) =>
    db.maybeOne<{ credits: number; held: number; monthly_spend_cap_credits: number | null }>(
      `SELECT credits, held, monthly_spend_cap_credits FROM users WHERE id = $1 FOR NO KEY UPDATE`,
      [userId],
    ),

  page: (userId: string, limit: number, beforeSeq?: number) =>
    db.many<LedgerRow>(
      `SELECT * FROM ledger WHERE user_id = $1 AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3`,
      [userId, beforeSeq ?? null, limit],
    ),
});
