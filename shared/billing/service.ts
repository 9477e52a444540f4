import Stripe from 'stripe';
import type { z } from 'zod';
import type { Clock } from '../clock';
import {
  stripeCharge,
  stripeCheckoutSession,
  stripeEvent,
  stripeRefundedCharge,
  type CreditPackage,
  type LedgerResponse,
  type PackagesResponse,
  type StripeCheckoutSession,
  type UsageResponse,
} from '../contracts/billing';
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

/** Why a signed body cannot be used: the sentence, then each field with what is wrong with it. */
function unusable(what: string, under: string[], error: z.ZodError): AppError {
  const problems = error.issues
    .map((i) => `${[...under, ...i.path.map(String)].join('.') || 'the body'}: ${i.message}`)
    .join('; ');
  return new AppError('invalid_request', `${what} (${problems}). Nothing was changed.`);
}

const idOf = (v: string | { id: string } | null | undefined): string | null =>
  typeof v === 'string' ? v : (v?.id ?? null);

/** A Checkout Session as Stripe has it now; null when Stripe no longer knows it. */
async function openSession(stripe: Stripe, id: string): Promise<Stripe.Checkout.Session | null> {
  try {
    return await stripe.checkout.sessions.retrieve(id);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeInvalidRequestError && err.statusCode === 404) return null;
    throw new AppError(
      'unavailable',
      `The payment provider could not be asked about your open checkout (${(err as Error).message}). Try again in a minute.`,
    );
  }
}

/** A year of heavy use; beyond it the CSV is cut (a shorter period lists the rest). */
const USAGE_CSV_MAX_ROWS = 200_000;

/**
 * A CSV field: quoted when it needs to be, and never a formula when a spreadsheet opens it
 * (a leading = + - @ is neutralised with an apostrophe).
 */
