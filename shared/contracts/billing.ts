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

export const usageQuery = z.object({ days: z.coerce.number().int().min(1).max(366).default(30) });
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
