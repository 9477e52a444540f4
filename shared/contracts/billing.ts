import { z } from 'zod';

export const creditPackage = z.object({
  id: z.string(),
  name: z.string(),
  priceCents: z.number().int(),
  currency: z.string(),
  credits: z.number().int(),
  /** Offered only until the first purchase. */
  firstPurchaseOnly: z.boolean(),
});
export type CreditPackage = z.infer<typeof creditPackage>;

export const packagesResponse = z.object({
  packages: z.array(creditPackage),
  /** False when Stripe is not configured: the UI hides the buy buttons and says why. */
  checkoutEnabled: z.boolean(),
});
export type PackagesResponse = z.infer<typeof packagesResponse>;

export const checkoutBody = z.object({ packageId: z.string().min(1).max(64) }).strict();
export type CheckoutBody = z.infer<typeof checkoutBody>;
export const checkoutResponse = z.object({ url: z.string() });

export const ledgerKind = z.enum(['purchase', 'usage', 'refund', 'grant', 'adjustment']);
export const ledgerEntry = z.object({
  id: z.string(),
  kind: ledgerKind,
  credits: z.number().int(),
  balanceAfter: z.number().int(),
  reference: z.string(),
  /** Stripe's receipt page, on a purchase whose payment sent one. */
  receiptUrl: z.string().nullable(),
  createdAt: z.string(),
});
export type LedgerEntry = z.infer<typeof ledgerEntry>;

export const ledgerQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'cursor is not one this API returned')
    .optional(),
});
export const ledgerResponse = z.object({ entries: z.array(ledgerEntry), nextCursor: z.string().nullable() });
export type LedgerResponse = z.infer<typeof ledgerResponse>;

export const usageQuery = z.object({
  days: z.coerce.number().int().min(1).max(366).default(30),
  /** csv: a `text/csv` attachment, one row per metered call (replies, and the titles made after them). */
  format: z.enum(['json', 'csv']).default('json'),
});
export const usageResponse = z.object({
  byModel: z.array(
    z.object({
      model: z.string(),
      replies: z.number().int(),
      promptTokens: z.number().int(),
      completionTokens: z.number().int(),
      credits: z.number().int(),
    }),
  ),
  byDay: z.array(z.object({ date: z.string(), credits: z.number().int() })),
});
export type UsageResponse = z.infer<typeof usageResponse>;

/*
 * Stripe webhook events: the fields the webhook acts on, checked rather than trusted. A signed
 * event is Stripe's word, but its shape still decides which SQL runs, so anything these
 * schemas refuse is answered 400 and changes nothing. Extra fields are ignored.
 */

/** Text that may reach a query: bounded, and without U+0000 (PostgreSQL text cannot hold it). */
const stripeText = (what: string, max = 255) =>
  z
    .string({ error: `${what} must be text` })
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`)
    .refine((s) => !s.includes('\u0000'), `${what} must not contain NUL characters`);

/** A whole amount in the currency's smallest unit, as our integer columns can hold it. */
const stripeAmount = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .int(`${what} must be a whole number of the currency's smallest unit (cents)`)
    .min(0, `${what} must not be negative`)
    .max(2_147_483_647, `${what} is larger than any payment this app sells`);

/** An id Stripe may send bare or expanded into its object. */
const stripeRef = (what: string) =>
  z.union([stripeText(what), z.looseObject({ id: stripeText(`${what}.id`) })], {
    error: `${what} must be an id or an object with an id`,
  });

/** The envelope: an event's id and type (data.object is checked per type, by the schemas below). */
export const stripeEvent = z.looseObject({
  id: stripeText('id'),
  type: stripeText('type'),
  data: z.looseObject({ object: z.unknown() }).optional(),
});
export type StripeEventEnvelope = z.infer<typeof stripeEvent>;

/** `checkout.session.completed` and `checkout.session.async_payment_succeeded`: a Checkout Session. */
export const stripeCheckoutSession = z.looseObject({
  id: stripeText('id'),
  payment_status: stripeText('payment_status', 64),
  amount_total: stripeAmount('amount_total').nullable(),
  currency: stripeText('currency', 16).nullable(),
  client_reference_id: stripeText('client_reference_id').nullish(),
  metadata: z
    .record(z.string(), z.string({ error: 'metadata values must be text' }))
    .nullish()
    .refine(
      (m) => !m || Object.values(m).every((v) => v.length <= 500 && !v.includes('\u0000')),
      'metadata values must be at most 500 characters, without NUL characters',
    ),
  payment_intent: stripeRef('payment_intent').nullish(),
});
export type StripeCheckoutSession = z.infer<typeof stripeCheckoutSession>;

/** Stripe's receipt page: only a web address (it becomes a link in the ledger). */
const stripeReceiptUrl = z
  .string({ error: 'receipt_url must be text' })
  .max(2000, 'receipt_url must be at most 2000 characters')
  .regex(/^https?:\/\/\S+$/, 'receipt_url must be an http(s) address')
  .refine((s) => !s.includes('\u0000'), 'receipt_url must not contain NUL characters')
  .nullish();

/** `charge.succeeded` and `charge.updated`: where the receipt of a payment is. */
export const stripeCharge = z.looseObject({
  id: stripeText('id'),
  payment_intent: stripeRef('payment_intent').nullish(),
  receipt_url: stripeReceiptUrl,
});
export type StripeCharge = z.infer<typeof stripeCharge>;

/** `charge.refunded`: the charge with its cumulative refunded amount. */
export const stripeRefundedCharge = z.looseObject({
  id: stripeText('id'),
  amount: stripeAmount('amount'),
  amount_refunded: stripeAmount('amount_refunded'),
  payment_intent: stripeRef('payment_intent').nullish(),
  receipt_url: stripeReceiptUrl,
});
export type StripeRefundedCharge = z.infer<typeof stripeRefundedCharge>;
