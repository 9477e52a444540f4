import type { Migration } from '../db/migration';

export const receiptMigrations: Migration[] = [
  {
    id: '064_payment_receipts',
    sql: `
      -- Stripe's receipt page for a payment, from the charge events that carry it. Keyed by the
      -- payment, not the purchase: a charge event may arrive before the Checkout one.
      CREATE TABLE payment_receipts (
        payment_intent text PRIMARY KEY,
        receipt_url text NOT NULL,
        updated_at timestamptz NOT NULL
      );
    `,
  },
];