function csvText(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

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

  /**
   * Grants credits for a paid session once, then applies any refund that arrived before it.
   *
   * A first-purchase package (the starter pack) is granted as such only to a user with no other
   * paid purchase. Checkout hands out one starter session per user, but one opened before, or
   * paid in two tabs, can still be paid: the money was taken, so it is never dropped. It buys
   * credits at the regular rate (the smallest package anyone may buy again), at most the
   * package's own credits, and the event's outcome says so. The user's row is locked first, so
   * two such payments landing at once are decided one after the other.
   */
  async function grant(tx: Db, eventId: string, s: StripeCheckoutSession): Promise<string> {
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
    // Payment first, then user: the order the refund path takes its locks in.
    if (paymentIntent) await billingStore(tx).lockPayment(paymentIntent);
    await ledgerStore(tx).lockBalance(userId);
    let credits = Number(pkg.credits);
    let outcome = `granted:${eventId}`;
    if (pkg.first_purchase_only && (await billingStore(tx).hasPaidPurchase(userId, s.id))) {
      const regular = await billingStore(tx).regularPackage(pkg.currency);
      if (regular) {
        credits = Math.min(
          credits,
          Math.floor((pkg.price_cents * Number(regular.credits)) / regular.price_cents),
        );
      }
      outcome = `granted_not_first_purchase:${credits}`;
    }
    const purchase = await billingStore(tx).markPaid({
      sessionId: s.id,
      userId,
      pkg,
      credits,
      paymentIntent,
      at,
    });
    if (!purchase) return 'already_granted';
    await ledgerStore(tx).apply({
      userId,
      kind: 'purchase',
      credits,
      reference: `checkout:${s.id}`,
      at,
    });
    if (paymentIntent) await applyRefunds(tx, paymentIntent);
    return outcome;
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

    /**
     * Opens a Checkout Session for a package. A first-purchase package has at most one open
     * session per user: while it is open, asking again answers the same page; once paid, 409.
     * Its creation carries an idempotency key derived from the session it replaces, so requests
     * racing each other (two tabs, a double click) get the same session from Stripe.
     */
    async checkout(user: { id: string; email: string }, packageId: string): Promise<{ url: string }> {
      const stripe = deps.stripe;
      if (!stripe) throw new AppError('unavailable', 'Payments are not configured on this server.');
      const pkg = await billingStore(db).packageById(packageId);
      if (!pkg) {
        throw new AppError(
          'invalid_request',
          `There is no package "${packageId}". Choose one of those GET /api/billing/packages lists.`,
        );
      }
      let idempotencyKey: string | undefined;
      if (pkg.first_purchase_only) {
        if (await billingStore(db).hasPaidPurchase(user.id)) {
          throw new AppError(
            'conflict',
            `The ${pkg.name} is for a first purchase only, and this account has bought credits already. Choose another package.`,
          );
        }
        const pending = await billingStore(db).pendingFirstPurchase(user.id);
        if (pending) {
          const open = await openSession(stripe, pending.checkout_session_id);
          if (open?.status === 'open' && open.url) return { url: open.url };
          if (open?.status === 'complete') {
            throw new AppError(
              'conflict',
              open.payment_status === 'paid'
                ? `Your ${pkg.name} is paid; its credits arrive within a minute. Refresh this page to see them.`
                : `Your payment for the ${pkg.name} is still being processed; its credits arrive when it clears.`,
            );
          }
        }
        // One key per session replaced: racing requests share it, a later one (after expiry) does not.
        idempotencyKey = `checkout:${user.id}:${pkg.id}:after:${pending?.checkout_session_id ?? 'none'}`;
      }
      const base = deps.publicBaseUrl.replace(/\/$/, '');
      let session: Stripe.Checkout.Session;
      try {
        session = await stripe.checkout.sessions.create(
          {
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
          },
          idempotencyKey ? { idempotencyKey } : undefined,
        );
      } catch (err) {
        throw new AppError(
          'unavailable',
          `The payment provider could not start a checkout (${(err as Error).message}). Try again in a minute.`,
        );
      }
      if (!session.url) {
        throw new AppError(
          'unavailable',
          'The payment provider returned no checkout page. Try again in a minute.',
        );
      }
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
     *
     * A correctly signed body that is not JSON, not an event, or (for the types acted on) whose
     * `data.object` lacks a field used or has one of the wrong type, is refused with 400
     * `invalid_request` naming the fields, before anything is written: nothing is recorded,
     * so Stripe keeps retrying and its dashboard shows the failure until someone looks. Types
     * not acted on are recorded as `ignored` (200) whatever their shape.
     */
    async webhook(rawBody: string, signature: string | null): Promise<{ outcome: string }> {
      const secret = deps.webhookSecret;
      if (!secret) throw new AppError('unavailable', 'Payments are not configured on this server.');
      try {
        if (!Stripe.webhooks.signature) throw new Error('the stripe library has no signature helper');
        Stripe.webhooks.signature.verifyHeader(rawBody, signature ?? '', secret);
      } catch {
        throw new AppError('invalid_signature', 'The Stripe-Signature header does not match the body.');
      }
      // Signed, so Stripe's; but its shape is checked before anything is written (400: unchanged).
      let json: unknown;
      try {
        json = JSON.parse(rawBody);
      } catch {
        throw new AppError(
          'invalid_request',
          'The webhook body is correctly signed but is not JSON. Nothing was changed.',
        );
      }
      const envelope = stripeEvent.safeParse(json);
      if (!envelope.success) {
        throw unusable('The webhook body is correctly signed but is not a Stripe event', [], envelope.error);
      }
      const event = envelope.data;
      const cannotUse = `The Stripe event ${event.id} (${event.type}) is correctly signed but cannot be used`;
      let apply: (tx: Db) => Promise<string> = async () => 'ignored';
      if (
        event.type === 'checkout.session.completed' ||
        event.type === 'checkout.session.async_payment_succeeded'
      ) {
        const session = stripeCheckoutSession.safeParse(event.data?.object);
        if (!session.success) throw unusable(cannotUse, ['data', 'object'], session.error);
        apply = (tx) => grant(tx, event.id, session.data);
      } else if (event.type === 'charge.succeeded' || event.type === 'charge.updated') {
        const charge = stripeCharge.safeParse(event.data?.object);
        if (!charge.success) throw unusable(cannotUse, ['data', 'object'], charge.error);
        const paymentIntent = idOf(charge.data.payment_intent);
        const receiptUrl = charge.data.receipt_url;
        apply = async (tx) => {
          if (!paymentIntent || !receiptUrl) return 'ignored_charge_without_receipt';
          await billingStore(tx).upsertReceipt(paymentIntent, receiptUrl, clock.now());
          return 'receipt_recorded';
        };
      } else if (event.type === 'charge.refunded') {
        const charge = stripeRefundedCharge.safeParse(event.data?.object);
        if (!charge.success) throw unusable(cannotUse, ['data', 'object'], charge.error);
        const paymentIntent = idOf(charge.data.payment_intent);
        const receiptUrl = charge.data.receipt_url;
        apply = async (tx) => {
          // A charge without a payment intent was not made by Checkout: not one of ours.
          if (!paymentIntent) return 'ignored_charge_without_payment_intent';
          if (receiptUrl) await billingStore(tx).upsertReceipt(paymentIntent, receiptUrl, clock.now());
          await billingStore(tx).lockPayment(paymentIntent);
          await billingStore(tx).upsertRefund({
            paymentIntent,
            chargeAmount: charge.data.amount,
            refunded: charge.data.amount_refunded,
            at: clock.now(),
          });
          return applyRefunds(tx, paymentIntent);
        };
      }
      return db.tx(async (tx) => {
        if (!(await billingStore(tx).recordEvent(event.id, event.type, clock.now()))) {
          return { outcome: 'duplicate' };
        }
        const outcome = await apply(tx);
        await billingStore(tx).setOutcome(event.id, outcome);
        return { outcome };
      });
    },

    async ledger(userId: string, limit: number, cursor?: string): Promise<LedgerResponse> {
      const rows = await ledgerStore(db).page(userId, limit + 1, cursor ? Number(cursor) : undefined);
      const page = rows.slice(0, limit);
      // A purchase's reference is `checkout:{session}`; its receipt comes from the payment's charge.
      const sessionOf = (reference: string) =>
        reference.startsWith('checkout:') ? reference.slice('checkout:'.length) : null;
      const sessions = page.flatMap((r) => {
        const session = r.kind === 'purchase' ? sessionOf(r.reference) : null;
        return session ? [session] : [];
      });
      const receipts = new Map(
        sessions.length
          ? (await billingStore(db).receiptsFor(userId, sessions)).map((r) => [
              r.checkout_session_id,
              r.receipt_url,
            ])
          : [],
      );
      return {
        entries: page.map((r) => ({
          id: r.id,
          kind: r.kind,
          credits: Number(r.credits),
          balanceAfter: Number(r.balance_after),
          reference: r.reference,
          receiptUrl: (r.kind === 'purchase' && receipts.get(sessionOf(r.reference) ?? '')) || null,
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

    /**
     * The usage CSV: one row per metered call (each reply, and each title made after one), oldest
     * first, so its credits add up to the ledger's usage rows. Dollars are credits / 100,000.
     */
    async usageCsv(userId: string, days: number): Promise<string> {
      const since = new Date(clock.now().getTime() - days * 86_400_000);
      const rows = await billingStore(db).usageRows(userId, since, USAGE_CSV_MAX_ROWS);
      const lines = [
        'time,purpose,model,prompt_tokens,completion_tokens,total_tokens,credits,dollars',
        ...rows.map((r) => {
          const credits = Number(r.credits);
          return [
            r.created_at.toISOString(),
            r.purpose,
            csvText(r.model),
            r.prompt_tokens,
            r.completion_tokens,
            Number(r.prompt_tokens) + Number(r.completion_tokens),
            credits,
            (credits / 100_000).toFixed(5),
          ].join(',');
        }),
      ];
      return `${lines.join('\r\n')}\r\n`;
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
