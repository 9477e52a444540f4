import Stripe from 'stripe';
import { z } from 'zod';
import type { Clock } from '../clock';
import type { CreditPackage, LedgerResponse, PackagesResponse, UsageResponse } from '../contracts/billing';
import type { Db } from '../db/db';
import { AppError } from '../errors';
import { ledgerStore, type LedgerKind } from './ledger';
import { billingStore, type PackageRow } from './store';

export interface StripeSettings {
  secretKey?: string;
  webhookSecret?: string;
  /** Where the Stripe API lives; unset is Stripe itself. Any URL works (a local fake in tests). */
  apiBaseUrl?: string;
}

export function stripeClient(s: StripeSettings): Stripe | null {
  if (!s.secretKey) return null;
  const base = s.apiBaseUrl ? new URL(s.apiBaseUrl) : undefined;
  return new Stripe(s.secretKey, {
    maxNetworkRetries: 2,
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
}

const toPackage = (p: PackageRow): CreditPackage => ({
  id: p.id,
  name: p.name,
  priceCents: p.price_cents,
  currency: p.currency,
  credits: Number(p.credits),
  firstPurchaseOnly: p.first_purchase_only,
});

/** The fields of a Checkout Session we act on, checked rather than trusted. */
const checkoutSession = z.object({
  id: z.string(),
  payment_status: z.string(),
  amount_total: z.number().int().nullable(),
  currency: z.string().nullable(),
  client_reference_id: z.string().nullable(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  payment_intent: z
    .union([z.string(), z.object({ id: z.string() })])
    .nullable()
    .optional(),
});

const refundedCharge = z.object({
  id: z.string(),
  amount: z.number().int(),
  amount_refunded: z.number().int(),
  payment_intent: z.union([z.string(), z.object({ id: z.string() })]).nullable(),
});

const idOf = (v: string | { id: string } | null | undefined) => (typeof v === 'string' ? v : (v?.id ?? null));

export type BillingService = ReturnType<typeof billingService>;

export function billingService(deps: {
  db: Db;
  clock: Clock;
  stripe: Stripe | null;
  webhookSecret?: string;
  publicBaseUrl: string;
  signupBonus: number;
}) {
  const { db, clock } = deps;

  /** Grants credits for a paid session once, then applies any refund that arrived before it. */
  async function grant(tx: Db, eventId: string, raw: unknown): Promise<string> {
    const parsed = checkoutSession.safeParse(raw);
    if (!parsed.success) return 'malformed_session';
    const s = parsed.data;
    if (s.payment_status !== 'paid') return 'awaiting_payment';
    const userId = s.client_reference_id;
    const pkg = s.metadata?.packageId ? await billingStore(tx).packageById(s.metadata.packageId) : null;
    if (!userId || !pkg) return 'unknown_user_or_package';
    if (!(await tx.maybeOne(`SELECT 1 FROM users WHERE id = $1`, [userId]))) return 'unknown_user_or_package';
    const at = clock.now();
    if (s.amount_total !== pkg.price_cents || (s.currency ?? '').toLowerCase() !== pkg.currency) {
      await billingStore(tx).markMismatch({
        sessionId: s.id,
        userId,
        pkg,
        amount: s.amount_total ?? 0,
        currency: s.currency ?? '',
        at,
      });
      return 'amount_mismatch';
    }
    const paymentIntent = idOf(s.payment_intent);
    if (paymentIntent) await billingStore(tx).lockPayment(paymentIntent);
    const purchase = await billingStore(tx).markPaid({ sessionId: s.id, userId, pkg, paymentIntent, at });
    if (!purchase) return 'already_granted';
    await ledgerStore(tx).apply({
      userId,
      kind: 'purchase',
      credits: Number(pkg.credits),
      reference: `checkout:${s.id}`,
      at,
    });
    if (paymentIntent) await applyRefunds(tx, paymentIntent);
    return `granted:${eventId}`;
  }

  /** Brings the credits removed for a payment up to its refunded share (never below zero). */
  async function applyRefunds(tx: Db, paymentIntent: string): Promise<string> {
    const purchase = await billingStore(tx).paidPurchaseForUpdate(paymentIntent);
    const refund = await billingStore(tx).refundFor(paymentIntent);
    if (!purchase || !refund) return 'refund_waiting_for_payment';
    const credits = BigInt(purchase.credits);
    const amount = BigInt(Math.max(1, Number(refund.charge_amount_cents)));
    const refunded = BigInt(Math.min(Number(refund.refunded_cents), Number(refund.charge_amount_cents)));
    // Rounded up: a refund never leaves a fraction of a credit behind that was not paid for.
    const target = Number((credits * refunded + amount - 1n) / amount);
    const due = target - Number(purchase.credits_refunded);
    if (due <= 0) return 'refund_already_applied';
    const removed = await ledgerStore(tx).debitUpTo({
      userId: purchase.user_id,
      kind: 'refund',
      credits: due,
      reference: `refund:${paymentIntent}:${target}`,
      at: clock.now(),
    });
    await billingStore(tx).setRefunded(purchase.checkout_session_id, target, due - removed);
    return due > removed ? `refunded_with_shortfall:${due - removed}` : 'refunded';
  }

  return {
    async packages(userId: string): Promise<PackagesResponse> {
      const [all, bought] = await Promise.all([
        billingStore(db).packages(),
        billingStore(db).hasPaidPurchase(userId),
      ]);
      return {
        packages: all.filter((p) => !(p.first_purchase_only && bought)).map(toPackage),
        checkoutEnabled: deps.stripe !== null,
      };
    },

    async checkout(user: { id: string; email: string }, packageId: string): Promise<{ url: string }> {
      if (!deps.stripe) throw new AppError('unavailable', 'Payments are not configured on this server');
      const pkg = await billingStore(db).packageById(packageId);
      if (!pkg) throw new AppError('invalid_request', `Unknown package "${packageId}"`);
      if (pkg.first_purchase_only && (await billingStore(db).hasPaidPurchase(user.id))) {
        throw new AppError('conflict', 'The starter pack is for a first purchase only');
      }
      const base = deps.publicBaseUrl.replace(/\/$/, '');
      let session: Stripe.Checkout.Session;
      try {
        session = await deps.stripe.checkout.sessions.create({
          mode: 'payment',
          client_reference_id: user.id,
          customer_email: user.email,
          metadata: { packageId: pkg.id, userId: user.id },
          payment_intent_data: { metadata: { packageId: pkg.id, userId: user.id } },
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: pkg.currency,
                unit_amount: pkg.price_cents,
                product_data: {
                  name: `GloriaMundo ${pkg.name}: ${Number(pkg.credits).toLocaleString('en-US')} credits`,
                },
              },
            },
          ],
          success_url: `${base}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
          cancel_url: `${base}/billing/cancel`,
        });
      } catch (err) {
        throw new AppError(
          'unavailable',
          `The payment provider could not start a checkout: ${(err as Error).message}`,
        );
      }
      if (!session.url) throw new AppError('unavailable', 'The payment provider returned no checkout page');
      await billingStore(db).insertPendingPurchase({
        sessionId: session.id,
        userId: user.id,
        pkg,
        at: clock.now(),
      });
      return { url: session.url };
    },

    /**
     * Verifies and applies one Stripe event. The event id is recorded in the same transaction
     * as its effect, so a retried or duplicated event changes nothing the second time.
     */
    async webhook(rawBody: string, signature: string | null): Promise<{ outcome: string }> {
      if (!deps.webhookSecret)
        throw new AppError('unavailable', 'Payments are not configured on this server');
      let event: Stripe.Event;
      try {
        event = Stripe.webhooks.constructEvent(rawBody, signature ?? '', deps.webhookSecret);
      } catch {
        throw new AppError('invalid_signature', 'The Stripe-Signature header does not match the body');
      }
      return db.tx(async (tx) => {
        if (!(await billingStore(tx).recordEvent(event.id, event.type, clock.now()))) {
          return { outcome: 'duplicate' };
        }
        let outcome = 'ignored';
        const object: unknown = event.data.object;
        if (
          event.type === 'checkout.session.completed' ||
          event.type === 'checkout.session.async_payment_succeeded'
        ) {
          outcome = await grant(tx, event.id, object);
        } else if (event.type === 'charge.refunded') {
          const charge = refundedCharge.safeParse(object);
          const paymentIntent = charge.success ? idOf(charge.data.payment_intent) : null;
          if (!charge.success || !paymentIntent) {
            outcome = 'malformed_charge';
          } else {
            await billingStore(tx).lockPayment(paymentIntent);
            await billingStore(tx).upsertRefund({
              paymentIntent,
              chargeAmount: charge.data.amount,
              refunded: charge.data.amount_refunded,
              at: clock.now(),
            });
            outcome = await applyRefunds(tx, paymentIntent);
          }
        }
        await billingStore(tx).setOutcome(event.id, outcome);
        return { outcome };
      });
    },

    async ledger(userId: string, limit: number, cursor?: string): Promise<LedgerResponse> {
      const rows = await ledgerStore(db).page(userId, limit + 1, cursor ? Number(cursor) : undefined);
      const page = rows.slice(0, limit);
      return {
        entries: page.map((r) => ({
          id: r.id,
          kind: r.kind,
          credits: Number(r.credits),
          balanceAfter: Number(r.balance_after),
          reference: r.reference,
          createdAt: r.created_at.toISOString(),
        })),
        nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
      };
    },

    async usage(userId: string, days: number): Promise<UsageResponse> {
      const since = new Date(clock.now().getTime() - days * 86_400_000);
      const [byModel, byDay] = await Promise.all([
        billingStore(db).usageByModel(userId, since),
        billingStore(db).usageByDay(userId, since),
      ]);
      return {
        byModel: byModel.map((r) => ({
          model: r.model,
          replies: Number(r.replies),
          promptTokens: Number(r.prompt_tokens),
          completionTokens: Number(r.completion_tokens),
          credits: Number(r.credits),
        })),
        byDay: byDay.map((r) => ({ date: r.day, credits: Number(r.credits) })),
      };
    },

    /** The welcome credit, in the transaction that creates the account. */
    async grantSignupBonus(tx: Db, userId: string): Promise<void> {
      if (deps.signupBonus <= 0) return;
      await ledgerStore(tx).apply({
        userId,
        kind: 'grant' satisfies LedgerKind,
        credits: deps.signupBonus,
        reference: `signup:${userId}`,
        at: clock.now(),
      });
    },
  };
}
